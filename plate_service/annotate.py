"""Draw what recognition found on the image: each plate's outline and its reading.

Used by the service (``?format=jpeg``) and the CLI (``read --draw``); numpy and OpenCV
only, so it knows nothing of HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from plate_service.recognition.plate_lines import line_texts
from plate_service.recognition.plate_types import by_name
from plate_service.recognition.types import ImageRecognition, PlateResult

# BGR. Green for a reading that fits a GOST format, orange for one that fits none.
VALID_COLOUR = (60, 200, 40)
INVALID_COLOUR = (0, 150, 255)
INK = (0, 0, 0)
# Where the canvas grew beyond the image, to make room for a label or an outline.
MARGIN_COLOUR = (48, 48, 48)
# OpenCV's Hershey fonts draw ASCII only. Every letter a Russian plate may carry
# (А В Е К М Н О Р С Т У Х) has a Latin look-alike, so the Latin reading shows the
# plate exactly as it looks.
FONT = cv2.FONT_HERSHEY_SIMPLEX
# Label text height: this fraction of the image's longer side, never under MIN_TEXT_PX,
# so a label stays legible on a 260x56 crop and on a 4000x3000 photo shown scaled down.
TEXT_FRACTION = 0.03
MIN_TEXT_PX = 14
JPEG_QUALITY = 90


@dataclass(frozen=True)
class _Style:
    """Sizes that follow the image's size."""

    font_scale: float
    text_thickness: int
    line: int  # outline thickness
    pad: int  # space between a label's edge and its text

    @property
    def reach(self) -> int:
        """How far a centred outline spills past the polygon it is drawn on."""
        return self.line // 2 + 1


@dataclass(frozen=True)
class _Label:
    """A reading's tag, one text row per row of ``lines``: top-left corner in image pixels
    (negative: outside the image)."""

    lines: tuple[str, ...]
    x: int
    y: int
    width: int
    height: int
    text_height: int
    row_height: int


def _style(width: int, height: int) -> _Style:
    """Text, line and padding sizes for an image of this size (see TEXT_FRACTION)."""
    longer = max(width, height)
    text_px = max(MIN_TEXT_PX, TEXT_FRACTION * longer)
    (_, unit_height), _ = cv2.getTextSize("0", FONT, 1.0, 1)
    return _Style(font_scale=text_px / unit_height,
                  text_thickness=max(1, round(text_px / 12)),
                  line=max(2, round(longer / 300)),
                  pad=max(2, round(text_px / 4)))


def plate_outline(plate: PlateResult, width: int, height: int) -> np.ndarray:
    """The plate's polygon in image pixels: the detector's corners, or a crop's whole box.

    Points are kept inside the image, so a corner the detector placed beyond the edge
    (or a box's exclusive right and bottom edges) does not grow the canvas.
    """
    points = np.asarray(plate.corners, dtype=np.float64)
    points[:, 0] = np.clip(points[:, 0], 0, width - 1)
    points[:, 1] = np.clip(points[:, 1], 0, height - 1)
    return np.round(points).astype(np.int32)


def label_text(plate: PlateResult) -> tuple[str, ...]:
    """What a plate's tag says: its Latin reading and confidence; a two-line plate's
    reading in its two lines, as the plate shows it, so that a long joined text does not
    stretch the tag of a small square plate."""
    reading = plate.reading
    confidence = f"  {plate.confidence:.2f}"
    if reading.lines == 2 and reading.plate_format is not None and reading.region:
        *top, bottom = line_texts(by_name(reading.plate_format.value), reading.text_latin,
                                  len(reading.region))
        return (*top, bottom + confidence)
    return (reading.text_latin + confidence,)


def _place_label(lines: tuple[str, ...], outline: np.ndarray, style: _Style, width: int,
                 height: int) -> _Label:
    """Above the plate if there is room, else below it, else above it outside the image.

    The last case is a plate that fills the image's height (a crop from the upstream):
    its label goes on a band the canvas grows for it, never over the characters.
    """
    sizes = [cv2.getTextSize(line, FONT, style.font_scale, style.text_thickness)
             for line in lines]
    text_height = max(size[0][1] for size in sizes)
    row_height = text_height + max(size[1] for size in sizes) + style.pad
    label_width = max(size[0][0] for size in sizes) + 2 * style.pad
    label_height = len(lines) * row_height + style.pad
    above = int(outline[:, 1].min()) - style.reach - label_height
    below = int(outline[:, 1].max()) + style.reach + 1
    y = below if above < 0 and below + label_height <= height else above
    x = min(max(int(outline[:, 0].min()) - style.reach, 0), max(width - label_width, 0))
    return _Label(lines, x, y, label_width, label_height, text_height, row_height)


def annotate(image: np.ndarray, recognition: ImageRecognition) -> np.ndarray:
    """A BGR copy of ``image`` with every plate outlined and labelled with its reading.

    The canvas grows (in ``MARGIN_COLOUR``) where a label or an outline would not fit
    inside the image; otherwise it keeps the image's size and pixel positions.
    """
    canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
    height, width = canvas.shape[:2]
    style = _style(width, height)
    outlines = [plate_outline(plate, width, height) for plate in recognition.plates]
    labels = [_place_label(label_text(plate), outline, style, width, height)
              for plate, outline in zip(recognition.plates, outlines)]
    reach = style.reach
    left = max([0] + [reach - int(o[:, 0].min()) for o in outlines] + [-lb.x for lb in labels])
    top = max([0] + [reach - int(o[:, 1].min()) for o in outlines] + [-lb.y for lb in labels])
    right = max([0] + [int(o[:, 0].max()) + reach + 1 - width for o in outlines]
                + [lb.x + lb.width - width for lb in labels])
    bottom = max([0] + [int(o[:, 1].max()) + reach + 1 - height for o in outlines]
                 + [lb.y + lb.height - height for lb in labels])
    if left or top or right or bottom:
        canvas = cv2.copyMakeBorder(canvas, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                    value=MARGIN_COLOUR)
    offset = np.array([left, top], dtype=np.int32)
    # Weakest first, so the best plate's outline and label end up on top.
    drawn = list(zip(recognition.plates, outlines, labels))[::-1]
    for plate, outline, _ in drawn:
        cv2.polylines(canvas, [outline + offset], True, _colour(plate), style.line,
                      cv2.LINE_AA)
    for plate, _, label in drawn:
        x, y = label.x + left, label.y + top
        cv2.rectangle(canvas, (x, y), (x + label.width - 1, y + label.height - 1),
                      _colour(plate), -1)
        for row, line in enumerate(label.lines):
            baseline_y = y + style.pad + label.text_height + row * label.row_height
            cv2.putText(canvas, line, (x + style.pad, baseline_y), FONT, style.font_scale, INK,
                        style.text_thickness, cv2.LINE_AA)
    return canvas


def _colour(plate: PlateResult) -> tuple[int, int, int]:
    return VALID_COLOUR if plate.reading.valid else INVALID_COLOUR


def encode_jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG bytes of a BGR image."""
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # only for arrays OpenCV cannot encode: a bug, not a client's fault
        raise RuntimeError(f"JPEG encoding failed for an array of shape {image.shape}")
    return bytes(data.tobytes())


def annotated_jpeg(image: np.ndarray, recognition: ImageRecognition) -> bytes:
    """``annotate`` then JPEG: the body of a ``?format=jpeg`` answer."""
    return encode_jpeg(annotate(image, recognition))
