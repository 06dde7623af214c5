"""The answer classes: the JSON they write and the schema they document are one shape."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

import pytest

from plate_service.answers import (
    AnswerOptions,
    Plate,
    Recognition,
    _about,
    json_schema,
    recognition_answer,
    to_json,
)
from plate_service.errors import BadRequestError
from plate_service.recognition.geometry import box_corners
from plate_service.recognition.plate_types import plate_types
from plate_service.recognition.types import ImageRecognition, PlateResult
from tests.conftest import REPO_ROOT
from tests.fakes import reading


@dataclass(frozen=True)
class _Inner:
    """Inner."""

    size: int = _about(minimum=1)


@dataclass(frozen=True)
class _Outer:
    """Outer."""

    name: str | None = _about("a name")
    kind: Literal["a", "b"] = _about()
    items: list[_Inner] = _about()
    extra: _Inner | None = _about(omit_if_none=True)


def test_schema_follows_the_type_hints_and_the_field_facts() -> None:
    schema = json_schema(_Outer)
    assert schema["required"] == ["name", "kind", "items"]
    assert schema["properties"]["name"] == {"type": "string", "nullable": True,
                                            "description": "a name"}
    assert schema["properties"]["kind"] == {"type": "string", "enum": ["a", "b"]}
    assert schema["properties"]["items"] == {"type": "array",
                                             "items": {"$ref": "#/components/schemas/_Inner"}}
    assert schema["properties"]["extra"] == {
        "allOf": [{"$ref": "#/components/schemas/_Inner"}], "nullable": True}
    assert json_schema(_Inner)["properties"]["size"] == {"type": "integer", "minimum": 1}


def test_json_leaves_out_only_the_omitted_nones() -> None:
    assert to_json(_Outer(None, "a", [_Inner(2)])) == {"name": None, "kind": "a",
                                                       "items": [{"size": 2}]}
    assert to_json(_Outer("x", "b", [], _Inner(3)))["extra"] == {"size": 3}


def _recognition() -> ImageRecognition:
    plate = PlateResult(reading("C181MB190", 0.97), (0, 0, 260, 56), None, "crop",
                        box_corners((0, 0, 260, 56)), 0.95)
    weak = PlateResult(reading("A123BC77", 0.3), (0, 0, 260, 56), None, "crop",
                       box_corners((0, 0, 260, 56)), 0.3)
    return ImageRecognition(260, 56, (plate, weak), "crop")


def test_an_answer_has_exactly_the_documented_fields() -> None:
    answer = to_json(recognition_answer(_recognition(), AnswerOptions()))
    assert set(answer) == set(json_schema(Recognition)["properties"]) - {"timings_ms"}
    for plate in answer["plates"]:
        assert set(plate) == set(json_schema(Plate)["properties"])
    assert answer["plate"] == "С181МВ190"
    assert answer["plates"][0]["region_name"] == "Московская область"


def test_min_confidence_drops_weaker_plates() -> None:
    answer = recognition_answer(_recognition(), AnswerOptions(min_confidence=0.5))
    assert [plate.text_latin for plate in answer.plates] == ["C181MB190"]


@pytest.mark.parametrize("options", [{"top_n": -1}, {"top_n": 11},
                                     {"min_confidence": 1.5}, {"min_confidence": float("nan")}])
def test_options_out_of_range_are_bad_requests(options: dict[str, float]) -> None:
    with pytest.raises(BadRequestError):
        AnswerOptions(**options)  # type: ignore[arg-type]


def test_the_documented_answer_fields_are_the_plate_s_and_name_every_format() -> None:
    api_doc = (REPO_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    table = api_doc.split("Each entry of `plates`:", 1)[1].split("\n\n", 2)[1]
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| (.+) \|$", table, flags=re.M))
    assert sorted(rows) == sorted(item.name for item in dataclasses.fields(Plate))
    names = re.findall(r"`([a-z_0-9]+)`", rows["format"].split(";")[0])
    assert names == [row.name for row in plate_types()]
