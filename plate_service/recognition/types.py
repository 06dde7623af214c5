"""Frozen value types that leave the recognition core; no arrays or raw dicts cross it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from plate_service.recognition.candidate_search import CtcOutput

Box = tuple[int, int, int, int]
"""(x1, y1, x2, y2) in pixels of the original image, x2/y2 exclusive."""

Corners = tuple[tuple[float, float], tuple[float, float], tuple[float, float],
                tuple[float, float]]
"""A plate's corners (x, y): top-left, top-right, bottom-right, bottom-left, in pixels."""

RecognitionMode = Literal["auto", "crop", "scene"]
MODES: tuple[str, ...] = get_args(RecognitionMode)
# What an image is taken for when the caller does not say: the API's, the CLI's and the
# evals' default, so that the figures are what a user gets without choosing.
DEFAULT_MODE: RecognitionMode = "auto"


class PlateFormat(str, Enum):
    """The API names of the GOST plate types, one member per row of ``plate_types.json``.

    The rows hold each type's pattern, layout, size and colours; the enum exists so that
    code can name them, and a test keeps it to the table's names in the table's order.
    Which of them a reader reads, its OCR card says (``plate_format.PlateFormats``).
    """

    PRIVATE = "private"  # type 1
    TYPE_1A = "type_1a"  # type 1А
    TAXI = "taxi"  # type 1Б
    TRAILER = "trailer"  # type 2
    TRACTOR = "tractor"  # type 3
    MOTORCYCLE = "motorcycle"  # type 4
    OFFROAD_MOTORCYCLE = "offroad_motorcycle"  # type 4А
    MOPED = "moped"  # type 4Б
    MILITARY = "military"  # type 5
    MILITARY_TRAILER = "military_trailer"  # type 6
    MILITARY_TRACTOR = "military_tractor"  # type 7
    MILITARY_MOTORCYCLE = "military_motorcycle"  # type 8
    DIPLOMATIC = "diplomatic"  # type 9
    DIPLOMATIC_STAFF = "diplomatic_staff"  # type 10
    DIPLOMATIC_MOTORCYCLE = "diplomatic_motorcycle"  # type 11
    TRANSIT = "transit"  # type 15
    POLICE = "police"  # type 20
    POLICE_TRAILER = "police_trailer"  # type 21
    POLICE_MOTORCYCLE = "police_motorcycle"  # type 22


@dataclass(frozen=True)
class OcrReading:
    """What the OCR model read on one plate crop.

    ``text`` is Cyrillic, ``text_latin`` the same with Latin look-alikes.
    ``plate_format`` is None when no format could be matched; then ``text`` is the
    unconstrained greedy reading and ``valid`` is False. ``text`` runs in reading order,
    top line first, with the Latin letters the plate prints (D of a diplomatic plate) kept
    Latin. ``lines`` is how many lines the cut read had (a two-line plate is read with its
    lines side by side, see ``plate_lines``); a find shaped like a two-line plate that the
    reader cannot read as one has ``lines`` 2 and no format (``read.unread_shape``).
    ``series`` says the text is the part before the region of a one-line format: a cut
    that stopped short of the region.
    """

    text: str
    text_latin: str
    confidence: float
    char_confidences: tuple[float, ...]
    plate_format: PlateFormat | None
    region: str | None
    raw_text_latin: str
    lines: int = 1
    series: bool = False
    # The model's output behind this reading, kept only until the pipeline has listed the
    # alternative readings of the plates it reports (see ``PlateResult.candidates``).
    ctc: CtcOutput | None = field(default=None, repr=False, compare=False)

    @property
    def valid(self) -> bool:
        return self.plate_format is not None


@dataclass(frozen=True)
class Candidate:
    """One reading of a plate that fits a GOST format, with its probability under the OCR
    model (summed over the CTC alignments that spell it)."""

    text: str
    text_latin: str
    probability: float


@dataclass(frozen=True)
class Detection:
    """A plate the detector found: a box, a score, and optionally its 4 corners.

    ``corners`` run top-left, top-right, bottom-right, bottom-left, in original image
    pixels, so the crop can be straightened before reading. ``faint`` marks a find
    scored under the detector card's threshold: it may only be read as a plate of the
    field colours ``find.FAINT_FIELDS``.
    """

    box: Box
    score: float
    corners: tuple[tuple[float, float], ...] | None = None
    faint: bool = False


@dataclass(frozen=True)
class PlateResult:
    """One plate found in an image: where it is and what it says.

    ``confidence`` is the reading's confidence mapped through the OCR model's calibration
    (see ``calibration.py``): the share of plates reported with at least this confidence
    that were read right on held-out images. ``reading.confidence`` stays the raw value.
    ``candidates`` lists up to ``MAX_CANDIDATES`` readings that fit a format, ``text``
    first; empty when the reading fits none.
    """

    reading: OcrReading
    box: Box
    detection_score: float | None
    source: Literal["crop", "scene"]
    corners: Corners
    confidence: float
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class ImageRecognition:
    """Everything recognised in one image, plates sorted by confidence (best first)."""

    width: int
    height: int
    plates: tuple[PlateResult, ...]
    mode: Literal["crop", "scene"]

    @property
    def best(self) -> PlateResult | None:
        return self.plates[0] if self.plates else None
