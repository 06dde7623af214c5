"""Where each character, cell, "RUS" and flag sits on a plate of a table row, in millimetres.

The table (``plate_types.json``) says what each line holds; the proportions here follow
the type-1 figure of GOST R 50577 (digits 76 mm and letters 58 mm high on a 112 mm plate,
the region cell from 386 mm) and the two-line figures as the table's sources draw them
(the region cell in the lower right, or upper right on type 4А; characters about 0.7 of
a line's height). Pure geometry: the drawer adds the randomness.
"""

from __future__ import annotations

from dataclasses import dataclass

from plate_service.recognition.plate_types import REGION_CELL, PlateType, parse_pattern

Box = tuple[float, float, float, float]
"""(x, y, w, h) in millimetres from the plate's top-left corner."""

FRAME_INSET = 4.7  # the printed frame's distance from the plate's edge
# One-line plates (type-1 figure, 520 x 112).
DIGIT_H, LETTER_H, REGION_H = 76.0, 58.0, 58.0
BASELINE = 95.0
REGION_CELL_X = {2: 386.0, 3: 372.0}  # a 3-digit region needs a wider cell
# Character width over height, and the spacing in a group and between groups, over the
# digit height: 46 mm digits on a 55 mm pitch, groups 11-16 mm further apart.
DIGIT_ASPECT, LETTER_ASPECT = 0.6, 0.81
PITCH_GAP, GROUP_GAP = 0.12, 0.16
# Two-line plates: character heights over the line's height, the region cell's share of
# the width.
TWO_LINE_CHAR, TWO_LINE_REGION, REGION_CELL_SHARE = 0.68, 0.5, 0.43
TWO_LINE_LETTER = 0.85  # letters over digits on two-line plates


@dataclass(frozen=True)
class PlacedGlyph:
    """One character and its box."""

    char: str
    box: Box


@dataclass(frozen=True)
class PlateLayout:
    """Everything drawn on one plate: glyphs in text order (the first ``main_count`` the
    pattern's, then the region's), the region cell, and where "RUS" and the flag go (None
    when the type has none)."""

    size: tuple[float, float]
    glyphs: tuple[PlacedGlyph, ...]
    main_count: int
    region_cell: Box
    rus: Box | None
    flag: Box | None


def split_text(row: PlateType, text_latin: str) -> tuple[list[str], str]:
    """The text's characters grouped as the pattern's slots (a fixed "CD" is one group
    of two), and the region after them."""
    groups, pos = [], 0
    for slot in row.slots:
        groups.append(text_latin[pos:pos + slot.length])
        pos += slot.length
    return groups, text_latin[pos:]


def reading_order_text(row: PlateType, text_latin: str) -> str:
    """The plate's text read line by line, top line first, each line left to right (on
    type 4А the region stands on the top line, before the digits)."""
    groups, region = split_text(row, text_latin)
    it = iter(groups)
    out = []
    for line in row.lines:
        for cell in line:
            if cell == REGION_CELL:
                out.append(region)
            else:
                out.extend(next(it) for _ in parse_pattern(cell))
    return "".join(out)


def _cell_runs(row: PlateType, groups: list[str]) -> dict[tuple[int, int], list[list[str]]]:
    """Per (line, cell) of the row's layout: its gap-separated runs of characters."""
    runs: dict[tuple[int, int], list[list[str]]] = {}
    it = iter(groups)
    for li, line in enumerate(row.lines):
        for ci, cell in enumerate(line):
            if cell == REGION_CELL:
                continue
            cell_runs = []
            for word in cell.split():
                run: list[str] = []
                for _ in parse_pattern(word):
                    run.extend(next(it))
                cell_runs.append(run)
            runs[(li, ci)] = cell_runs
    return runs


def _place_runs(runs: list[list[str]], x0: float, x1: float, baseline: float,
                digit_h: float, letter_h: float) -> list[PlacedGlyph]:
    """Characters of ``runs`` centred between x0 and x1 on ``baseline``, squeezed when
    they would not fit."""
    def size(ch: str) -> tuple[float, float]:
        h = digit_h if ch.isdigit() else letter_h
        return (DIGIT_ASPECT if ch.isdigit() else LETTER_ASPECT) * h, h

    pitch_gap, group_gap = PITCH_GAP * digit_h, GROUP_GAP * digit_h
    natural = sum(sum(size(c)[0] for c in run) + pitch_gap * (len(run) - 1) for run in runs)
    natural += group_gap * (len(runs) - 1)
    squeeze = min(1.0, (x1 - x0) / natural)
    x = x0 + ((x1 - x0) - natural * squeeze) / 2
    placed = []
    for ri, run in enumerate(runs):
        for ci, ch in enumerate(run):
            w, h = size(ch)
            placed.append(PlacedGlyph(ch, (x, baseline - h, w * squeeze, h)))
            x += (w + (pitch_gap if ci < len(run) - 1 else 0.0)) * squeeze
        if ri < len(runs) - 1:
            x += group_gap * squeeze
    return placed


def _one_line(row: PlateType, runs: dict[tuple[int, int], list[list[str]]], region: str
              ) -> tuple[list[PlacedGlyph], Box, float]:
    """The main glyphs, the region cell and the region digits' height of a one-line plate."""
    width, height = row.size_mm
    cell_x = REGION_CELL_X[3 if len(region) == 3 else 2] * width / 520.0
    main = _place_runs(runs[(0, 0)], 18.0, cell_x - 10.0, BASELINE, DIGIT_H, LETTER_H)
    cell = (cell_x, FRAME_INSET, width - FRAME_INSET - cell_x, height - 2 * FRAME_INSET)
    return main, cell, REGION_H


def _two_lines(row: PlateType, runs: dict[tuple[int, int], list[list[str]]]
               ) -> tuple[list[PlacedGlyph], Box, float]:
    """The same for a two-line plate: each line half the height inside the frame, the
    region cell at the right of its line."""
    width, height = row.size_mm
    band = (height - 2 * FRAME_INSET) / 2
    cell_w = (width - 2 * FRAME_INSET) * REGION_CELL_SHARE
    region_line = next(li for li, line in enumerate(row.lines) if REGION_CELL in line)
    cell = (width - FRAME_INSET - cell_w, FRAME_INSET + region_line * band, cell_w, band)
    char_h = TWO_LINE_CHAR * band
    main = []
    for li, line in enumerate(row.lines):
        base = FRAME_INSET + (li + 0.5) * band + char_h / 2
        right = cell[0] - 4.0 if REGION_CELL in line else width - FRAME_INSET - 6.0
        ci = next(i for i, c in enumerate(line) if c != REGION_CELL)
        main += _place_runs(runs[(li, ci)], FRAME_INSET + 6.0, right, base, char_h,
                            TWO_LINE_LETTER * char_h)
    return main, cell, TWO_LINE_REGION * band


def plate_layout(row: PlateType, text_latin: str) -> PlateLayout:
    """The layout of ``text_latin`` (the pattern's characters, then the region) on ``row``.

    Lines are filled in the pattern's order, so the glyphs come in the text's order.
    """
    groups, region = split_text(row, text_latin)
    runs = _cell_runs(row, groups)
    if row.line_count == 1:
        main, cell, region_h = _one_line(row, runs, region)
    else:
        main, cell, region_h = _two_lines(row, runs)
    cx, cy, cw, ch = cell
    # Region digits near the cell's top over "RUS" and the flag, or centred without them.
    has_caption = row.region.rus or row.region.flag
    region_top = cy + (0.07 * ch if has_caption else (ch - region_h) / 2)
    region_glyphs = _place_runs([list(region)], cx + 3.0, cx + cw - 3.0, region_top + region_h,
                                region_h, region_h)
    caption_h = 0.16 * ch
    caption_y = cy + ch - caption_h - 0.07 * ch
    rus_w = 2.8 * caption_h if row.region.rus else 0.0
    flag_w = 2.5 * caption_h if row.region.flag else 0.0
    gap = caption_h * 0.5 if rus_w and flag_w else 0.0
    start = cx + (cw - rus_w - flag_w - gap) / 2
    rus = (start, caption_y, rus_w, caption_h) if row.region.rus else None
    flag = (start + rus_w + gap, caption_y, flag_w, caption_h) if row.region.flag else None
    return PlateLayout((float(row.size_mm[0]), float(row.size_mm[1])),
                       tuple(main + region_glyphs), len(main), cell, rus, flag)
