"""Synthetic training scenes: plates pasted in perspective onto real and procedural backgrounds."""

from __future__ import annotations

import csv
import logging
import string
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.detector import PAD_VALUE, letterbox
from training.real_dev_split import EXTRA_SCENES, is_training_scene, read_scene_labels
from training.rotation import box_corners as _box_corners
from training.rotation import rotate_photo, turn_points
from training.synth.conditions import CONDITIONS, motion_blur, weather
from training.unlabelled_plates import noted_plates

logger = logging.getLogger(__name__)

# Longest side of a cached training background; the model input is smaller anyway.
BACKGROUND_MAX_SIDE = 1024
# Plate widths pasted into the model input, in its pixels (real scenes give ~45-350 at
# the 576x768 input, close-ups in small photos more).
MIN_PLATE_W, MAX_PLATE_W = 16.0, 400.0
# Far plates in large photos are only 20-50 model pixels wide (a 50 px plate in a
# 1600 px photo is 24); log-uniform sizing alone draws too few of them.
SMALL_PLATE_W = (14.0, 50.0)
SMALL_PLATE_SHARE = 0.3
# Radiator grilles right above the plate were the detector's worst false find (slats
# and meshes are plate-like textures); this share of pasted plates gets one over it.
GRILLE_ABOVE_SHARE = 0.25
PLATE_ASPECT = 520 / 112
# Roll of pasted plates (and of turned training photos, see TurnedPhotos): cameras are
# held level or not at all, so a share is near level and the rest uniform over the whole
# range served (to +-35 degrees, with a margin). Corners keep the plate's own TL, TR, BR, BL order.
LEVEL_SHARE = 0.45
LEVEL_SD, MAX_ROLL = 4.0, 40.0
# Camera conditions a stage may put whole scenes under, beyond _photo_effects' everyday
# ones: night, infrared grey and heavy JPEG as the OCR's data draws them
# (training/synth/conditions.py), and motion blur of a length in model pixels, since a
# scene's plates are 16-400 px wide there (the eval's blur, 4 % of a plate's width, is
# 1-12 px on them).
SCENE_CONDITIONS = ("night", "grey", "jpeg", "motion_blur")
SCENE_BLUR_PX = (2.0, 10.0)
# Rendered plates are drawn this much wider than pasted, then shrunk (sharper edges).
RENDER_OVERSAMPLE = 1.3
# ... but at least this wide: the renderer's glyphs need a few pixels per stroke.
RENDER_MIN_WIDTH = 80.0
try:  # the renderer of GOST plates with known text; real crops stand in without it
    from training.synth.plate_draw import (
        TRAINING_STYLE,
        WIDER_PRINT_STYLE,
        draw_plate,
        random_plate_text,
    )

    from plate_service.recognition.plate_types import PlateType, plate_types
    HAVE_RENDERER = True
except ImportError:  # pragma: no cover - depends on the OCR side of the tree
    HAVE_RENDERER = False


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class TurnedPhotos:
    """Which real training photos are turned about one of their plates before use:
    ``share`` of them, by a roll drawn as for pasted plates (``draw_roll``) or, when
    ``uniform``, uniform within +-``MAX_ROLL``. A stage of the training recipe sets it."""

    share: float
    uniform: bool = False

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(-MAX_ROLL, MAX_ROLL)) if self.uniform else draw_roll(rng)


@dataclass(frozen=True)
class PlateMix:
    """Shares of the rendered plates by shape: one-line private plates, the other one-line
    types, and the square and two-line types (the rest), each family drawn uniformly over
    its rows of the type table; corners are the whole plate's. A stage of the training
    recipe sets it. The default follows the roads, where most plates are private ones."""

    private: float = 0.55
    one_line: float = 0.2
    # Share of rendered plates worn as years on the road wear them (``weather``: dirt,
    # uneven light, shadow, glare, scratches, mud); no random draw for it when 0, so
    # earlier stages' scenes stay as they were.
    worn: float = 0.0
    # Rendered plates drawn in ``plate_draw.WIDER_PRINT_STYLE`` rather than TRAINING_STYLE.
    wider_print: bool = False
    # Largest turn of a rendered plate's hue, in degrees, and the range its saturation is
    # scaled by: plate makers' film and the light it is seen in shift a blue plate toward
    # azure or navy, a yellow one toward amber; a detector that knows one shade of each
    # colour misses the others. No random draw for it when 0.
    hue_turn: float = 0.0
    saturation: tuple[float, float] = (1.0, 1.0)
    # Share of the real training photos whose labelled plates get a rendered plate
    # painted over them, the only way a rendered plate sits where plates are, on a car.
    repaint: float = 0.35
    # Whether a painted-over plate takes the light of the real plate it covers (its
    # bright part as bright as the old plate's) rather than a random gain, and is of a
    # one-line type (whose shape the old plate's corners fit). A rendered plate lit
    # unlike its surroundings stands out by its light alone, and a detector that learnt
    # that misses police, military and diplomatic plates in real photos; no random draw
    # for it when False.
    lit_like_old: bool = False

    def one_line_only(self) -> PlateMix:
        """The same mix without the square and two-line types."""
        total = self.private + self.one_line
        return replace(self, private=self.private / total, one_line=self.one_line / total)


@dataclass(frozen=True)
class Background:
    """A real training photo (downscaled) and its plates, in its pixels.

    ``boxes`` are labelled plates; where ``corners_known`` is False the plate is tilted
    and its axis-aligned box is not its quad, so it teaches where a plate is, not its
    corners. ``unknown`` are plates present but unlabelled (unreadable, non-standard):
    neither plates to find nor background.
    """

    image: np.ndarray
    boxes: tuple[Box, ...]
    corners_known: tuple[bool, ...] = ()
    unknown: tuple[Box, ...] = ()


@dataclass
class Scene:
    """A training input and its plates: ``quads`` with known corners (TL, TR, BR, BL),
    ``boxes_only`` known by position (quad of their box), ``unknown`` to ignore."""

    image: np.ndarray
    quads: list[np.ndarray]
    boxes_only: list[np.ndarray] = field(default_factory=list)
    unknown: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class Sources:
    """Everything a scene is made from: real backgrounds and real plate crops."""

    backgrounds: tuple[Background, ...]
    crops: tuple[np.ndarray, ...]
    scene_names: tuple[str, ...]  # relative to the shared data root


def load_sources(data_dir: Path) -> Sources:
    """Training-half real-dev scenes, the real-scenes-extra photos (when present), with
    their plates, and the real-extra crops."""
    labels = read_scene_labels(data_dir)
    backgrounds = []
    names = []
    for name in sorted(labels):
        if not is_training_scene(name):
            continue
        image = _read_scaled(data_dir / "real-dev" / name)
        if image is None:
            continue
        scale = image[1]
        boxes = tuple(_scaled(row[:4], scale) for row in labels[name])
        backgrounds.append(Background(image[0], boxes, (True,) * len(boxes)))
        names.append(f"real-dev/{name}")
    for name, rows in extra_scene_rows(data_dir).items():
        image = _read_scaled(data_dir / EXTRA_SCENES / name)
        if image is None:
            continue
        scale = image[1]
        boxes = tuple(_scaled(box, scale) for box, _, _ in rows)
        unknown = {_scaled(box, scale) for _, _, others in rows for box in others}
        backgrounds.append(Background(image[0], boxes, tuple(known for _, known, _ in rows),
                                      tuple(sorted(unknown))))
        names.append(f"{EXTRA_SCENES}/{name}")
    crops = []
    for path in sorted((data_dir / "real-extra" / "crops").glob("*.png")):
        crop = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if crop is not None and crop.shape[1] >= 2 * crop.shape[0]:
            crops.append(crop)
    logger.info("%d training backgrounds, %d real crops", len(backgrounds), len(crops))
    return Sources(tuple(backgrounds), tuple(crops), tuple(names))


def _read_scaled(path: Path) -> tuple[np.ndarray, float] | None:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        return None
    scale = min(1.0, BACKGROUND_MAX_SIDE / max(image.shape[:2]))
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return image, scale


def _scaled(box: tuple[float, ...], scale: float) -> Box:
    x1, y1, x2, y2 = box
    return (x1 * scale, y1 * scale, x2 * scale, y2 * scale)


def extra_scene_rows(data_dir: Path) -> dict[str, list[tuple[Box, bool, list[Box]]]]:
    """real-scenes-extra: file -> its labelled plates as (box, corners known, other plates).

    A plate tagged ``tilted`` has only an axis-aligned box, so its corners are unknown.
    The other plates are the ones the notes box (``noted_plates``: unread and
    non-standard): present, text unknown.
    """
    path = data_dir / EXTRA_SCENES / "labels.csv"
    if not path.is_file():
        return {}
    rows: dict[str, list[tuple[Box, bool, list[Box]]]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] != "scene":
                continue
            box = (float(row["x1"]), float(row["y1"]), float(row["x2"]), float(row["y2"]))
            notes = row["notes"]
            noted = noted_plates(notes)
            others = [(float(x1), float(y1), float(x2), float(y2))
                      for x1, y1, x2, y2 in noted.unread + noted.non_standard]
            rows.setdefault(row["file"], []).append((box, "tilted" not in notes, others))
    return rows


def draw_roll(rng: np.random.Generator) -> float:
    """A roll in degrees: near level (``LEVEL_SHARE``) or uniform within +-``MAX_ROLL``."""
    if rng.random() < LEVEL_SHARE:
        return float(np.clip(rng.normal(0, LEVEL_SD), -MAX_ROLL, MAX_ROLL))
    return float(rng.uniform(-MAX_ROLL, MAX_ROLL))


def _procedural_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Gradients, blotches, shapes, lines and text-like clutter: no plates in it."""
    low = rng.integers(0, 256, size=(int(rng.integers(2, 7)), int(rng.integers(2, 7)), 3))
    img = cv2.resize(low.astype(np.uint8), (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(3, 25))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        kind = rng.random()
        x, y = int(rng.integers(-w // 4, w)), int(rng.integers(-h // 4, h))
        if kind < 0.45:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(10, w)), y + int(rng.integers(5, h))),
                          colour, -1 if rng.random() < 0.7 else int(rng.integers(1, 6)))
        elif kind < 0.7:
            cv2.ellipse(img, (x, y), (int(rng.integers(5, w // 3)), int(rng.integers(5, h // 3))),
                        float(rng.uniform(0, 180)), 0, 360, colour, -1)
        else:
            cv2.line(img, (x, y), (int(rng.integers(0, w)), int(rng.integers(0, h))), colour,
                     int(rng.integers(1, 8)))
    _text_clutter(rng, img, int(rng.integers(0, 5)))
    for _ in range(int(rng.integers(0, 3))):
        _grille(rng, img, _grille_box(rng, h, w))
    noise = rng.standard_normal(img.shape, dtype=np.float32) * rng.uniform(2, 12)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def _text_clutter(rng: np.random.Generator, img: np.ndarray, count: int) -> None:
    """Signs and stickers with letters on them: hard negatives that are not plates."""
    h, w = img.shape[:2]
    alphabet = string.ascii_uppercase + string.digits
    for _ in range(count):
        text = "".join(rng.choice(list(alphabet), size=int(rng.integers(2, 12))))
        font_scale = float(rng.uniform(0.3, 1.6))
        thick = int(rng.integers(1, 4))
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
        x, y = int(rng.integers(0, max(1, w - tw))), int(rng.integers(th, max(th + 1, h)))
        if rng.random() < 0.6:
            bg = tuple(int(c) for c in rng.integers(120, 256, 3))
            pad = int(rng.integers(2, 12))
            cv2.rectangle(img, (x - pad, y - th - pad), (x + tw + pad, y + pad), bg, -1)
        ink = tuple(int(c) for c in rng.integers(0, 90, 3))
        font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX,
                               cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_PLAIN]))
        cv2.putText(img, text, (x, y), font, font_scale, ink, thick, cv2.LINE_AA)


def _grille(rng: np.random.Generator, img: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """A radiator grille in ``box`` (x1, y1, x2, y2): slats or a mesh, a frame, maybe a badge.

    A hard negative: rows of bright bars on dark look like plate characters to a small net.
    Drawn on its own patch, then the part inside ``img`` is copied in.
    """
    x1, y1, x2, y2 = box
    gw, gh = x2 - x1, y2 - y1
    if gw < 6 or gh < 4:
        return
    dark = tuple(int(c) for c in rng.integers(0, 70, 3))
    bright = int(rng.integers(120, 240))
    bar = tuple(int(np.clip(bright + d, 0, 255)) for d in rng.integers(-20, 20, 3))
    patch = np.empty((gh, gw, 3), np.uint8)
    patch[:] = dark
    period = int(rng.integers(3, max(4, min(14, gh // 2 + 3))))
    thick = max(1, int(period * rng.uniform(0.25, 0.6)))
    kind = rng.random()
    if kind < 0.5:  # horizontal slats
        for y in range(period // 2, gh, period):
            cv2.line(patch, (0, y), (gw, y), bar, thick)
    elif kind < 0.7:  # vertical bars
        for x in range(period // 2, gw, period):
            cv2.line(patch, (x, 0), (x, gh), bar, thick)
    elif kind < 0.85:  # diamond mesh
        for t in range(-gh, gw + gh, period * 2):
            cv2.line(patch, (t, 0), (t + gh, gh), bar, thick)
            cv2.line(patch, (t + gh, 0), (t, gh), bar, thick)
    else:  # square mesh
        for x in range(0, gw, period * 2):
            cv2.line(patch, (x, 0), (x, gh), bar, thick)
        for y in range(0, gh, period * 2):
            cv2.line(patch, (0, y), (gw, y), bar, thick)
    if rng.random() < 0.7:
        frame = tuple(int(c) for c in rng.integers(140, 250, 3))
        cv2.rectangle(patch, (0, 0), (gw - 1, gh - 1), frame, int(rng.integers(1, 5)))
    if rng.random() < 0.4:
        axes = (max(2, gw // int(rng.integers(8, 16))), max(2, gh // int(rng.integers(3, 6))))
        cv2.ellipse(patch, (gw // 2, gh // 2), axes, 0, 0, 360, bar, -1)
    h, w = img.shape[:2]
    cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
    if cx2 > cx1 and cy2 > cy1:
        img[cy1:cy2, cx1:cx2] = patch[cy1 - y1:cy2 - y1, cx1 - x1:cx2 - x1]


def _grille_box(rng: np.random.Generator, h: int, w: int) -> tuple[int, int, int, int]:
    gw = float(np.exp(rng.uniform(np.log(24), np.log(w * 0.6))))
    gh = gw * rng.uniform(0.12, 0.6)
    x, y = rng.uniform(-gw / 4, w - gw * 3 / 4), rng.uniform(-gh / 4, h - gh * 3 / 4)
    return int(x), int(y), int(x + gw), int(y + gh)


def _grille_over_plate(rng: np.random.Generator, quad: np.ndarray
                       ) -> tuple[int, int, int, int]:
    """Where a car's grille would sit above a plate with corners ``quad``."""
    x1, y1, x2, _ = _quad_box(quad)
    pw = x2 - x1
    plate_h = float(np.ptp(quad[:, 1]))
    gw = pw * rng.uniform(1.0, 2.6)
    gh = max(plate_h, 4.0) * rng.uniform(1.0, 3.5)
    cx = (x1 + x2) / 2 + pw * rng.uniform(-0.3, 0.3)
    bottom = y1 - plate_h * rng.uniform(0.15, 0.8)
    return int(cx - gw / 2), int(bottom - gh), int(cx + gw / 2), int(bottom)


def _plate_image(rng: np.random.Generator, sources: Sources, width: float,
                 mix: PlateMix) -> np.ndarray:
    """A frontal plate picture: rendered with random text, or one of the real crops, under
    a random light."""
    return _random_light(rng, _plate_picture(rng, sources, width, mix))


def _plate_picture(rng: np.random.Generator, sources: Sources, width: float,
                   mix: PlateMix) -> np.ndarray:
    """A frontal plate picture as printed: rendered with random text, or a real crop."""
    if HAVE_RENDERER and (not sources.crops or rng.random() < 0.7):
        row = draw_plate_type(rng, mix)
        drawn = np.clip(width * RENDER_OVERSAMPLE, RENDER_MIN_WIDTH, MAX_PLATE_W)
        style = WIDER_PRINT_STYLE if mix.wider_print else TRAINING_STYLE
        plate = draw_plate(rng, row, random_plate_text(rng, row), drawn / row.size_mm[0],
                           style)
        if mix.worn and rng.random() < mix.worn:
            plate = weather(rng, plate, marks=True)
        if mix.hue_turn:
            plate = _recoloured(rng, plate, mix)
    else:
        plate = sources.crops[int(rng.integers(0, len(sources.crops)))].copy()
    return plate


def _random_light(rng: np.random.Generator, plate: np.ndarray) -> np.ndarray:
    """``plate`` under a light of its own: a random gain, offset and colour cast."""
    gain, bias = rng.uniform(0.55, 1.2), rng.uniform(-40, 30)
    plate = np.clip(plate.astype(np.float32) * gain + bias, 0, 255)
    plate *= rng.uniform(0.85, 1.15, size=3)  # colour cast of the light
    return np.clip(plate, 0, 255).astype(np.uint8)


# A painted-over plate's bright part (this percentile of its grey levels) is made as
# bright as the old plate's, times a draw from LIGHT_MATCH: plates of one car share its
# light, give or take their film's shine.
BRIGHT_PERCENTILE = 90
LIGHT_MATCH = (0.8, 1.1)


def _lit_like(rng: np.random.Generator, plate: np.ndarray, old: np.ndarray) -> np.ndarray:
    """``plate`` lit as the real plate ``old`` (the pixels it will cover) was."""
    bright = float(np.percentile(cv2.cvtColor(plate, cv2.COLOR_BGR2GRAY), BRIGHT_PERCENTILE))
    target = float(np.percentile(cv2.cvtColor(old, cv2.COLOR_BGR2GRAY), BRIGHT_PERCENTILE))
    gain = rng.uniform(*LIGHT_MATCH) * target / max(bright, 1.0)
    lit = plate.astype(np.float32) * gain * rng.uniform(0.9, 1.1, size=3)
    return np.clip(lit, 0, 255).astype(np.uint8)


def _painted_over(rng: np.random.Generator, sources: Sources, canvas: np.ndarray,
                  quad: np.ndarray, mix: PlateMix) -> np.ndarray:
    """The plate to paint over the real one at ``quad`` on ``canvas``."""
    width = float(np.ptp(quad[:, 0]))
    if not mix.lit_like_old:
        return _plate_image(rng, sources, width, mix)
    plate = _plate_picture(rng, sources, width, mix.one_line_only())
    x0, y0 = (max(0, int(v)) for v in quad.min(axis=0))
    x1, y1 = (int(np.ceil(v)) for v in quad.max(axis=0))
    old = canvas[y0:y1, x0:x1]
    return _lit_like(rng, plate, old) if old.size else _random_light(rng, plate)


def _recoloured(rng: np.random.Generator, plate: np.ndarray, mix: PlateMix) -> np.ndarray:
    """A BGR plate with its hue turned and its saturation scaled at random, as ``mix`` says."""
    hsv = cv2.cvtColor(plate, cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-mix.hue_turn, mix.hue_turn) / 2) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(*mix.saturation), 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)


def draw_plate_type(rng: np.random.Generator, mix: PlateMix = PlateMix()) -> PlateType:
    """A row of the type table to render, by the shares of ``mix``."""
    rows = plate_types()
    pick = rng.random()
    if pick < mix.private:
        family = [row for row in rows if row.name == "private"]
    elif pick < mix.private + mix.one_line:
        family = [row for row in rows if row.line_count == 1 and row.name != "private"]
    else:
        family = [row for row in rows if row.line_count > 1]
    return family[int(rng.integers(0, len(family)))]


def _plate_quad(rng: np.random.Generator, cx: float, cy: float, width: float,
                aspect: float) -> np.ndarray:
    """Corners TL, TR, BR, BL of a plate seen at an angle (yaw, roll, a little pitch)."""
    yaw = np.radians(rng.uniform(-55, 55) if rng.random() < 0.5 else rng.uniform(-20, 20))
    w = width
    h = width / aspect / max(np.cos(yaw), 0.45) * rng.uniform(0.85, 1.1)
    near = 1 + abs(np.sin(yaw)) * rng.uniform(0.0, 0.25)  # nearer edge looks taller
    left_h, right_h = (h * near, h) if yaw < 0 else (h, h * near)
    pts = np.array([[-w / 2, -left_h / 2], [w / 2, -right_h / 2],
                    [w / 2, right_h / 2], [-w / 2, left_h / 2]], dtype=np.float32)
    pts[:, 0] += pts[:, 1] * rng.uniform(-0.15, 0.15)  # pitch shear
    if rng.random() < 0.5:
        # A yawed plate seen from above or below: top and bottom edges slope the same
        # way, so its box is much taller than the plate (a held-out close-up's corners
        # came out level and too small without this).
        pts[:, 1] += pts[:, 0] * np.sin(yaw) * rng.uniform(-0.6, 0.6)
    # Rolled like a tilted camera, a bent bracket or a car on a slope, so the corners of
    # rolled plates are learnt from plates whose quads are known.
    roll = np.radians(draw_roll(rng))
    rot = np.array([[np.cos(roll), -np.sin(roll)], [np.sin(roll), np.cos(roll)]], np.float32)
    return pts @ rot.T + np.array([cx, cy], dtype=np.float32)


def _paste(rng: np.random.Generator, canvas: np.ndarray, plate: np.ndarray,
           quad: np.ndarray) -> None:
    """Warp the plate onto the canvas at ``quad``, maybe inside a dark frame, blended softly."""
    h, w = canvas.shape[:2]
    if rng.random() < 0.5:
        centre = quad.mean(axis=0)
        grow = rng.uniform(1.04, 1.14)
        frame = ((quad - centre) * np.array([grow, grow + 0.08]) + centre).astype(np.int32)
        shade = int(rng.integers(5, 80)) if rng.random() < 0.8 else int(rng.integers(150, 230))
        cv2.fillConvexPoly(canvas, frame, (shade, shade, shade), cv2.LINE_AA)
    ph, pw = plate.shape[:2]
    # Warp and blend only the window around the quad: the rest of the canvas is untouched.
    x0, y0 = (max(0, int(np.floor(v)) - 1) for v in quad.min(axis=0))
    x1 = min(w, int(np.ceil(quad[:, 0].max())) + 2)
    y1 = min(h, int(np.ceil(quad[:, 1].max())) + 2)
    if x1 <= x0 or y1 <= y0:
        return
    src = _box_corners(0, 0, pw, ph)
    local = (quad - np.array([x0, y0], np.float32)).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, local)
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(plate, matrix, size, flags=cv2.INTER_AREA
                                 if pw > 2 * np.ptp(quad[:, 0]) else cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), matrix, size,
                               flags=cv2.INTER_LINEAR)[..., None]
    window = canvas[y0:y1, x0:x1]
    window[:] = (window * (1 - mask) + warped * mask).astype(np.uint8)


def _overlaps(box: np.ndarray, taken: list[np.ndarray]) -> bool:
    for other in taken:
        if (box[0] < other[2] and other[0] < box[2] and box[1] < other[3]
                and other[1] < box[3]):
            return True
    return False


def _quad_box(quad: np.ndarray, margin: float = 0.0) -> np.ndarray:
    return np.array([quad[:, 0].min() - margin, quad[:, 1].min() - margin,
                     quad[:, 0].max() + margin, quad[:, 1].max() + margin])


def _turned_photo(rng: np.random.Generator, bg: Background, turned: TurnedPhotos
                  ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """The photo, maybe turned about one of its plates, with every plate's quad (labelled
    ones in ``bg.boxes`` order, then the unknown ones) in its pixels."""
    labelled = [_box_corners(*b) for b in bg.boxes]
    unknown = [_box_corners(*b) for b in bg.unknown]
    if rng.random() >= turned.share:
        return bg.image, labelled, unknown
    img_h, img_w = bg.image.shape[:2]
    anchors = labelled or [_box_corners(0, 0, img_w, img_h)]
    centre = anchors[int(rng.integers(0, len(anchors)))].mean(axis=0)
    image, matrix = rotate_photo(bg.image, (float(centre[0]), float(centre[1])), turned.draw(rng))
    return (image, [turn_points(q, matrix) for q in labelled],
            [turn_points(q, matrix) for q in unknown])


def _real_scene(rng: np.random.Generator, bg: Background, h: int, w: int,
                turned: TurnedPhotos) -> Scene:
    """A random window of a training photo (maybe turned) holding all its labelled plates
    that stay inside it, letterboxed like serving."""
    image, labelled, unknown = _turned_photo(rng, bg, turned)
    img_h, img_w = image.shape[:2]
    known = bg.corners_known or (True,) * len(labelled)

    def inside(quad: np.ndarray) -> bool:
        cx, cy = quad.mean(axis=0)
        return 0 <= cx < img_w and 0 <= cy < img_h

    kept = [(q, k) for q, k in zip(labelled, known) if inside(q)]
    quads = [q for q, _ in kept]
    if quads:
        corners = np.concatenate(quads)
        need = np.array([max(0.0, corners[:, 0].min()), max(0.0, corners[:, 1].min()),
                         min(float(img_w), corners[:, 0].max()),
                         min(float(img_h), corners[:, 1].max())])
    else:
        need = np.array([img_w / 2, img_h / 2] * 2)
    frac = rng.uniform(0.45, 1.0) if rng.random() < 0.6 else 1.0
    win_w = img_w * frac
    win_h = min(img_h, win_w * rng.uniform(0.6, 1.0) * img_h / img_w)
    win_w = max(win_w, need[2] - need[0] + 4)
    win_h = max(win_h, need[3] - need[1] + 4)
    x0 = rng.uniform(max(0.0, need[2] - win_w), max(0.0, min(need[0], img_w - win_w)) + 1e-3)
    y0 = rng.uniform(max(0.0, need[3] - win_h), max(0.0, min(need[1], img_h - win_h)) + 1e-3)
    x0, y0 = int(max(0, x0)), int(max(0, y0))
    x1, y1 = int(min(img_w, x0 + win_w)), int(min(img_h, y0 + win_h))
    canvas, fit = letterbox(image[y0:y1, x0:x1], h, w)
    offset = np.array([x0, y0], np.float32)
    pad = np.array([fit.pad_x, fit.pad_y], np.float32)

    def place(quad: np.ndarray) -> np.ndarray:
        return (quad - offset) * fit.scale + pad

    return Scene(canvas, [place(q) for q, k in kept if k], [place(q) for q, k in kept if not k],
                 [place(q) for q in unknown])


def _photo_effects(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    # Gain, bias and gamma act per grey level: one 256-entry table, applied with cv2.LUT.
    levels = np.arange(256, dtype=np.float32) * rng.uniform(0.6, 1.3) + rng.uniform(-30, 30)
    if rng.random() < 0.3:
        gamma = rng.uniform(0.6, 1.6)
        levels = 255.0 * (np.clip(levels, 0, 255) / 255.0) ** gamma
    out = cv2.LUT(img, np.clip(levels, 0, 255).astype(np.uint8))
    if rng.random() < 0.35:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.4))
    elif rng.random() < 0.1:
        k = int(rng.integers(3, 8))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        out = cv2.filter2D(out, -1, kernel)
    if rng.random() < 0.4:
        noise = rng.standard_normal(out.shape, dtype=np.float32) * rng.uniform(2, 9)
        out = np.clip(out + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.1:
        out = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if rng.random() < 0.7:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 95))])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out


def _camera_condition(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """The scene under one of ``SCENE_CONDITIONS``, chosen and set at random."""
    name = SCENE_CONDITIONS[int(rng.integers(0, len(SCENE_CONDITIONS)))]
    if name == "motion_blur":
        return motion_blur(img, rng.uniform(*SCENE_BLUR_PX), rng.uniform(0, 180))
    out = CONDITIONS[name](img, rng)
    return out if out.ndim == 3 else cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)


def make_scene(rng: np.random.Generator, sources: Sources, height: int, width: int,
               turned: TurnedPhotos, condition_share: float = 0.0,
               mix: PlateMix = PlateMix()) -> Scene:
    """One training input (height x width BGR, letterboxed) and its plates; real photos
    are turned as ``turned`` says, ``condition_share`` of the scenes are put under a
    camera condition (no random draw for it when 0, so earlier stages' scenes stay as
    they were), and rendered plates are of the types ``mix`` draws."""
    roll = rng.random()
    scene = Scene(np.empty(0), [])
    if sources.backgrounds and roll < 0.5:
        bg = sources.backgrounds[int(rng.integers(0, len(sources.backgrounds)))]
        scene = _real_scene(rng, bg, height, width, turned)
        canvas = scene.image
        if rng.random() < mix.repaint:  # a rendered plate over each real one of known corners
            for quad in scene.quads:
                _paste(rng, canvas, _painted_over(rng, sources, canvas, quad, mix), quad)
        extra = int(rng.integers(0, 2))
    elif sources.backgrounds and roll < 0.75:
        # A zoomed patch of a real photo as plain background, its plates masked grey.
        bg = sources.backgrounds[int(rng.integers(0, len(sources.backgrounds)))]
        image = bg.image.copy()
        for x1, y1, x2, y2 in bg.boxes + bg.unknown:
            cv2.rectangle(image, (int(x1) - 3, int(y1) - 3), (int(x2) + 3, int(y2) + 3),
                          tuple(int(c) for c in image[int(y1), int(x1)]), -1)
        img_h, img_w = image.shape[:2]
        win_w = int(img_w * rng.uniform(0.3, 1.0))
        win_h = min(img_h, int(win_w * height / width))
        x0, y0 = int(rng.integers(0, img_w - win_w + 1)), int(rng.integers(0, img_h - win_h + 1))
        canvas = cv2.resize(image[y0:y0 + win_h, x0:x0 + win_w], (width, height),
                            interpolation=cv2.INTER_AREA)
        extra = int(rng.integers(1, 3))
    else:
        canvas = _procedural_background(rng, height, width)
        extra = int(rng.integers(0, 4))
    quads = scene.quads
    if rng.random() < 0.2:
        _text_clutter(rng, canvas, int(rng.integers(1, 4)))
    taken = [_quad_box(q, 6) for q in quads + scene.boxes_only + scene.unknown]
    if rng.random() < 0.25:
        grille = _grille_box(rng, height, width)
        if not _overlaps(np.array(grille, np.float32), taken):
            _grille(rng, canvas, grille)
    for _ in range(extra):
        for _attempt in range(8):
            low, high = SMALL_PLATE_W if rng.random() < SMALL_PLATE_SHARE else (
                MIN_PLATE_W, MAX_PLATE_W)
            plate_w = float(np.exp(rng.uniform(np.log(low), np.log(high))))
            plate = _plate_image(rng, sources, plate_w, mix)
            aspect = plate.shape[1] / plate.shape[0]
            cx, cy = rng.uniform(0, width), rng.uniform(0, height)
            quad = _plate_quad(rng, cx, cy, plate_w, aspect)
            box = _quad_box(quad, 6)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                continue
            if _overlaps(box, taken):
                continue
            if rng.random() < GRILLE_ABOVE_SHARE:
                grille = _grille_over_plate(rng, quad)
                if not _overlaps(np.array(grille, np.float32), taken):
                    _grille(rng, canvas, grille)
            _paste(rng, canvas, plate, quad)
            taken.append(box)
            quads.append(quad)
            break
    groups = [quads, scene.boxes_only, scene.unknown]
    if rng.random() < 0.15:  # letterbox bars as serving produces for odd aspect ratios
        bar = int(rng.integers(10, width // 5))
        side = rng.random() < 0.5
        groups = [[q for q in group if (q[:, 0].min() > bar if side
                                        else q[:, 0].max() < width - bar)] for group in groups]
        if side:
            canvas[:, :bar] = PAD_VALUE
        else:
            canvas[:, width - bar:] = PAD_VALUE
    if condition_share and rng.random() < condition_share:
        canvas = _camera_condition(rng, canvas)
    return Scene(_photo_effects(rng, canvas), *groups)
