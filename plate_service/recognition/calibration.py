"""Plate confidence as users can read it: a monotone map from the reader's raw confidence
to the share of plates that were read right, fitted on held-out images per OCR model."""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plate_service.errors import ModelLoadError

CALIBRATION_NAME = "confidence_calibration.json"
FIT_COMMAND = "python -m training.calibrate"
# Reported confidence -> the share of plates at or above it that must be read right on the
# held-out images the map is fitted on.
TARGETS: tuple[tuple[float, float], ...] = ((0.5, 0.95), (0.9, 0.99))


def describe_targets() -> str:
    """``TARGETS`` in words, highest first, as the API's description of confidence states
    them."""
    (level, share), *lower = sorted(TARGETS, reverse=True)
    return ", ".join([f"plates reported with >= {level:g} were read right >= {share:.0%} of "
                      "the time on held-out images",
                      *(f">= {level:g} >= {share:.0%}" for level, share in lower)])


def _through_knots(x: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    """The piecewise-linear map through the knots (xs[i], ys[i]), both increasing, at
    ``x``, clamped to the first and last knots."""
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    i = bisect.bisect_right(xs, x)
    return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - xs[i - 1]) / (xs[i] - xs[i - 1])


@dataclass(frozen=True)
class ConfidenceCalibration:
    """A piecewise-linear, increasing map of raw confidence (``raw``) onto reported
    confidence (``reported``), both from 0 to 1; ``ocr_sha256`` names the weights it was
    fitted for. ``table`` keeps the measurement behind it, for people, not for the map."""

    raw: tuple[float, ...]
    reported: tuple[float, ...]
    ocr_sha256: str
    table: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if len(self.raw) != len(self.reported) or len(self.raw) < 2:
            raise ValueError("a calibration needs as many raw as reported knots, at least 2")
        if any(b <= a for a, b in zip(self.raw, self.raw[1:])) or \
                any(b <= a for a, b in zip(self.reported, self.reported[1:])):
            raise ValueError("calibration knots must increase strictly")

    def apply(self, raw: float) -> float:
        """The reported confidence for a raw one (clamped to the first and last knots)."""
        return _through_knots(raw, self.raw, self.reported)

    def to_json(self) -> str:
        return json.dumps({"ocr_sha256": self.ocr_sha256, "raw": list(self.raw),
                           "reported": list(self.reported), "command": FIT_COMMAND,
                           "table": self.table}, indent=2, ensure_ascii=False) + "\n"


IDENTITY = ConfidenceCalibration(raw=(0.0, 1.0), reported=(0.0, 1.0), ocr_sha256="")
"""Raw confidence reported as is: for fakes in tests, and while a calibration is fitted."""


def load_calibration(ocr_dir: Path, ocr_sha256: str) -> ConfidenceCalibration:
    """The calibration stored beside the OCR weights; refuses one that is missing,
    malformed or fitted for other weights, since its numbers would mean nothing."""
    path = ocr_dir / CALIBRATION_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        calibration = ConfidenceCalibration(
            raw=tuple(float(x) for x in data["raw"]),
            reported=tuple(float(y) for y in data["reported"]),
            ocr_sha256=str(data["ocr_sha256"]), table=dict(data.get("table", {})))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"confidence calibration {path} not found; fit it with "
                             f"`{FIT_COMMAND}`") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"confidence calibration {path} is malformed: {exc}") from exc
    if calibration.ocr_sha256 != ocr_sha256:
        raise ModelLoadError(
            f"confidence calibration {path} was fitted for OCR weights "
            f"{calibration.ocr_sha256[:12]}..., not {ocr_sha256[:12]}...; refit it with "
            f"`{FIT_COMMAND}`")
    return calibration
