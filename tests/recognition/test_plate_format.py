"""Plate formats and region codes: which texts are plates."""

from __future__ import annotations

import pytest

from plate_service.recognition.plate_field import NOT_BLUE
from plate_service.recognition.plate_format import (
    ALPHABET,
    LETTERS_LATIN,
    REGIONS,
    PlateFormats,
    plate_region_name,
    to_cyrillic,
    to_latin,
)
from plate_service.recognition.plate_types import plate_types
from plate_service.recognition.types import PlateFormat
from tests.fakes import ONE_LINE_READER

match_format = ONE_LINE_READER.match
is_series = ONE_LINE_READER.is_series


def test_cyrillic_latin_round_trip() -> None:
    assert to_cyrillic("C181MB190") == "С181МВ190"
    assert to_latin("О101НО750") == "O101HO750"


@pytest.mark.parametrize("text, fmt, region", [
    ("C181MB190", PlateFormat.PRIVATE, "190"),
    ("K834OT22", PlateFormat.PRIVATE, "22"),
    ("AB12377", PlateFormat.TAXI, "77"),
    ("AB1234777", PlateFormat.TRAILER, "777"),
    ("A123BC977", PlateFormat.PRIVATE, "977"),
    ("A123456", PlateFormat.POLICE, "56"),
    ("AB123C50", PlateFormat.TRANSIT, "50"),
])
def test_match_format_accepts_each_format(text: str, fmt: PlateFormat, region: str) -> None:
    match = match_format(text)
    assert match is not None
    assert (match.plate_format, match.region) == (fmt, region)


@pytest.mark.parametrize("text", [
    "X0805277",      # police shape, but 277 is no region
    "C181MB",        # no region
    "C181MB290",     # 3-digit regions start with 1, 7 or 9
    "C181MB977777",  # no region has 6 digits
    "C181MB00",      # 00 is no region
    "C181ZB190",     # Z is not a plate letter
    "1181MB190",     # digit where a letter belongs
])
def test_match_format_rejects(text: str) -> None:
    assert match_format(text) is None


def test_region_list_is_real() -> None:
    assert {"01", "77", "99", "102", "116", "150", "190", "750", "777", "799", "977"} <= REGIONS
    assert all(len(r) == 2 or r[0] in "179" for r in REGIONS)
    assert "00" not in REGIONS and "200" not in REGIONS


@pytest.mark.parametrize(("text", "series"), [
    ("O939TY", True), ("AB123", True), ("AB1234", True), ("A1234", True),
    ("O939TY174", False), ("O939T", False), ("939TY", False), ("", False)])
def test_a_series_is_a_formats_main_part_with_no_region(text: str, series: bool) -> None:
    assert is_series(text) is series


def test_today_s_formats_are_spelled_as_the_decoders_always_spelled_them() -> None:
    # Letter (L) / digit (D) per position before the region, in the order they are tried.
    shapes = [("".join("L" if chars == LETTERS_LATIN else "D" for chars in s.allowed[:s.region[0]]),
               s.region[1] - s.region[0]) for s in ONE_LINE_READER.spellings]
    assert shapes == [(p, n) for p in ("LDDDLL", "LLDDD", "LLDDDD", "LDDDD", "LLDDDL")
                      for n in (2, 3)]
    assert [s.plate_format for s in ONE_LINE_READER.spellings[::2]] == [
        PlateFormat.PRIVATE, PlateFormat.TAXI, PlateFormat.TRAILER, PlateFormat.POLICE,
        PlateFormat.TRANSIT]
    assert ONE_LINE_READER.alphabet == ALPHABET
    assert not ONE_LINE_READER.reads_two_lines


EVERY_TYPE = PlateFormats(["1", "1А", "3", "4А", "5", "9", "10", "11", "21"])


@pytest.mark.parametrize(("text", "lines", "fmt", "region", "printed"), [
    ("A123BC77", 1, PlateFormat.PRIVATE, "77", "А123ВС77"),
    ("A123BC77", 2, PlateFormat.TYPE_1A, "77", "А123ВС77"),
    ("1234AB77", 2, PlateFormat.TRACTOR, "77", "1234АВ77"),
    ("AB771234", 2, PlateFormat.OFFROAD_MOTORCYCLE, "77", "АВ771234"),
    ("1234AB05", 1, PlateFormat.MILITARY, "05", "1234АВ05"),
    ("123CD477", 1, PlateFormat.DIPLOMATIC, "77", "123CD477"),
    ("123D45677", 1, PlateFormat.DIPLOMATIC_STAFF, "77", "123D45677"),
    ("123T45677", 1, PlateFormat.DIPLOMATIC_STAFF, "77", "123T45677"),
    ("D1234577", 2, PlateFormat.DIPLOMATIC_MOTORCYCLE, "77", "D1234577"),
    ("123A77", 1, PlateFormat.POLICE_TRAILER, "77", "123А77"),
])
def test_every_type_is_matched_in_reading_order_and_printed_as_its_row_says(
        text: str, lines: int, fmt: PlateFormat, region: str, printed: str) -> None:
    formats = EVERY_TYPE.only(lines)
    match = formats.match(text)
    assert match is not None
    assert (match.plate_format, match.region) == (fmt, region)
    assert formats.printed(text, match) == printed


def test_a_diplomatic_plate_keeps_its_latin_letters_and_its_look_alikes_stay_latin() -> None:
    formats = PlateFormats(["9"])
    match = formats.match("123CD477")
    # C and D of CD are printed Latin; the same C read as no format is the Cyrillic С.
    assert formats.printed("123CD477", match) == "123CD477"
    assert formats.printed("C123", None) == "С123"
    assert formats.alphabet == ALPHABET + "D"


def test_the_formats_of_one_line_count_are_the_reader_s_in_its_alphabet() -> None:
    formats = PlateFormats(["1", "10", "4"])
    assert [row.gost_type for row in formats.only(1).types] == ["1", "10"]
    assert [row.gost_type for row in formats.only(2).types] == ["4"]
    assert formats.only(2).alphabet == formats.alphabet == ALPHABET + "D"
    assert formats.reads_two_lines and not formats.only(1).reads_two_lines
    # A one-line reading is never a two-line type of the same text, nor the reverse.
    assert formats.only(1).match("1234AB77") is None
    assert formats.only(2).match("A123BC77") is None


def test_the_formats_of_some_field_colours_are_the_rows_of_those_colours() -> None:
    formats = PlateFormats(["1", "4", "20", "22"])
    assert [row.gost_type for row in formats.only(2, NOT_BLUE).types] == ["4"]
    assert [row.gost_type for row in formats.only(1, ("blue",)).types] == ["20"]
    assert formats.only(2, NOT_BLUE) is formats.only(2, NOT_BLUE)
    # A motorcycle's NNNN LL RR read with one letter is the police motorcycle's pattern,
    # which a plate with no blue cannot be.
    assert formats.only(2).match("9844T17") is not None
    assert formats.only(2, NOT_BLUE).match("9844T17") is None
    # Colours no row of that many lines has leave the rows of that many lines.
    assert [row.gost_type for row in PlateFormats(["20"]).only(1, NOT_BLUE).types] == ["20"]


def test_of_rows_printing_the_same_text_the_first_field_colour_names_the_plate() -> None:
    formats = PlateFormats(["3", "7"])  # a tractor's plate, white, and a military one's
    light_first = formats.only(2, ("white", "yellow", "black", "red"))
    dark_first = formats.only(2, ("black", "red", "white", "yellow"))
    assert light_first.match("1234AB56").plate_format == "tractor"
    assert dark_first.match("1234AB56").plate_format == "military_tractor"


def test_an_alphabet_that_lacks_a_printed_letter_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks 'D'"):
        PlateFormats(["9"], ALPHABET)


def test_military_regions_are_defence_codes_and_name_no_subject() -> None:
    formats = PlateFormats(["5"])
    match = formats.match("1234AB00")
    assert match is not None and match.region == "00"
    assert plate_region_name(PlateFormat.MILITARY, "50") is None
    assert plate_region_name(PlateFormat.PRIVATE, "50") == "Московская область"
    assert plate_region_name(PlateFormat.DIPLOMATIC, "77") == "Москва"
    assert plate_region_name(None, None) is None


def test_only_blue_rows_and_rows_spelling_like_one_of_the_other_lightness_are_colour_bound(
) -> None:
    table = PlateFormats([row.gost_type for row in plate_types()])
    bound = {f.value for f in table.only(1).colour_bound}
    assert {"police", "police_trailer"} <= bound  # blue
    assert {"trailer", "taxi", "military_trailer"} <= bound  # LL NNNN RR, LL NNN RRR
    assert not {"private", "military", "diplomatic", "transit"} & bound
    two_lines = {f.value for f in table.only(2).colour_bound}
    assert {"tractor", "military_tractor", "police_motorcycle"} <= two_lines
