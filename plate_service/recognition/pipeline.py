"""The recognition use case: images -> (detect) -> crop and straighten -> batched OCR -> plates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal, Protocol

import cv2
import numpy as np

from plate_service.recognition.calibration import IDENTITY, ConfidenceCalibration
from plate_service.recognition.candidate_search import plate_candidates
from plate_service.recognition.deskew import shear_matrix, upright_shear
from plate_service.recognition.plate_format import is_series, to_cyrillic
from plate_service.recognition.types import (
    Box,
    Candidate,
    Corners,
    Detection,
    ImageRecognition,
    OcrReading,
    PlateResult,
    RecognitionMode,
)

# A tight plate crop is much wider than tall (a Russian plate is 520x112 mm, 4.6:1);
# car photos are 4:3 or 16:9. Between the two lies a wide margin.
CROP_MIN_ASPECT = 2.2
# Width/height of the straightened plate handed to the reader.
RECTIFIED_SIZE = (260, 56)
# A whole-image reading is trusted only when valid and this sure: as the fallback on a
# scene, and in auto mode, where a plate-shaped image read with less is also searched
# with the detector. This and SCENE_MIN_CONFIDENCE apply to the reader's raw confidence,
# not the calibrated one the answer reports, so which plates are kept does not depend on
# the calibration.
FALLBACK_MIN_CONFIDENCE = 0.5
# A detected plate's reading is kept only when this sure: tail lights, badges and signs
# that the detector mistakes for plates often read as some valid format with low
# confidence (held-out real-dev scenes: false readings 0.59 -> 0.05 per image, 2 of 58
# exact readings lost; see models/detector/MODEL_CARD.md).
SCENE_MIN_CONFIDENCE = 0.5
# Margin added around detected corners, as a fraction of the plate height on each side:
# the OCR was trained on crops with a little border, and detected corners that cut
# into the last region digit cost readings (held-out exact readings 53 -> 61 of 67).
CORNER_PADDING = 0.12
# A detected plate is cut out with each of these margins and read three times (see
# ``best_reading``). Corners a few pixels off clip the small region digits in one framing
# and not in another. Chosen on the training-half scenes read by an OCR that never saw
# them (exact readings 40 -> 44 of 47, false readings 4 -> 2). Costs 25 -> 32 ms median
# per held-out scene photo (see models/detector/MODEL_CARD.md); tight crops are read once.
CORNER_PADDINGS = (0.05, CORNER_PADDING, 0.25)
# A detected plate read with less than this raw confidence (or read as no plate) gets a
# second look: the detector runs again on a window around it, turned so the plate is
# level and scaled so it is REFINE_PLATE_WIDTH model pixels wide, where its corners come
# out tighter than on a small or rolled plate in the whole photo.
REFINE_BELOW_CONFIDENCE = 0.9
# Only finds the detector was this sure of: tail lights and badges score lower, and
# each second look costs one more detector pass.
REFINE_MIN_SCORE = 0.5
# A plate read and reported, however surely, also gets a second look when rolled by
# this many degrees or more: the detector's corners of rolled plates are loose (it
# learnt real plates' corners from axis-aligned boxes) and clip the last region digit
# in every framing alike (177 read as 17 three times). Held-out scenes turned by +25
# degrees: 62 -> 63 of 67 exact, false readings 2 -> 1; with the second look at finds
# that read a series without region (``_deserves_second_look``) 64. Upright unchanged,
# about 1 ms more per ~1 MP photo.
REFINE_MIN_ROLL = 10.0
# At most this many second looks per image.
REFINE_MAX_PLATES = 2
# The window's size in pixels (the detector's own input size) and the plate's width in it.
REFINE_WINDOW = (512, 384)
REFINE_PLATE_WIDTH = 230.0
# A photo in which no plate was read, or a find the detector was sure of gave no plate,
# is searched again turned by each of these angles (degrees, counter-clockwise; borders
# reflected): the detector finds plates rolled by up to about 15 degrees best, so a plate
# rolled by 20-35 degrees becomes one it finds.
RESCAN_ANGLES = (20.0, -20.0)
# A photo in which still no plate was read, this many pixels or more on its longer side,
# is searched once more in TILE_GRID x TILE_GRID tiles that overlap by TILE_OVERLAP of
# their size: the detector sees the whole photo shrunk to 512 px wide, where a plate 80 px
# wide in a 1600 px dashcam frame is 26 px and often missed; in a tile it is twice that.
TILE_MIN_SIDE = 768
TILE_GRID = 2
TILE_OVERLAP = 0.15


class PlateReaderLike(Protocol):
    """What the pipeline needs from the OCR model."""

    def read(self, crops: Sequence[np.ndarray]) -> list[OcrReading]: ...


class PlateDetectorLike(Protocol):
    """What the pipeline needs from the plate detector."""

    def detect(self, image: np.ndarray) -> list[Detection]: ...


def looks_like_plate_crop(image: np.ndarray) -> bool:
    """True when the whole image is shaped like a single plate rather than a photo."""
    height, width = image.shape[:2]
    return width >= CROP_MIN_ASPECT * height


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four plate corners as TL, TR, BR, BL of the plate itself, whatever their order.

    The corners are sorted clockwise on screen about their centre, which makes the quad
    convex; the first is the one whose edge to the next runs furthest rightwards, the top
    edge of a plate wider than tall rolled by up to about 75 degrees either way (a plate's
    bottom edge runs leftwards in that order, its short sides mostly up or down).
    """
    quad = np.asarray(points, dtype=np.float32).reshape(4, 2)
    centre = quad.mean(axis=0)
    clockwise = quad[np.argsort(np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0]))]
    rightwards = np.roll(clockwise[:, 0], -1) - clockwise[:, 0]
    return np.roll(clockwise, -int(np.argmax(rightwards)), axis=0)


def _pad_quad(quad: np.ndarray, padding: float) -> np.ndarray:
    """Grow a TL, TR, BR, BL quad by ``padding`` x its height on every side, along its axes."""
    across = ((quad[1] - quad[0]) + (quad[2] - quad[3])) / 2
    down = ((quad[3] - quad[0]) + (quad[2] - quad[1])) / 2
    margin = padding * float(np.linalg.norm(down))
    a = across * (margin / max(float(np.linalg.norm(across)), 1e-3))
    b = down * padding
    return np.array([quad[0] - a - b, quad[1] + a - b, quad[2] + a + b, quad[3] - a + b],
                    dtype=np.float32)


def cut_plate(image: np.ndarray, detection: Detection, padding: float = CORNER_PADDING,
              shear: float = 0.0) -> np.ndarray:
    """Cut a detected plate out of the photo, straightened when corners are known, and
    then sheared by ``shear`` (see ``deskew``) in the same warp."""
    if detection.corners is not None and len(detection.corners) == 4:
        source = _pad_quad(order_corners(np.asarray(detection.corners)), padding)
        width, height = RECTIFIED_SIZE
        target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
        matrix = shear_matrix(shear, height) @ cv2.getPerspectiveTransform(source, target)
        return cv2.warpPerspective(image, matrix, RECTIFIED_SIZE, flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)
    x1, y1, x2, y2 = detection.box
    return image[max(y1, 0):max(y2, y1 + 1), max(x1, 0):max(x2, x1 + 1)]


def box_corners(box: Box) -> Corners:
    """The corners of an axis-aligned box, TL, TR, BR, BL."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return ((x1, y1), (x2, y1), (x2, y2), (x1, y2))


def plate_roll(corners: Corners) -> float:
    """The plate's roll in degrees (counter-clockwise positive), from its top and bottom
    edges."""
    (tl, tr, br, bl) = (np.asarray(c, dtype=np.float64) for c in corners)
    along = (tr - tl) + (br - bl)
    return float(np.degrees(np.arctan2(-along[1], along[0])))


def level_window(image: np.ndarray, corners: Corners) -> tuple[np.ndarray, np.ndarray]:
    """A REFINE_WINDOW view of the photo around a plate, turned so the plate is level and
    scaled so it is REFINE_PLATE_WIDTH pixels wide; also the 2x3 matrix from the window's
    pixels back to the photo's."""
    quad = np.asarray(corners, dtype=np.float64)
    centre = quad.mean(axis=0)
    width = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    scale = REFINE_PLATE_WIDTH / max(float(width), 1.0)
    window_w, window_h = REFINE_WINDOW
    to_window = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])),
                                        -plate_roll(corners), scale)
    to_window[:, 2] += (window_w / 2 - centre[0], window_h / 2 - centre[1])
    window = cv2.warpAffine(image, to_window, REFINE_WINDOW, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    return window, cv2.invertAffineTransform(to_window)


def refine_detection(image: np.ndarray, detection: Detection,
                     detector: PlateDetectorLike) -> Detection | None:
    """The plate found again in a level, enlarged window around ``detection``, in the
    photo's pixels; None when the detector finds nothing near the window's centre."""
    corners = _detection_corners(detection)
    window, back = level_window(image, corners)
    centre = np.array(REFINE_WINDOW, dtype=np.float64) / 2
    near = [d for d in detector.detect(window)
            if d.corners is not None and len(d.corners) == 4
            and d.box[0] <= centre[0] <= d.box[2] and d.box[1] <= centre[1] <= d.box[3]]
    if not near:
        return None
    height, width = image.shape[:2]
    found = _mapped(max(near, key=lambda d: d.score), back, width, height)
    return None if found is None else replace(found, score=detection.score)


def plate_framings(image: np.ndarray, detection: Detection,
                   paddings: Sequence[float] = CORNER_PADDINGS) -> list[np.ndarray]:
    """The cuts a detected plate is read from: one per margin, or the box alone.

    Each is cut with its glyphs set upright (``deskew``), by the shear measured on the
    cut with the middle margin. Held-out scenes turned by -25..+25 degrees: 65 / 64 / 66
    / 63 / 61 -> 66 / 67 / 67 / 65 / 62 of 67 exact, false readings 9 -> 4 in all.
    """
    if detection.corners is None or len(detection.corners) != 4:
        return [cut_plate(image, detection)]
    shear = upright_shear(cut_plate(image, detection))
    return [cut_plate(image, detection, padding, shear) for padding in paddings]


def best_reading(readings: Sequence[OcrReading]) -> OcrReading:
    """The reading of one plate that its framings support most; the first if none is valid.

    Each valid text scores the sum of its readings' confidences, so two framings that
    agree outvote one that is a little surer of something else (a clipped digit is often
    read with confidence). The winner keeps its most confident reading. Over seven OCR
    trainings, each on scenes it never saw, voting instead of taking the single surest
    reading gave 3 more exact readings and 3 fewer false ones, and was worse for none.

    A cut that clips the last digit of a 3-digit region reads a valid 2-digit one (177 as
    17), and rolled plates' corners clip it in most framings; so a reading with a 3-digit
    region also gets the support of the same text without its last digit. Held-out sweep
    -25..+25 degrees: 65 / 67 / 67 / 65 / 62 -> 66 / 67 / 67 / 65 / 62 of 67 exact (at +25
    it rescues one plate and loses one whose widest cut read a stray digit after the
    region).
    """
    valid = [reading for reading in readings if reading.valid]
    if not valid:
        return readings[0]
    support: dict[str, float] = {}
    for reading in valid:
        support[reading.text_latin] = support.get(reading.text_latin, 0.0) + reading.confidence
    for reading in valid:
        clipped = reading.text_latin[:-1]
        if len(reading.region or "") == 3 and support.get(clipped):
            support[reading.text_latin] += support[clipped]
            support[clipped] = 0.0
    winner = max(support, key=lambda text: support[text])
    return max((r for r in valid if r.text_latin == winner), key=lambda r: r.confidence)


def _mapped(detection: Detection, matrix: np.ndarray, width: int, height: int
            ) -> Detection | None:
    """A detection with corners, moved by a 2x3 affine ``matrix`` into a width x height
    photo; None without corners or when its centre falls outside the photo."""
    if detection.corners is None or len(detection.corners) != 4:
        return None
    points = np.asarray(detection.corners, dtype=np.float64) @ matrix[:, :2].T + matrix[:, 2]
    cx, cy = points.mean(axis=0)
    if not (0 <= cx < width and 0 <= cy < height):
        return None
    points[:, 0] = np.clip(points[:, 0], 0, width - 1)
    points[:, 1] = np.clip(points[:, 1], 0, height - 1)
    box = (int(np.floor(points[:, 0].min())), int(np.floor(points[:, 1].min())),
           int(np.ceil(points[:, 0].max())) + 1, int(np.ceil(points[:, 1].max())) + 1)
    return Detection(box=box, score=detection.score,
                     corners=tuple((float(x), float(y)) for x, y in points))


def _add_finds(finds: list[Detection], detections: Sequence[Detection], matrix: np.ndarray,
               width: int, height: int) -> None:
    """Add ``detections``, moved into the photo by ``matrix`` (see ``_mapped``), to
    ``finds``, but none whose centre lies in a find already there."""
    for detection in detections:
        found = _mapped(detection, matrix, width, height)
        if found is not None and not any(_holds(kept.box, found) for kept in finds):
            finds.append(found)


def _holds(box: Box, detection: Detection) -> bool:
    """Whether ``box`` contains the centre of ``detection``'s box."""
    x1, y1, x2, y2 = detection.box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _reads_surely(reading: OcrReading) -> bool:
    return reading.valid and reading.confidence >= REFINE_BELOW_CONFIDENCE


def _deserves_second_look(detection: Detection, readings: Sequence[OcrReading]) -> bool:
    """Whether a find's corners are worth finding again (``refine_detection``).

    A find the detector was sure of, read unsurely; a plate that will be reported but is
    rolled (REFINE_MIN_ROLL); or, whatever the detector's score, a find that some framing
    surely reads as a plate's series with no region after it: its corners stopped short
    of the region.
    """
    best = best_reading(readings)
    if detection.score >= REFINE_MIN_SCORE and not _reads_surely(best):
        return True
    if (best.valid and best.confidence >= SCENE_MIN_CONFIDENCE
            and abs(plate_roll(_detection_corners(detection))) >= REFINE_MIN_ROLL):
        return True
    return any(reading.confidence >= SCENE_MIN_CONFIDENCE and is_series(reading.text_latin)
               for reading in readings)


def _may_miss_plates(result: ImageRecognition, finds: Sequence[Detection]) -> bool:
    """Whether a photo read as a scene may hold a plate it did not read: none was read,
    or the detector was sure of a find (REFINE_MIN_SCORE) that gave no plate. A plate
    rolled past what the detector finds well is often such a find, or none at all."""
    if result.mode != "scene":
        return False
    return not result.plates or any(
        find.score >= REFINE_MIN_SCORE and not any(_holds(plate.box, find)
                                                   for plate in result.plates)
        for find in finds)


def _best_first(plates: Sequence[PlateResult]) -> tuple[PlateResult, ...]:
    """Valid readings first, then by confidence: the order of every answer's plates."""
    return tuple(sorted(plates, key=lambda plate: (plate.reading.valid, plate.reading.confidence),
                        reverse=True))


def _is_sure(result: ImageRecognition) -> bool:
    """True when an image read whole gave a valid plate at least FALLBACK_MIN_CONFIDENCE sure."""
    best = result.best
    return (best is not None and best.reading.valid
            and best.reading.confidence >= FALLBACK_MIN_CONFIDENCE)


class PlateRecognizer:
    """Reads every plate in a batch of decoded images with one batched OCR call.

    The detector is optional: without one, every image is read as a tight crop. Both
    models are injected, so tests can pass fakes and the service can pass ONNX models.
    ``calibration`` maps the reader's raw confidence to the reported one (the identity by
    default). Stateless per call, hence safe to share across the worker threads.
    """

    def __init__(self, reader: PlateReaderLike, detector: PlateDetectorLike | None = None,
                 corner_paddings: Sequence[float] = CORNER_PADDINGS,
                 calibration: ConfidenceCalibration = IDENTITY) -> None:
        if not corner_paddings:
            raise ValueError("at least one corner padding is needed")
        self._reader = reader
        self._detector = detector
        self._corner_paddings = tuple(corner_paddings)
        self._calibration = calibration

    @property
    def has_detector(self) -> bool:
        return self._detector is not None

    def recognize(
        self, images: Sequence[np.ndarray], mode: RecognitionMode = "auto"
    ) -> list[ImageRecognition]:
        """Recognise plates on each image; results come back in input order.

        Auto mode never gives up on an image: a plate-shaped image whose whole reading is
        not a valid plate, or is unsure, is also searched with the detector whatever its
        aspect (a wide dashcam frame, a loose crop), and the scene's answer replaces it
        when it found a plate.
        """
        plans = [self._plan(image, mode) for image in images]
        results = self._read(images, plans)
        if self._detector is None:
            return results
        finds_of = [detections for _, detections in plans]  # what each answer was read from
        if mode == "auto":
            unsure = [i for i, (plan, result) in enumerate(zip(plans, results))
                      if plan[0] == "crop" and not _is_sure(result)]
            if unsure:
                searches = [self._detector.detect(images[i]) for i in unsure]
                searched = self._read([images[i] for i in unsure],
                                      [("scene", finds) for finds in searches])
                for i, finds, scene in zip(unsure, searches, searched):
                    if scene.plates:
                        results[i], finds_of[i] = scene, finds
        # Photos that may hold a plate not read (see _may_miss_plates), with what the
        # turned search finds there apart from the plates read; only those with such
        # finds are read again, and the plates read there join the photo's.
        turned_finds = {i: [find for find in self._turned_finds(images[i])
                            if not any(_holds(plate.box, find) for plate in result.plates)]
                        for i, result in enumerate(results)
                        if _may_miss_plates(result, finds_of[i])}
        for i, scene in self._read_finds(images, turned_finds).items():
            results[i] = replace(results[i], plates=_best_first(
                results[i].plates + scene.plates))
        # Large photos still without a plate, searched tile by tile (TILE_MIN_SIDE).
        tiled_finds = {i: self._tiled_finds(images[i]) for i, result in enumerate(results)
                       if result.mode == "scene" and not result.plates
                       and max(images[i].shape[:2]) >= TILE_MIN_SIDE}
        for i, scene in self._read_finds(images, tiled_finds).items():
            results[i] = scene
        return results

    def _read_finds(self, images: Sequence[np.ndarray], finds: dict[int, list[Detection]]
                    ) -> dict[int, ImageRecognition]:
        """Read image ``i`` as a scene with the plates ``finds[i]``, each image that has
        some, in one batch; the scenes that gave plates, by image index."""
        again = [i for i, found in finds.items() if found]
        if not again:
            return {}
        scenes = self._read([images[i] for i in again], [("scene", finds[i]) for i in again])
        return {i: scene for i, scene in zip(again, scenes) if scene.plates}

    def _tiled_finds(self, image: np.ndarray) -> list[Detection]:
        """Plates the detector finds in TILE_GRID x TILE_GRID overlapping tiles of the
        photo, spread from edge to edge, in the photo's pixels; one find per plate."""
        assert self._detector is not None
        height, width = image.shape[:2]
        tile_w = min(width, round(width / TILE_GRID * (1 + TILE_OVERLAP)))
        tile_h = min(height, round(height / TILE_GRID * (1 + TILE_OVERLAP)))
        finds: list[Detection] = []
        for row in range(TILE_GRID):
            for column in range(TILE_GRID):
                x0 = round(column * (width - tile_w) / max(TILE_GRID - 1, 1))
                y0 = round(row * (height - tile_h) / max(TILE_GRID - 1, 1))
                back = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0]])
                tile = image[y0:y0 + tile_h, x0:x0 + tile_w]
                _add_finds(finds, self._detector.detect(tile), back, width, height)
        return finds

    def _turned_finds(self, image: np.ndarray) -> list[Detection]:
        """Plates the detector finds on the photo turned by each of RESCAN_ANGLES, with
        their corners mapped back to the photo; one find per plate."""
        assert self._detector is not None
        height, width = image.shape[:2]
        finds: list[Detection] = []
        for angle in RESCAN_ANGLES:
            turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
            turned = cv2.warpAffine(image, turn, (width, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REFLECT_101)
            _add_finds(finds, self._detector.detect(turned),
                       cv2.invertAffineTransform(turn), width, height)
        return finds

    def _read(
        self,
        images: Sequence[np.ndarray],
        plans: Sequence[tuple[Literal["crop", "scene"], list[Detection]]],
    ) -> list[ImageRecognition]:
        """Read the planned images: each whole, and each detected plate in its framings,
        in one batched OCR call."""
        crops: list[np.ndarray] = []
        framings: list[list[int]] = []  # per image: how many cuts of each detected plate
        for image, (_, detections) in zip(images, plans):
            crops.append(image)  # whole image: the crop reading, or the scene fallback
            counts = []
            for detection in detections:
                cuts = plate_framings(image, detection, self._corner_paddings)
                crops.extend(cuts)
                counts.append(len(cuts))
            framings.append(counts)
        readings = iter(self._reader.read(crops) if crops else [])
        wholes: list[OcrReading] = []
        found: list[list[list[OcrReading]]] = []  # per image, per plate: its framings' readings
        for counts in framings:
            wholes.append(next(readings))
            found.append([[next(readings) for _ in range(count)] for count in counts])
        plates = self._second_look(images, [list(d) for _, d in plans], found)
        return [self._assemble(image, image_mode, whole, detections,
                               [best_reading(plate) for plate in plate_readings])
                for image, (image_mode, _), whole, detections, plate_readings
                in zip(images, plans, wholes, plates, found)]

    def _second_look(self, images: Sequence[np.ndarray], detections: list[list[Detection]],
                     found: list[list[list[OcrReading]]]) -> list[list[Detection]]:
        """Look again at the plates read unsurely (see REFINE_BELOW_CONFIDENCE): each is
        found anew in a level, enlarged window, cut from the photo by the new corners and
        read in each framing; those readings join the plate's first ones in the vote
        (``best_reading``), and the plate keeps the new corners when a new reading wins.
        ``found`` is extended in place; returns the detections, refined where so."""
        if self._detector is None:
            return detections
        crops: list[np.ndarray] = []
        todo: list[tuple[int, int, Detection, int]] = []
        for i, (image, plate_detections) in enumerate(zip(images, detections)):
            unsure = [k for k, (detection, readings) in
                      enumerate(zip(plate_detections, found[i]))
                      if _deserves_second_look(detection, readings)][:REFINE_MAX_PLATES]
            for k in unsure:
                refined = refine_detection(image, plate_detections[k], self._detector)
                if refined is None:
                    continue
                cuts = plate_framings(image, refined, self._corner_paddings)
                crops.extend(cuts)
                todo.append((i, k, refined, len(cuts)))
        if not crops:
            return detections
        readings = iter(self._reader.read(crops))
        for i, k, refined, count in todo:
            again = [next(readings) for _ in range(count)]
            found[i][k] = found[i][k] + again
            winner = best_reading(found[i][k])
            if any(reading is winner for reading in again):
                detections[i][k] = refined
        return detections

    def _plan(
        self, image: np.ndarray, mode: RecognitionMode
    ) -> tuple[Literal["crop", "scene"], list[Detection]]:
        if self._detector is None or mode == "crop":
            return "crop", []
        if mode == "auto" and looks_like_plate_crop(image):
            return "crop", []
        return "scene", self._detector.detect(image)

    def _assemble(
        self,
        image: np.ndarray,
        mode: Literal["crop", "scene"],
        whole: OcrReading,
        detections: Sequence[Detection],
        found: Sequence[OcrReading],
    ) -> ImageRecognition:
        height, width = image.shape[:2]
        full_box = (0, 0, width, height)
        plates: list[PlateResult] = []
        if mode == "crop":
            if whole.text:
                plates.append(self._report(whole, full_box, box_corners(full_box), None, "crop"))
        else:
            plates.extend(
                self._report(reading, detection.box, _detection_corners(detection),
                             detection.score, "scene")
                for detection, reading in zip(detections, found)
                if reading.valid and reading.confidence >= SCENE_MIN_CONFIDENCE
            )
            if not plates and whole.valid and whole.confidence >= FALLBACK_MIN_CONFIDENCE:
                # Nothing detected, yet the whole image reads as a plate: a loose crop.
                plates.append(self._report(whole, full_box, box_corners(full_box), None, "crop"))
        return ImageRecognition(width=width, height=height, plates=_best_first(plates),
                                mode=mode)

    def _report(self, reading: OcrReading, box: Box, corners: Corners,
                detection_score: float | None, source: Literal["crop", "scene"]
                ) -> PlateResult:
        """A plate the answer reports: calibrated confidence and candidates, listed here
        and not for every framing read, since the search costs as much as a tenth of
        reading a crop. The CTC output is dropped so that results stay small in the cache.
        """
        candidates: tuple[Candidate, ...] = ()
        if reading.ctc is not None:
            if reading.valid:
                candidates = tuple(
                    Candidate(to_cyrillic(text), text, probability)
                    for text, probability in plate_candidates(reading.ctc, reading.text_latin))
            reading = replace(reading, ctc=None)
        return PlateResult(reading, box, detection_score, source, corners,
                           self._calibration.apply(reading.confidence), candidates)


def _detection_corners(detection: Detection) -> Corners:
    """The detector's corners of a plate, or its box's when it gave none."""
    if detection.corners is not None and len(detection.corners) == 4:
        tl, tr, br, bl = detection.corners
        return (tl, tr, br, bl)
    return box_corners(detection.box)
