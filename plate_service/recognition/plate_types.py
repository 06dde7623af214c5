"""The GOST R 50577 plate types, one row each, read from ``data/plate_types.json``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

PLATE_TYPES_FILE = Path(__file__).with_name("data") / "plate_types.json"

Colour = Literal["white", "yellow", "blue", "black", "red"]
RegionKind = Literal["subject", "defence"]
COLOURS: tuple[Colour, ...] = ("white", "yellow", "blue", "black", "red")
REGION_CELL = "region"
# One slot of a pattern: a letter (L), a digit (N), or fixed Latin letters ({CD}, {D|T}).
_TOKEN = re.compile(r"L|N|\{([A-Z]+(?:\|[A-Z]+)*)\}")


@dataclass(frozen=True)
class Slot:
    """One printed position group of a pattern: ``kind`` "L" (a plate letter), "N" (a
    digit) or "fixed" (one of ``choices``, Latin letters printed as they are)."""

    kind: Literal["L", "N", "fixed"]
    choices: tuple[str, ...] = ()

    @property
    def length(self) -> int:
        """Characters this slot puts into the text."""
        return len(self.choices[0]) if self.kind == "fixed" else 1


@dataclass(frozen=True)
class RegionBlock:
    """The region cell: its code's digit counts and kind, and whether "RUS" and the flag
    are printed under it."""

    digits: tuple[int, ...]
    kind: RegionKind
    rus: bool
    flag: bool


@dataclass(frozen=True)
class PlateType:
    """One GOST type: its API name, size, colours, text pattern and line layout.

    ``lines`` runs top line first, each a tuple of cells left to right: pieces of
    ``pattern`` or ``REGION_CELL``.
    """

    gost_type: str
    name: str
    use: str
    figure: str
    size_mm: tuple[int, int]
    background: Colour
    characters: Colour
    pattern: str
    region: RegionBlock
    lines: tuple[tuple[str, ...], ...]
    sources: tuple[str, ...]
    single_source: str | None
    region_background: Colour | None = None

    @property
    def slots(self) -> tuple[Slot, ...]:
        """The pattern's slots in order (gaps dropped)."""
        return parse_pattern(self.pattern)

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @property
    def aspect(self) -> float:
        """Width over height."""
        return self.size_mm[0] / self.size_mm[1]


def parse_pattern(pattern: str) -> tuple[Slot, ...]:
    """Slots of a pattern such as "NNN {D|T} NNN"; ValueError on anything else."""
    compact = pattern.replace(" ", "")
    slots, pos = [], 0
    while pos < len(compact):
        match = _TOKEN.match(compact, pos)
        if match is None:
            raise ValueError(f"pattern {pattern!r}: cannot read {compact[pos:]!r}")
        if match.group(1):
            choices = tuple(match.group(1).split("|"))
            if len({len(c) for c in choices}) != 1:
                raise ValueError(f"pattern {pattern!r}: choices of unequal length")
            slots.append(Slot("fixed", choices))
        else:
            slots.append(Slot("L" if match.group(0) == "L" else "N"))
        pos = match.end()
    return tuple(slots)


def _row(data: dict[str, Any]) -> PlateType:
    region = data["region"]
    row = PlateType(
        gost_type=data["gost_type"], name=data["name"], use=data["use"], figure=data["figure"],
        size_mm=(int(data["size_mm"][0]), int(data["size_mm"][1])),
        background=data["background"], characters=data["characters"],
        pattern=data["pattern"],
        region=RegionBlock(tuple(region["digits"]), region["kind"], bool(region["rus"]),
                           bool(region["flag"])),
        lines=tuple(tuple(line) for line in data["lines"]),
        sources=tuple(data["sources"]), single_source=data["single_source"],
        region_background=data.get("region_background"))
    _check(row)
    return row


def _check(row: PlateType) -> None:
    """A row must be self-consistent: known colours, a readable pattern, lines that hold
    the pattern in order and the region once."""
    where = f"plate type {row.gost_type}"
    for colour in (row.background, row.characters, row.region_background):
        if colour is not None and colour not in COLOURS:
            raise ValueError(f"{where}: unknown colour {colour!r}")
    if row.region.kind not in ("subject", "defence") or not set(row.region.digits) <= {2, 3}:
        raise ValueError(f"{where}: region {row.region}")
    parse_pattern(row.pattern)
    cells = [cell for line in row.lines for cell in line]
    pieces = [cell for cell in cells if cell != REGION_CELL]
    if cells.count(REGION_CELL) != 1 or " ".join(pieces).split() != row.pattern.split():
        raise ValueError(f"{where}: lines {row.lines} do not hold {row.pattern!r} and the "
                         "region once")
    if not 1 <= len(row.lines) <= 2:
        raise ValueError(f"{where}: {len(row.lines)} lines")


@lru_cache(maxsize=1)
def plate_types() -> tuple[PlateType, ...]:
    """Every row of the table, in the file's order; read and checked once."""
    data = json.loads(PLATE_TYPES_FILE.read_text(encoding="utf-8"))
    rows = tuple(_row(item) for item in data["types"])
    for key in ("gost_type", "name"):
        values = [getattr(row, key) for row in rows]
        if len(set(values)) != len(values):
            raise ValueError(f"{PLATE_TYPES_FILE}: duplicate {key} values")
    unknown = {s for row in rows for s in row.sources} - set(data["sources"])
    if unknown:
        raise ValueError(f"{PLATE_TYPES_FILE}: unknown sources {sorted(unknown)}")
    return rows


def light_fields() -> frozenset[Colour]:
    """The field colours printed with dark characters (lighter than their print)."""
    return frozenset(row.background for row in plate_types() if row.characters == "black")


def plate_type(gost_type: str) -> PlateType:
    """The row of a GOST type number ("1", "1А", ...); KeyError for an unknown one."""
    for row in plate_types():
        if row.gost_type == gost_type:
            return row
    raise KeyError(gost_type)


def by_name(name: str) -> PlateType:
    """The row with an API name ("private", "type_1a", ...); KeyError for an unknown one."""
    for row in plate_types():
        if row.name == name:
            return row
    raise KeyError(name)
