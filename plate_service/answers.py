"""The API's answer shapes, defined once as dataclasses.

The JSON that the service and the CLI write (``to_json``) and the OpenAPI schemas of
those answers (``json_schema``) are both made from the classes below, so the document
cannot drift from what is sent. ``AnswerOptions`` is what a client may ask of an answer.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from plate_service.errors import BadRequestError
from plate_service.recognition.calibration import describe_targets
from plate_service.recognition.candidate_search import MAX_CANDIDATES
from plate_service.recognition.plate_format import plate_region_name
from plate_service.recognition.types import ImageRecognition, PlateResult

DEFAULT_TOP_N = 3
MAX_TOP_N = MAX_CANDIDATES
DEFAULT_MIN_CONFIDENCE = 0.0
# The API names of the rows of plate_types.json, in its order (a test keeps them so).
PlateFormatName = Literal[
    "private", "type_1a", "taxi", "trailer", "tractor", "motorcycle", "offroad_motorcycle",
    "moped", "military", "military_trailer", "military_tractor", "military_motorcycle",
    "diplomatic", "diplomatic_staff", "diplomatic_motorcycle", "transit", "police",
    "police_trailer", "police_motorcycle"]

_ZERO_TO_ONE: dict[str, Any] = {"minimum": 0, "maximum": 1}


@dataclass(frozen=True)
class AnswerOptions:
    """What the client asked to see of each recognition: ``top_n`` candidates per plate,
    and only plates reported with at least ``min_confidence``."""

    top_n: int = DEFAULT_TOP_N
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    def __post_init__(self) -> None:
        if not 0 <= self.top_n <= MAX_TOP_N:
            raise BadRequestError(f"top_n must be an integer from 0 to {MAX_TOP_N}, "
                                  f"got {self.top_n}")
        if not 0.0 <= self.min_confidence <= 1.0:  # also refuses nan
            raise BadRequestError(f"min_confidence must be a number from 0 to 1, "
                                  f"got {self.min_confidence}")


def _about(description: str = "", *, omit_if_none: bool = False, **schema: Any) -> Any:
    """A field's schema facts (description, range, example) kept beside its type.

    ``omit_if_none`` fields are left out of the JSON when None, rather than sent as null.
    """
    facts = {**({"description": description} if description else {}), **schema}
    if omit_if_none:
        return field(default=None, metadata={"schema": facts, "omit_if_none": True})
    return field(metadata={"schema": facts})


@dataclass(frozen=True)
class CandidateAnswer:
    """An alternative reading of a plate that fits a GOST format."""

    text: str = _about(example="С181МВ190")
    text_latin: str = _about(example="C181MB190")
    probability: float = _about("Probability of this reading under the OCR model",
                                **_ZERO_TO_ONE)


@dataclass(frozen=True)
class Plate:
    """One plate found in an image."""

    text: str = _about(
        "The plate in reading order, top line first: plate letters in Cyrillic, the Latin "
        "letters a diplomatic plate prints (CD, D, T) in Latin", example="С181МВ190")
    text_latin: str = _about("The same with Latin look-alikes", example="C181MB190")
    region: str | None = _about(
        "The code in the region cell: a region code, or on military plates a code of the "
        "defence ministry", example="190")
    region_name: str | None = _about(
        "Federal subject of the region code; null when the cell holds no region code",
        example="Московская область")
    confidence: float = _about(f"Calibrated: {describe_targets()}", **_ZERO_TO_ONE)
    candidates: list[CandidateAnswer] = _about(
        "Readings that fit a GOST format, text first, then by probability",
        maxItems=MAX_TOP_N)
    box: list[int] = _about("x1, y1, x2, y2 in image pixels", minItems=4, maxItems=4)
    corners: list[list[float]] = _about(
        "TL, TR, BR, BL in image pixels", minItems=4, maxItems=4,
        items={"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2})
    format: PlateFormatName | None = _about(
        "GOST plate type (a row of the plate-type table), null if it fits none")
    lines: Literal[1, 2] = _about("Lines of text on the plate")
    valid: bool = _about("Whether the text fits a GOST plate format")
    char_confidences: list[float] = _about("One confidence per character",
                                           items={"type": "number", **_ZERO_TO_ONE})
    detection_score: float | None = _about("Detector score; null for a whole-image crop",
                                           **_ZERO_TO_ONE)
    source: Literal["crop", "scene"] = _about(
        "crop: the whole image was read as a plate; scene: found by the detector")


@dataclass(frozen=True)
class Timings:
    """Milliseconds spent on one image."""

    download: float = _about()
    recognition: float = _about()


@dataclass(frozen=True)
class Recognition:
    """The answer for one image (``GET /plate``, ``POST /recognize``, each batch item)."""

    image_id: int | None = _about("Image ID at the provider; null for an upload", minimum=0)
    status: Literal["ok"] = _about()
    plate: str | None = _about("Best reading, null when no plate was found")
    plates: list[Plate] = _about()
    mode: Literal["crop", "scene"] = _about()
    image_size: list[int] = _about("width, height", minItems=2, maxItems=2)
    cached: bool = _about("Served from the cache of recent answers")
    timings_ms: Timings | None = _about("Absent when cached", omit_if_none=True)


def plate_answer(plate: PlateResult, top_n: int) -> Plate:
    """A recognised plate as the API shows it (rounded: no false precision)."""
    reading = plate.reading
    return Plate(
        text=reading.text,
        text_latin=reading.text_latin,
        region=reading.region,
        region_name=plate_region_name(reading.plate_format, reading.region),
        confidence=round(plate.confidence, 4),
        candidates=[CandidateAnswer(c.text, c.text_latin, round(c.probability, 6))
                    for c in plate.candidates[:top_n]],
        box=list(plate.box),
        corners=[[round(x, 1), round(y, 1)] for x, y in plate.corners],
        format=reading.plate_format.value if reading.plate_format else None,
        lines=2 if reading.lines == 2 else 1,
        valid=reading.valid,
        char_confidences=[round(c, 4) for c in reading.char_confidences],
        detection_score=None if plate.detection_score is None
        else round(plate.detection_score, 4),
        source=plate.source,
    )


def recognition_answer(recognition: ImageRecognition, options: AnswerOptions, *,
                       image_id: int | None = None, cached: bool = False,
                       timings: Timings | None = None) -> Recognition:
    """The plates reported with at least ``options.min_confidence``, best first."""
    plates = [plate for plate in recognition.plates
              if plate.confidence >= options.min_confidence]
    return Recognition(
        image_id=image_id, status="ok",
        plate=plates[0].reading.text if plates else None,
        plates=[plate_answer(plate, options.top_n) for plate in plates],
        mode=recognition.mode,
        image_size=[recognition.width, recognition.height],
        cached=cached, timings_ms=timings,
    )


def to_json(answer: Any) -> Any:
    """An answer as JSON-ready dicts and lists, in field order."""
    if type(answer) in _SCALARS:
        return answer
    fields = _json_fields(type(answer))
    if fields is not None:
        out = {}
        for name, omit_if_none in fields:
            value = getattr(answer, name)
            if value is None and omit_if_none:
                continue
            out[name] = value if type(value) in _SCALARS else to_json(value)
        return out
    if isinstance(answer, list):
        return [value if type(value) in _SCALARS else to_json(value) for value in answer]
    return answer


_SCALARS = frozenset({str, int, float, bool, type(None)})
# Per type: its fields as (name, omitted when None), or None for a type that is not an
# answer class. ``to_json`` runs for every value of every answer sent, where looking the
# fields up each time cost about a tenth of the event loop's time per request.
_FIELDS: dict[type, tuple[tuple[str, bool], ...] | None] = {}


def _json_fields(cls: type) -> tuple[tuple[str, bool], ...] | None:
    try:
        return _FIELDS[cls]
    except KeyError:
        fields = tuple((item.name, bool(item.metadata.get("omit_if_none")))
                       for item in dataclasses.fields(cls)) \
            if dataclasses.is_dataclass(cls) else None
        _FIELDS[cls] = fields
        return fields


def json_schema(cls: type) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of an answer class; nested answers as ``$ref``s by name."""
    hints = typing.get_type_hints(cls)
    properties = {}
    required = []
    for item in dataclasses.fields(cls):
        facts = dict(item.metadata.get("schema", {}))
        properties[item.name] = {**_type_schema(hints[item.name]), **facts}
        if not item.metadata.get("omit_if_none"):
            required.append(item.name)
    return {"type": "object", "description": (cls.__doc__ or "").strip().replace("``", "`"),
            "required": required, "properties": properties}


def _type_schema(hint: Any) -> dict[str, Any]:
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType) and type(None) in args:
        (inner,) = [arg for arg in args if arg is not type(None)]
        schema = _type_schema(inner)
        if "$ref" in schema:  # OpenAPI 3.0 cannot put nullable beside a $ref
            return {"allOf": [schema], "nullable": True}
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        return {**schema, "nullable": True}
    if origin is Literal:
        kinds = {type(arg) for arg in args}
        return {**_type_schema(kinds.pop()), "enum": list(args)}
    if origin is list:
        return {"type": "array", "items": _type_schema(args[0])}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return {"$ref": f"#/components/schemas/{hint.__name__}"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if hint in simple:
        return {"type": simple[hint]}
    raise TypeError(f"no JSON schema for {hint!r}")
