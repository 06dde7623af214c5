"""The OCR eval can store its figures in the model card without touching the weights."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from plate_service.recognition.ocr import PlateReader
from training.eval_ocr import EvalReport, KindResult, record_metrics

MODELS = Path(__file__).resolve().parents[2] / "models" / "ocr"


def test_recorded_metrics_land_in_the_card_and_the_model_still_loads(tmp_path: Path) -> None:
    shutil.copytree(MODELS, tmp_path / "ocr")
    before = PlateReader.load(tmp_path / "ocr").card
    report = EvalReport(kinds={"real-dev/crop": KindResult(total=8, exact=6, edits=3, chars=64)},
                        confusions=Counter(), ms_per_crop_b1=0.5, crops_per_s_b64=2500.4,
                        ms_per_crop_model_b1=0.4)

    record_metrics(tmp_path / "ocr", report)

    after = PlateReader.load(tmp_path / "ocr").card
    assert after.sha256 == before.sha256
    assert after.training == before.training
    assert after.metrics["real_dev_crop_exact"] == 0.75
    assert after.metrics["real_dev_crop_n"] == 8
    assert after.metrics["crops_per_s_batch64_2threads"] == 2500
    assert after.metrics["synthetic_val_exact"] == before.metrics["synthetic_val_exact"]
