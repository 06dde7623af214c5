"""The model card: one JSON format for every model folder under ``models/``.

A card travels beside its ONNX weights and says what the code must know to use them:

    {
      "format": 2,
      "kind": "ocr" | "detector",
      "weights": "<file>.onnx",
      "sha256": "<hex digest of the weights>",
      "input": {"channels": .., "height": .., "width": .., "normalisation": ".."},
      "decoding": {<the kind's decoding facts, see OcrDecoding and DetectorDecoding>},
      "training": {"command": .., "config": {..}, "trained_on": [..], ..},
      "metrics": {<figures the evals measured>}
    }

Every field the code reads is checked here when the card is parsed: a missing or
unknown key, a wrong type or an out-of-range value is a ``ModelLoadError`` that names
it, not a model that starts and reads nonsense. ``training`` and ``metrics`` document
the weights; of them the code reads only ``training.trained_on``: the shared-data files
(relative to the data root) the weights trained on that an eval could otherwise score,
which the evals leave out.
Checks against the weights themselves (checksum, graph shapes, ONNX metadata) happen
where the weights are opened, in ``loading``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from plate_service.errors import ModelLoadError
from plate_service.recognition.plate_format import BLANK_INDEX, required_alphabet
from plate_service.recognition.plate_types import plate_types

CARD_NAME = "card.json"
CARD_FORMAT = 2
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TOP_LEVEL = {"format", "kind", "weights", "sha256", "input", "decoding", "training",
              "metrics"}


@dataclass(frozen=True)
class InputSpec:
    """Shape and normalisation of a model's input tensor (N, channels, height, width)."""

    channels: int
    height: int
    width: int
    normalisation: str

    def validate(self) -> None:
        if self.channels not in (1, 3) or self.height < 1 or self.width < 1:
            raise ValueError(f"input {self.channels}x{self.height}x{self.width} is not a "
                             "1- or 3-channel image size")


@dataclass(frozen=True)
class OcrDecoding:
    """How the OCR's CTC output maps to characters: output class k + 1 is ``alphabet[k]``
    and class ``blank_index`` is the blank, which must be the decoder's own.

    ``plate_types`` are the GOST types (rows of ``plate_types.json``) the weights were
    trained to read, in the order the format check tries them: the reader keeps to their
    formats (``plate_format.PlateFormats``), so listing a type switches it on. The alphabet
    must be exactly what they print (``plate_format.required_alphabet``): a letter more
    would be read and never fit, a letter less could never be read.
    """

    KIND: ClassVar[str] = "ocr"

    alphabet: str
    blank_index: int
    plate_types: tuple[str, ...]

    def validate(self) -> None:
        if self.blank_index != BLANK_INDEX:
            raise ValueError(f"blank_index {self.blank_index} differs from the decoder's "
                             f"{BLANK_INDEX}")
        rows = {row.gost_type: row for row in plate_types()}
        unknown = [t for t in self.plate_types if t not in rows]
        if unknown:
            raise ValueError(f"plate_types {unknown} are no types of plate_types.json")
        if not self.plate_types or len(set(self.plate_types)) != len(self.plate_types):
            raise ValueError(f"plate_types {list(self.plate_types)} must list types, each once")
        needed = required_alphabet([rows[t] for t in self.plate_types])
        if self.alphabet != needed:
            raise ValueError(f"alphabet {self.alphabet!r} is not the one plate_types "
                             f"{list(self.plate_types)} print, {needed!r}")

    def check_outputs(self, spec: InputSpec, shapes: list[list[Any]]) -> None:
        """One output (batch, time steps, classes) with a class per character + blank."""
        classes = len(self.alphabet) + 1
        if len(shapes) != 1 or len(shapes[0]) != 3 or shapes[0][2] != classes:
            raise ValueError(f"graph outputs {shapes} are not one (batch, T, {classes})")


@dataclass(frozen=True)
class DetectorDecoding:
    """How the detector's heatmap and corner maps become plates: a peak every ``stride``
    input pixels, corner offsets in units of ``corner_scale`` pixels, and the score
    threshold, NMS overlap and plate count that the evals chose. Finds scoring from
    ``faint_score_threshold`` up to ``score_threshold`` are faint: the find stage keeps
    them only where their cut could be a blue police plate (``find.PlateFinder``)."""

    KIND: ClassVar[str] = "detector"

    stride: int
    corner_scale: float
    score_threshold: float
    nms_iou: float
    max_detections: int
    faint_score_threshold: float

    def validate(self) -> None:
        if not 0 < self.faint_score_threshold <= self.score_threshold:
            raise ValueError(f"faint_score_threshold {self.faint_score_threshold} must lie "
                             f"in (0, score_threshold {self.score_threshold}]")
        if self.stride < 1 or self.corner_scale <= 0:
            raise ValueError(f"stride {self.stride} and corner_scale {self.corner_scale} "
                             "must be positive")
        if not 0 < self.score_threshold < 1 or not 0 < self.nms_iou <= 1:
            raise ValueError(f"score_threshold {self.score_threshold} must lie in (0, 1) "
                             f"and nms_iou {self.nms_iou} in (0, 1]")
        if self.max_detections < 1:
            raise ValueError(f"max_detections {self.max_detections} must be at least 1")

    def check_outputs(self, spec: InputSpec, shapes: list[list[Any]]) -> None:
        """A heatmap (batch, 1, h, w) and corner offsets (batch, 8, h, w), h and w being
        the input size over ``stride`` wherever the graph fixes them."""
        grid = [spec.height // self.stride, spec.width // self.stride]
        expected = [[1, *grid], [8, *grid]]
        if len(shapes) != 2 or any(
                len(shape) != 4 or any(isinstance(got, int) and got != want
                                       for got, want in zip(shape[1:], want_dims))
                for shape, want_dims in zip(shapes, expected)):
            raise ValueError(f"graph outputs {shapes} are not (batch, 1, {grid[0]}, "
                             f"{grid[1]}) and (batch, 8, {grid[0]}, {grid[1]})")


D = TypeVar("D", OcrDecoding, DetectorDecoding)


@dataclass(frozen=True)
class ModelCard(Generic[D]):
    """A parsed, checked card; ``decoding`` is the kind's own facts."""

    weights: str
    sha256: str
    input: InputSpec
    decoding: D
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.decoding.KIND

    @property
    def trained_on(self) -> frozenset[str]:
        """Real files the weights were trained on, relative to the shared data root."""
        return frozenset(self.training.get("trained_on", ()))

    def metadata(self) -> dict[str, str]:
        """The input and decoding facts as flat strings, as the ONNX metadata holds them."""
        spec = self.input
        facts: dict[str, object] = {
            "input_channels": spec.channels, "input_height": spec.height,
            "input_width": spec.width, "normalisation": spec.normalisation,
            **dataclasses.asdict(self.decoding)}
        return {key: ",".join(value) if isinstance(value, tuple) else str(value)
                for key, value in facts.items()}

    def to_json(self) -> str:
        data = {"format": CARD_FORMAT, "kind": self.kind, "weights": self.weights,
                "sha256": self.sha256, "input": dataclasses.asdict(self.input),
                "decoding": dataclasses.asdict(self.decoding), "training": self.training,
                "metrics": self.metrics}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def write(self, model_dir: Path) -> Path:
        path = model_dir / CARD_NAME
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def read_card(model_dir: Path, decoding: type[D]) -> ModelCard[D]:
    """Parse and check ``model_dir``'s card, which must be of ``decoding``'s kind.

    The weights are not touched; ``loading.open_model`` checks them against the card.
    """
    path = model_dir / CARD_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"model card {path} not found") from exc
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read model card {path}: {exc}") from exc
    try:
        return _parse_card(data, decoding)
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"model card {path}: {exc}") from exc


def _parse_card(data: Any, decoding: type[D]) -> ModelCard[D]:
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    _check_keys(data, _TOP_LEVEL, "the card")
    if data["format"] != CARD_FORMAT:
        raise ValueError(f"format {data['format']!r} is not {CARD_FORMAT}")
    if data["kind"] != decoding.KIND:
        raise ValueError(f"kind {data['kind']!r} is not {decoding.KIND!r}")
    weights = _typed(data["weights"], str, "weights")
    if Path(weights).name != weights or not weights.endswith(".onnx"):
        raise ValueError(f"weights {weights!r} is not an .onnx file name in the card's folder")
    sha256 = _typed(data["sha256"], str, "sha256")
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"sha256 {sha256!r} is not 64 lowercase hex digits")
    spec = _parse_facts(InputSpec, data["input"], "input")
    facts = _parse_facts(decoding, data["decoding"], "decoding")
    for section in ("training", "metrics"):
        _typed(data[section], dict, section)
    trained_on = data["training"].get("trained_on", [])
    if not isinstance(trained_on, list) or not all(isinstance(f, str) for f in trained_on):
        raise TypeError("training.trained_on is not a list of file names")
    return ModelCard(weights=weights, sha256=sha256, input=spec, decoding=facts,
                     training=data["training"], metrics=data["metrics"])


_F = TypeVar("_F", InputSpec, OcrDecoding, DetectorDecoding)


def _parse_facts(cls: type[_F], data: Any, where: str) -> _F:
    """Build ``cls`` from exactly its fields, each of its declared type, then validate."""
    _typed(data, dict, where)
    fields = {f.name: f.type for f in dataclasses.fields(cls)}
    _check_keys(data, set(fields), where)
    kinds = {"int": int, "float": float, "str": str, "tuple[str, ...]": tuple}
    values = {name: _typed(data[name], kinds[str(kind)], f"{where}.{name}")
              for name, kind in fields.items()}
    facts = cls(**values)
    facts.validate()
    return facts


def _check_keys(data: dict[str, Any], expected: set[str], where: str) -> None:
    missing, unknown = sorted(expected - data.keys()), sorted(data.keys() - expected)
    if missing or unknown:
        raise ValueError(f"{where}: " + ", ".join(
            f"{what} {keys}" for what, keys in (("missing", missing), ("unknown", unknown))
            if keys))


def _typed(value: Any, kind: type, where: str) -> Any:
    """``value`` if it is a ``kind`` (an int is a float too; a bool is never a number; a
    tuple is a JSON list of strings)."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"{where} is {value!r}, not a list of strings")
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{where} is {value!r}, not {kind.__name__}")
    return value
