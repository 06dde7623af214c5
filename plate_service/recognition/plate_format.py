"""The plate alphabet and the GOST R 50577 one-line formats: which texts are plates."""

from __future__ import annotations

import re
from dataclasses import dataclass

from plate_service.recognition.plate_types import PlateType, plate_type
from plate_service.recognition.regions import region_names
from plate_service.recognition.types import PlateFormat

LETTERS_LATIN = "ABEKMHOPCTYX"
LETTERS_CYRILLIC = "АВЕКМНОРСТУХ"
DIGITS = "0123456789"
# Index 0 is the CTC blank; the model's output classes are BLANK + ALPHABET in this order.
ALPHABET = DIGITS + LETTERS_LATIN
BLANK_INDEX = 0
NUM_CLASSES = len(ALPHABET) + 1

_LATIN_TO_CYRILLIC = str.maketrans(LETTERS_LATIN, LETTERS_CYRILLIC)
_CYRILLIC_TO_LATIN = str.maketrans(LETTERS_CYRILLIC, LETTERS_LATIN)

# Real region codes in use: the ones the data file names a subject for (it names its source).
REGIONS = frozenset(region_names())
REGIONS_2 = frozenset(code for code in REGIONS if len(code) == 2)
REGIONS_3 = frozenset(code for code in REGIONS if len(code) == 3)
# What a 3-digit region can start with: the decoders prune every other first digit.
REGION3_FIRST_DIGITS = "".join(sorted({code[0] for code in REGIONS_3}))

# The GOST types (plate_types.json) the decoders keep to: the ones today's OCR model reads,
# one-line plates whose pattern has no fixed letters. The OCR card lists the types its
# weights read (``decoding.plate_types``) and is refused unless it lists exactly these.
# Order matters: ``match_format`` tries them in turn, private plates first.
DECODER_PLATE_TYPES: tuple[str, ...] = ("1", "1Б", "2", "20", "15")


def _main_pattern(row: PlateType) -> str:
    """A one-line type's pattern as the decoders spell it: L (letter) / D (digit)."""
    if row.line_count != 1 or any(slot.kind == "fixed" for slot in row.slots):
        raise ValueError(f"the decoders read no type {row.gost_type} plate ({row.pattern!r})")
    return "".join("L" if slot.kind == "L" else "D" for slot in row.slots)


# Each format's main part as a pattern of L (letter) / D (digit); the region follows.
FORMAT_PATTERNS: dict[PlateFormat, str] = {
    PlateFormat(row.name): _main_pattern(row)
    for row in map(plate_type, DECODER_PLATE_TYPES)}
_CLASS_REGEX = {"L": f"[{LETTERS_LATIN}]", "D": "[0-9]"}
_MAIN_REGEX = {plate_format: re.compile("".join(_CLASS_REGEX[c] for c in pattern))
               for plate_format, pattern in FORMAT_PATTERNS.items()}


def to_cyrillic(text_latin: str) -> str:
    """Latin look-alikes -> the Cyrillic letters printed on the plate."""
    return text_latin.translate(_LATIN_TO_CYRILLIC)


def to_latin(text: str) -> str:
    """Cyrillic plate letters -> Latin look-alikes (the model's internal alphabet)."""
    return text.upper().translate(_CYRILLIC_TO_LATIN)


@dataclass(frozen=True)
class FormatMatch:
    """A text that fits a plate format, split into the main part and the region code."""

    plate_format: PlateFormat
    main: str
    region: str


def match_format(text_latin: str) -> FormatMatch | None:
    """The format a Latin plate text fits, or None; the first format in order wins.

    Taxi with a 3-digit region and trailer with a 2-digit one share a shape; the region
    list decides, and private plates come first because they are the vast majority.
    """
    for plate_format, pattern in FORMAT_PATTERNS.items():
        n = len(pattern)
        if len(text_latin) not in (n + 2, n + 3):
            continue
        main, region = text_latin[:n], text_latin[n:]
        if region not in REGIONS:
            continue
        if _MAIN_REGEX[plate_format].fullmatch(main) and region.isdigit():
            return FormatMatch(plate_format, main, region)
    return None


def is_series(text_latin: str) -> bool:
    """True when the text is the main part of some format with no region after it (what
    a cut that stops short of the region reads)."""
    return any(regex.fullmatch(text_latin) for regex in _MAIN_REGEX.values())
