"""Region names: every region code the format checker accepts has one, from a named source."""

from __future__ import annotations

import json

from plate_service.recognition.plate_format import REGIONS, REGIONS_2, REGIONS_3
from plate_service.recognition.regions import REGIONS_FILE, region_name


def test_the_format_checker_accepts_the_codes_of_the_data_file() -> None:
    # Every two-digit code has been issued at some point (80-88 include legacy codes and
    # the 2022 new-region ones); a change to the file that changes these sets must be meant.
    assert REGIONS_2 == {f"{n:02d}" for n in range(1, 100)}
    assert REGIONS_3 == {
        "102", "103", "113", "116", "118", "121", "122", "123", "124", "125", "126", "134",
        "136", "138", "142", "147", "150", "152", "154", "155", "156", "159", "161", "163",
        "164", "173", "174", "177", "178", "180", "181", "184", "185", "186", "190", "193",
        "196", "197", "198", "199", "702", "716", "725", "750", "761", "763", "774", "777",
        "790", "797", "799", "977"}
    assert REGIONS == REGIONS_2 | REGIONS_3


def test_moscow_and_saint_petersburg_codes() -> None:
    for code in ("77", "97", "99", "177", "197", "199", "777", "797", "799", "977"):
        assert region_name(code) == "Москва"
    for code in ("78", "98", "178", "198"):
        assert region_name(code) == "Санкт-Петербург"
    assert region_name("190") == "Московская область"


def test_unknown_or_missing_codes_have_no_name() -> None:
    assert region_name("00") is None
    assert region_name("555") is None
    assert region_name(None) is None


def test_the_data_file_names_its_source() -> None:
    source = json.loads(REGIONS_FILE.read_text(encoding="utf-8"))["source"]
    assert "766" in source and "Коды регионов" in source
