"""A few training steps and an export run end to end, so the training code cannot rot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.requirements import require_module

torch = require_module("torch")
require_module("onnx")

from plate_service.recognition.loading import load_reader  # noqa: E402
from plate_service.recognition.plate_format import required_alphabet  # noqa: E402
from plate_service.recognition.plate_lines import side_by_side  # noqa: E402
from plate_service.recognition.plate_types import plate_type, plate_types  # noqa: E402
from training.ocr.train import TrainConfig, initial_model, train  # noqa: E402

OCR_GRAPH = Path(__file__).resolve().parents[2] / "models" / "ocr" / "plate_ocr.onnx"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Constant folding:UserWarning")  # the edge Pad's slices
def test_training_smoke_run_exports_a_loadable_model(tmp_path: Path) -> None:
    config = TrainConfig(synth_count=64, val_count=16, steps=3, batch=16, threads=1,
                         processes=1, log_every=1)
    model = train(config, tmp_path, data_root=None,
                  command="python -m training.ocr.train --steps 3")
    assert isinstance(model, torch.nn.Module)
    reader = load_reader(tmp_path, threads=1)
    assert reader.card.training["config"]["steps"] == 3
    assert reader.card.training["command"] == "python -m training.ocr.train --steps 3"
    # The card lists every type the data drew, the whole table, and their alphabet.
    assert reader.card.decoding.plate_types == tuple(row.gost_type for row in plate_types())
    assert reader.card.decoding.alphabet == required_alphabet(plate_types())
    crops = [np.full((30, 130), 200, np.uint8), np.zeros((56, 260, 3), np.uint8),
             side_by_side(np.full((112, 160), 90, np.uint8), 2)]
    readings = reader.read(crops, [1, 1, 2])
    assert [r.lines for r in readings] == [1, 1, 2]
    assert all(0.0 <= r.confidence <= 1.0 for r in readings)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Constant folding:UserWarning")
def test_a_reader_of_some_types_has_their_alphabet_only(tmp_path: Path) -> None:
    config = TrainConfig(synth_count=32, val_count=8, steps=2, batch=8, threads=1,
                         processes=1, log_every=1, plate_types=("1", "20"))
    train(config, tmp_path, data_root=None)
    reader = load_reader(tmp_path, threads=1)
    assert reader.card.decoding.plate_types == ("1", "20")
    assert reader.card.decoding.alphabet == required_alphabet(
        [plate_type("1"), plate_type("20")])
    assert "D" not in reader.card.decoding.alphabet


def test_real_training_images_are_real_extra_plus_the_training_half(shared_data: Path) -> None:
    from training.ocr.train import DEFAULT_DETECTOR, REAL_DEV_PREFIX, _real_training_images
    from training.real_dev_split import is_training_scene

    images = _real_training_images(shared_data, TrainConfig(), DEFAULT_DETECTOR)
    dev = [item.source for item in images if item.source.startswith(REAL_DEV_PREFIX)]
    scene_cuts = [s for s in dev if "#" in s]
    assert len(images) - len(dev) == 186  # real-extra: 93 crops + 93 provider-style
    assert scene_cuts and len(dev) > len(scene_cuts)
    assert all(is_training_scene(s.removeprefix(REAL_DEV_PREFIX).split("#")[0])
               for s in scene_cuts)
    none = _real_training_images(shared_data, TrainConfig(real_dev_half="none"),
                                 DEFAULT_DETECTOR)
    assert not any(item.source.startswith(REAL_DEV_PREFIX) for item in none)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Constant folding:UserWarning")
def test_a_run_starts_from_the_exported_reader_and_keeps_what_it_computes(
        tmp_path: Path) -> None:
    """Only the ONNX file is committed: a run starts from it, batch norms frozen."""
    import onnxruntime as ort

    shipped = load_reader(OCR_GRAPH.parent, threads=1)
    config = TrainConfig(synth_count=32, val_count=8, steps=1, batch=8, threads=1,
                         processes=1, log_every=1, init=str(OCR_GRAPH))
    rebuilt = initial_model(config, len(shipped.card.decoding.alphabet) + 1)
    x = np.random.default_rng(0).normal(size=(2, 1, 32, 128)).astype(np.float32)
    session = ort.InferenceSession(str(OCR_GRAPH), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, {session.get_inputs()[0].name: x})
    with torch.no_grad():
        np.testing.assert_allclose(rebuilt(torch.from_numpy(x)).numpy(), theirs, atol=1e-4)
    model = train(config, tmp_path, data_root=None)
    norms = [m for m in model.modules()
             if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d))]
    assert norms and all(torch.equal(m.running_var, torch.full_like(m.running_var, 1 - m.eps))
                         for m in norms)  # stored statistics untouched by the step
    card = load_reader(tmp_path, threads=1).card
    assert card.training["config"]["init"] == str(OCR_GRAPH)
    assert shipped.card.trained_on <= card.trained_on  # what it started from saw these
