"""The OCR model's card: the facts that travel beside the weights, checked when they load."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from plate_service.errors import ModelLoadError
from plate_service.recognition.onnx_models import verify_weights
from plate_service.recognition.preprocess import InputSpec

CARD_NAME = "plate_ocr.json"
WEIGHTS_NAME = "plate_ocr.onnx"
CARD_VERSION = 1


@dataclass(frozen=True)
class ModelCard:
    """What a reader must know to use the weights: alphabet, input, checksum, metrics.

    ``alphabet`` lists the non-blank classes in output order (class 0 is the CTC blank).
    """

    alphabet: str
    input: InputSpec
    sha256: str
    weights: str = WEIGHTS_NAME
    blank_index: int = 0
    version: int = CARD_VERSION
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        try:
            return cls(
                alphabet=str(data["alphabet"]),
                input=InputSpec(**data["input"]),
                sha256=str(data["sha256"]),
                weights=str(data.get("weights", WEIGHTS_NAME)),
                blank_index=int(data.get("blank_index", 0)),
                version=int(data.get("version", CARD_VERSION)),
                metrics=dict(data.get("metrics", {})),
                training=dict(data.get("training", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"malformed model card: {exc}") from exc


def load_card(model_dir: Path) -> tuple[ModelCard, Path]:
    """Read the card in ``model_dir`` and verify its weights file's SHA-256.

    Returns the card and the weights path. Raises ModelLoadError when either file is
    missing, the card is malformed, or the checksum differs (a corrupt or swapped file).
    """
    card_path = model_dir / CARD_NAME
    if not card_path.is_file():
        raise ModelLoadError(f"model card {card_path} not found")
    try:
        data = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read model card {card_path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelLoadError(f"model card {card_path} is not a JSON object")
    card = ModelCard.from_dict(data)
    weights = model_dir / card.weights
    verify_weights(weights, card.sha256)
    return card, weights
