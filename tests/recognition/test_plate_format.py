"""Plate formats and region codes: which texts are plates."""

from __future__ import annotations

import pytest

from plate_service.recognition.plate_format import (
    REGIONS,
    is_series,
    match_format,
    to_cyrillic,
    to_latin,
)
from plate_service.recognition.types import PlateFormat


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
