"""The plate alphabet and the formats a reader keeps to: which texts are plates of the GOST
types (``plate_types.json``) an OCR card lists, and how each is spelled and printed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from plate_service.recognition.plate_types import (
    REGION_CELL,
    Colour,
    PlateType,
    by_name,
    light_fields,
    parse_pattern,
    plate_type,
)
from plate_service.recognition.regions import region_name, region_names
from plate_service.recognition.types import PlateFormat

LETTERS_LATIN = "ABEKMHOPCTYX"
LETTERS_CYRILLIC = "АВЕКМНОРСТУХ"
DIGITS = "0123456789"
# The alphabet of the types that print no Latin letter of their own: digits, then the
# plate letters as their Latin look-alikes. A card whose types print more (CD, D, T on
# diplomatic plates) needs those after it (``required_alphabet``). Index 0 is the CTC
# blank; a model's output classes are BLANK + its alphabet in order.
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


def to_cyrillic(text_latin: str) -> str:
    """Latin look-alikes -> the Cyrillic letters printed on the plate."""
    return text_latin.translate(_LATIN_TO_CYRILLIC)


def to_latin(text: str) -> str:
    """Cyrillic plate letters -> Latin look-alikes (the model's internal alphabet)."""
    return text.upper().translate(_CYRILLIC_TO_LATIN)


def required_alphabet(rows: Sequence[PlateType]) -> str:
    """The alphabet a model reading ``rows`` needs: ``ALPHABET``, then the Latin letters
    those rows print that no plate letter looks like (D of CD, D, T), in sorted order."""
    fixed = {char for row in rows for slot in row.slots if slot.kind == "fixed"
             for choice in slot.choices for char in choice}
    return ALPHABET + "".join(sorted(fixed - set(ALPHABET)))


@dataclass(frozen=True)
class Spelling:
    """One way a type's text is spelled, in reading order (top line first) for one length
    of its region code: the characters each position allows."""

    row: PlateType
    plate_format: PlateFormat
    allowed: tuple[str, ...]
    region: tuple[int, int]  # where the region code lies: start, stop
    latin: tuple[int, ...]  # positions printed as Latin letters (the row's fixed letters)
    regions: frozenset[str] | None  # the codes the region may be; None: any the positions allow

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(_regex_source(self.allowed))


def _regex_source(allowed: Sequence[str]) -> str:
    return "".join(f"[{chars}]" for chars in allowed)


def _spellings(row: PlateType) -> list[Spelling]:
    """A row's spellings, shortest region first."""
    out = []
    for digits in sorted(row.region.digits):
        allowed: list[str] = []
        latin: list[int] = []
        region = (0, 0)
        for cell in (cell for line in row.lines for cell in line):
            if cell == REGION_CELL:
                first = REGION3_FIRST_DIGITS if digits == 3 and row.region.kind == "subject" \
                    else DIGITS
                region = (len(allowed), len(allowed) + digits)
                allowed += [first] + [DIGITS] * (digits - 1)
                continue
            for slot in parse_pattern(cell):
                if slot.kind == "fixed":
                    for i in range(slot.length):
                        latin.append(len(allowed))
                        allowed.append("".join(sorted({c[i] for c in slot.choices})))
                else:
                    allowed.append(LETTERS_LATIN if slot.kind == "L" else DIGITS)
        # A subject's code must be a real one; the defence ministry's codes are listed
        # nowhere here, so any two digits are taken.
        codes = (REGIONS_2 if digits == 2 else REGIONS_3) if row.region.kind == "subject" \
            else None
        out.append(Spelling(row, PlateFormat(row.name), tuple(allowed), region, tuple(latin),
                            codes))
    return out


@dataclass(frozen=True)
class FormatMatch:
    """A text that fits a plate format, split into the main part and the region code."""

    plate_format: PlateFormat
    main: str
    region: str
    spelling: Spelling


def _may_spell_alike(a: Spelling, b: Spelling) -> bool:
    """Whether some text fits both spellings: as long, and every position allowing a
    character of both (their region lists aside)."""
    return len(a.allowed) == len(b.allowed) and all(
        set(x) & set(y) for x, y in zip(a.allowed, b.allowed))


class PlateFormats:
    """The formats of the GOST types a reader reads, in the order the card lists them (the
    order ``match`` tries them in), spelled in the reader's ``alphabet``.

    Built once per reader from its card (``decoding.plate_types``); the decoders read their
    tables from it. ``only(lines, fields)`` is the same reader's formats of plates of that
    many lines and those field colours, which is what a cut of that many lines and such
    colours can be. Immutable once built; compared and hashed by identity, so the
    decoders can cache their tables per instance.
    """

    def __init__(self, gost_types: Sequence[str], alphabet: str | None = None) -> None:
        self.types: tuple[PlateType, ...] = tuple(plate_type(t) for t in gost_types)
        if len({row.gost_type for row in self.types}) != len(self.types):
            raise ValueError(f"plate types {list(gost_types)} repeat a type")
        needed = required_alphabet(self.types)
        self.alphabet = needed if alphabet is None else alphabet
        missing = set(needed) - set(self.alphabet)
        if missing:
            raise ValueError(f"alphabet {self.alphabet!r} lacks {''.join(sorted(missing))!r}, "
                             "which the plate types print")
        self.spellings = tuple(s for row in self.types for s in _spellings(row))
        # Characters of the shortest plate these formats spell.
        self.shortest = min((len(s.allowed) for s in self.spellings), default=0)
        self._regexes = [s.regex for s in self.spellings]
        series = {_regex_source(s.allowed[:s.region[0]]): None for s in self.spellings
                  if s.row.line_count == 1 and s.region[1] == len(s.allowed)}
        self._series_regexes = [re.compile(source) for source in series]
        self._prefixes: dict[str, bool] = {}
        self._only: dict[tuple[int, tuple[Colour, ...] | None], PlateFormats] = {}
        # The formats a reading can take only when the cut's field allows it: the blue
        # rows, and rows that may spell a text as a row of the other lightness does
        # (``light_fields``). A reading of any other format is the same whatever the
        # cut's colours (``only(lines, fields)`` only drops blue rows and reorders twins).
        light = light_fields()
        self.colour_bound = frozenset(
            s.plate_format for s in self.spellings
            if s.row.background == "blue" or any(
                (t.row.background in light) != (s.row.background in light)
                and _may_spell_alike(s, t) for t in self.spellings))

    @property
    def reads_two_lines(self) -> bool:
        return any(row.line_count == 2 for row in self.types)

    def only(self, lines: int, fields: Sequence[Colour] | None = None) -> PlateFormats:
        """These formats restricted to plates of ``lines`` lines, in the same alphabet.

        With ``fields``, only rows whose field is one of them (all the rows of that many
        lines when none is), and rows whose field is as light as the first of ``fields``
        (``light_fields``) before the rest, each in the card's order: of rows printing
        the same text, ``match`` names one whose field looks like the cut's.
        """
        key = (lines, None if fields is None else tuple(fields))
        found = self._only.get(key)
        if found is None:
            rows = [row for row in self.types if row.line_count == lines]
            if fields:
                rows = [row for row in rows if row.background in fields] or rows
                light = light_fields()
                rows.sort(key=lambda row: (row.background in light) != (fields[0] in light))
            # setdefault: threads that race here all get the one instance kept, so the
            # decoders' tables are built once per restriction.
            found = self._only.setdefault(key, PlateFormats(
                [row.gost_type for row in rows], self.alphabet))
        return found

    def match(self, text_latin: str) -> FormatMatch | None:
        """The format a Latin plate text fits, or None; the first spelling in order wins.

        Taxi with a 3-digit region and trailer with a 2-digit one share a shape; the region
        list decides, and the card lists private plates first because they are the vast
        majority.
        """
        for spelling, regex in zip(self.spellings, self._regexes):
            if len(text_latin) != len(spelling.allowed) or not regex.fullmatch(text_latin):
                continue
            start, stop = spelling.region
            region = text_latin[start:stop]
            if spelling.regions is None or region in spelling.regions:
                return FormatMatch(spelling.plate_format, text_latin[:start] + text_latin[stop:],
                                   region, spelling)
        return None

    def fits_prefix(self, prefix: str) -> bool:
        """Whether ``prefix`` (Latin) can still grow into a plate of some format, each
        position holding a character it allows; whether a finished region is a real one is
        checked at the end (``match``)."""
        fits = self._prefixes.get(prefix)
        if fits is None:
            fits = any(len(prefix) <= len(s.allowed)
                       and all(c in chars for c, chars in zip(prefix, s.allowed))
                       for s in self.spellings)
            self._prefixes[prefix] = fits
        return fits

    def is_series(self, text_latin: str) -> bool:
        """True when the text is the part before the region of a one-line format (what a
        cut that stops short of the region reads)."""
        return any(regex.fullmatch(text_latin) for regex in self._series_regexes)

    def printed(self, text_latin: str, match: FormatMatch | None) -> str:
        """The text as the plate prints it: plate letters in Cyrillic, the row's own Latin
        letters (CD, D, T of diplomatic plates) as they are; a text of no format has
        every look-alike in Cyrillic."""
        text = to_cyrillic(text_latin)
        if match is None or not match.spelling.latin:
            return text
        chars = list(text)
        for i in match.spelling.latin:
            chars[i] = text_latin[i]
        return "".join(chars)


def plate_region_name(plate_format: PlateFormat | None, region: str | None) -> str | None:
    """What a plate's region cell names: the federal subject of a subject code, nothing
    for a type whose cell holds another code (the defence ministry's on military plates)."""
    if plate_format is None or region is None:
        return None
    kind = by_name(plate_format.value).region.kind
    return region_name(region) if kind == "subject" else None
