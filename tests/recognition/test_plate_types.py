"""The table of GOST plate types: complete rows, and the names the service answers with."""

from __future__ import annotations

import dataclasses
import json
from typing import get_args

import pytest

from plate_service.answers import PlateFormatName
from plate_service.config import DEFAULT_MODELS_DIR, Config
from plate_service.recognition.loading import OCR_DIR
from plate_service.recognition.model_card import OcrDecoding, read_card
from plate_service.recognition.plate_types import (
    PLATE_TYPES_FILE,
    REGION_CELL,
    PlateType,
    by_name,
    parse_pattern,
    plate_type,
    plate_types,
)
from plate_service.recognition.types import PlateFormat
from plate_service.web.openapi import build_openapi
from tests.fakes import ONE_LINE_READER, ONE_LINE_READER_TYPES

OPTIONAL = {"single_source", "region_background"}
REQUIRED_TYPES = ["1", "1А", "1Б", "2", "3", "4", "4А", "4Б", "5", "6", "7", "8", "9", "10",
                  "11", "15", "20", "21", "22"]
SERVED_NAMES = {"1": "private", "1Б": "taxi", "2": "trailer", "20": "police", "15": "transit"}


def test_the_table_covers_the_types_on_russian_roads() -> None:
    assert [row.gost_type for row in plate_types()] == REQUIRED_TYPES


@pytest.mark.parametrize("row", plate_types(), ids=lambda row: row.gost_type)
def test_every_row_has_every_field(row: PlateType) -> None:
    for field in dataclasses.fields(PlateType):
        value = getattr(row, field.name)
        if field.name not in OPTIONAL:
            assert value not in (None, "", ()), field.name
    assert row.size_mm[0] > 0 and row.size_mm[1] > 0
    assert row.line_count in (1, 2)
    assert sum(line.count(REGION_CELL) for line in row.lines) == 1


def test_names_and_type_numbers_are_unique() -> None:
    for key in ("gost_type", "name"):
        values = [getattr(row, key) for row in plate_types()]
        assert len(set(values)) == len(values), key


def test_every_source_a_row_names_is_described_in_the_file() -> None:
    data = json.loads(PLATE_TYPES_FILE.read_text(encoding="utf-8"))
    assert "GOST R 50577-2018" in data["source"]
    assert {s for row in plate_types() for s in row.sources} <= set(data["sources"])


def test_the_five_one_line_types_keep_their_api_names() -> None:
    assert {t: plate_type(t).name for t in ONE_LINE_READER_TYPES} == SERVED_NAMES
    # The reader tries the formats in the card's order: private plates first.
    assert ONE_LINE_READER.spellings[0].plate_format is PlateFormat.PRIVATE


def test_the_shipped_ocr_card_lists_every_type_of_the_table() -> None:
    card = read_card(DEFAULT_MODELS_DIR / OCR_DIR, OcrDecoding)
    assert card.decoding.plate_types == tuple(row.gost_type for row in plate_types())


def test_the_format_names_are_the_table_s_rows_in_its_order() -> None:
    names = [row.name for row in plate_types()]
    assert [f.value for f in PlateFormat] == names
    assert list(get_args(PlateFormatName)) == names
    schema = build_openapi(Config())["components"]["schemas"]["Plate"]["properties"]["format"]
    assert schema["enum"] == [*names, None]


def test_new_types_have_their_own_names() -> None:
    assert by_name("type_1a").gost_type == "1А"
    assert by_name("diplomatic").pattern == "NNN {CD} N"
    assert by_name("military").region.kind == "defence"


@pytest.mark.parametrize("pattern, kinds", [
    ("L NNN LL", "LNNNLL"),
    ("NNN {CD} N", "NNNfN"),
    ("{D|T} NNN NN", "fNNNNN"),
])
def test_patterns_read_letters_digits_and_fixed_latin(pattern: str, kinds: str) -> None:
    assert "".join(s.kind[0] for s in parse_pattern(pattern)) == kinds


def test_a_pattern_with_something_else_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot read"):
        parse_pattern("LL 12")
