"""Region names: every region code the format checker accepts has one, from a named source."""

from __future__ import annotations

import json

from plate_service.recognition.plate_format import REGIONS
from plate_service.recognition.regions import REGIONS_FILE, region_name, region_names


def test_every_code_the_format_checker_accepts_has_a_name() -> None:
    assert sorted(REGIONS - set(region_names())) == []


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
