"""The OCR eval scores only unseen rows, adds a loosened copy of the colour crops, and
stores its figures in the model card without touching the weights; through the
service's crop path it scores a lone reader as that reader's own readings do."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np

from plate_service.recognition.loading import load_reader, load_recognizer
from training.eval_ocr import (LOOSE_KIND, LOOSE_MARGIN_GRAY, EvalReport, KindResult, evaluate,
                               evaluate_models, loosen, record_metrics)

MODELS = Path(__file__).resolve().parents[2] / "models" / "ocr"


def test_recorded_metrics_land_in_the_card_and_the_model_still_loads(tmp_path: Path) -> None:
    shutil.copytree(MODELS, tmp_path / "ocr")
    before = load_reader(tmp_path / "ocr").card
    report = EvalReport(kinds={"real-dev/crop": KindResult(total=8, exact=6, edits=3, chars=64)},
                        confusions=Counter(), ms_per_crop_b1=0.5, crops_per_s_b64=2500.4,
                        ms_per_crop_model_b1=0.4)

    record_metrics(tmp_path / "ocr", report)

    after = load_reader(tmp_path / "ocr").card
    assert after.sha256 == before.sha256
    assert after.training == before.training
    assert after.metrics["real_dev_crop_exact"] == 0.75
    assert after.metrics["real_dev_crop_n"] == 8
    assert after.metrics["crops_per_s_batch64_2threads"] == 2500
    assert after.metrics["synthetic_val_exact"] == before.metrics["synthetic_val_exact"]


def test_a_loosened_crop_sits_whole_inside_a_plain_margin() -> None:
    crop = np.full((50, 200, 3), 255, np.uint8)
    loose = loosen(crop)
    assert loose.shape == (70, 240, 3)  # 0.2 x 50 above and below, 0.4 x 50 each side
    assert np.array_equal(loose[10:60, 20:220], crop)
    assert (loose[:10] == LOOSE_MARGIN_GRAY).all() and (loose[:, :20] == LOOSE_MARGIN_GRAY).all()
    assert loosen(crop[:, :, 0]).shape == (70, 240)


def test_the_eval_scores_unseen_rows_and_the_same_colour_crops_loosened(shared_data: Path) -> None:
    reader = load_reader(MODELS, threads=1)
    trained_crops = {f for f in reader.card.trained_on if "#" not in f}
    report = evaluate(reader, shared_data)

    crops, loose = report.kinds["real-dev/crop"], report.kinds[LOOSE_KIND]
    assert loose.total == crops.total > 0
    assert report.left_out == len(trained_crops) > 0
    assert report.kinds["provider/provider-style"].exact == 2
    missed = {f"real-dev/crops/{name}" for name, _, _ in crops.errors + loose.errors}
    assert not missed & trained_crops


def test_the_crop_path_of_one_reader_scores_as_the_reader_does(shared_data: Path) -> None:
    models = MODELS.parent
    recognizer = load_recognizer(models, threads=1, allow_no_detector=True)
    through_path = evaluate_models(recognizer, models, shared_data)
    alone = evaluate(load_reader(MODELS, threads=1), shared_data)
    assert through_path.left_out == alone.left_out
    assert {kind: (r.exact, r.in_top3) for kind, r in through_path.kinds.items()} == {
        kind: (r.exact, r.in_top3) for kind, r in alone.kinds.items()}
    assert through_path.ms_per_crop_b1 > 0
