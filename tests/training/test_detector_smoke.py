"""Detector training smoke run: targets decode back to the plate, a few steps, a valid export."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.requirements import missing, require_module

torch = require_module("torch")

from plate_service.recognition.detector import PlateDetector, decode_outputs  # noqa: E402
from training.detector import data  # noqa: E402
from training.detector.export import export_detector  # noqa: E402
from training.detector.model import CORNER_SCALE, STRIDE, encode_targets  # noqa: E402
from training.detector.train import make_batch, train  # noqa: E402

QUAD = np.array([[40.0, 50.0], [140.0, 54.0], [139.0, 76.0], [39.0, 72.0]], np.float32)


def test_encoded_targets_decode_back_to_the_corners() -> None:
    heat, reg, weight = encode_targets([QUAD], 128, 192)
    assert heat.shape == (1, 32, 48) and reg.shape == (8, 32, 48)
    assert heat.max() == 1.0 and weight.sum() > 0
    found = decode_outputs(heat[0], reg, stride=STRIDE, corner_scale=CORNER_SCALE,
                           score_threshold=0.5)
    assert len(found) == 1
    np.testing.assert_allclose(found[0][1], QUAD, atol=1e-3)


def _sources() -> data.Sources:
    if not data.HAVE_RENDERER:
        missing("the synthetic plate renderer (training.synth) is not available")
    return data.Sources((), (), ())


def test_scenes_are_deterministic_and_hold_plates() -> None:
    sources = _sources()
    a = make_batch(sources, step=7, batch=2)
    b = make_batch(sources, step=7, batch=2)
    for x, y in zip(a, b):
        assert torch.equal(x, y)
    image, quads = data.make_scene(np.random.default_rng(3), sources, 192, 256)
    assert image.shape == (192, 256, 3) and image.dtype == np.uint8
    assert all(q.shape == (4, 2) for q in quads)


def test_a_few_steps_train_and_export_loads(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    model = train(_sources(), steps=3, batch=2, log_every=1)
    out = tmp_path / "detector"
    export_detector(model, out, height=128, width=160)
    detector = PlateDetector.load(out)
    assert detector.card.input_height == 128
    found = detector.detect(np.full((100, 200, 3), 127, np.uint8))
    assert isinstance(found, list)
