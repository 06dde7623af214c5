"""What both exporters do once the ONNX file exists: stamp the card's facts into its
metadata, then write the card beside it with the file's final SHA-256."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import onnx

from plate_service.recognition.loading import sha256_of
from plate_service.recognition.model_card import D, ModelCard


def stamp_metadata(onnx_path: Path, card: ModelCard[D], doc: str) -> None:
    """Write the card's input and decoding facts into the ONNX metadata (the loader
    refuses a card that disagrees with them) and a one-line description."""
    proto = onnx.load(str(onnx_path))
    for key, value in card.metadata().items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.doc_string = doc
    onnx.checker.check_model(proto)
    onnx.save(proto, str(onnx_path))


def write_card(out_dir: Path, card: ModelCard[D]) -> ModelCard[D]:
    """The card with the weights' checksum, written as ``out_dir``'s card."""
    card = dataclasses.replace(card, sha256=sha256_of(out_dir / card.weights))
    card.write(out_dir)
    return card
