"""Detector training smoke run: targets decode back to the plate, a few steps, a valid export."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.requirements import missing, require_module

torch = require_module("torch")

from plate_service.recognition.detector import decode_outputs  # noqa: E402
from plate_service.recognition.loading import load_detector  # noqa: E402
from training.detector import data  # noqa: E402
from training.detector.export import export_detector  # noqa: E402
from training.detector.model import (CORNER_SCALE, STRIDE, encode_targets,  # noqa: E402
                                     focal_loss)
from training.detector.train import (CROP_H, CROP_W, INPUT_H, INPUT_W,  # noqa: E402
                                     ON_PLATE_SHARE, RECIPE, Stage, crop_origin, make_batch,
                                     plate_net_from_onnx, train)

QUAD = np.array([[40.0, 50.0], [140.0, 54.0], [139.0, 76.0], [39.0, 72.0]], np.float32)


def test_encoded_targets_decode_back_to_the_corners() -> None:
    heat, reg, weight = encode_targets([QUAD], 128, 192)
    assert heat.shape == (1, 32, 48) and reg.shape == (8, 32, 48)
    assert heat.max() == 1.0 and weight.sum() > 0
    found = decode_outputs(heat[0], reg, stride=STRIDE, corner_scale=CORNER_SCALE,
                           score_threshold=0.5)
    assert len(found) == 1
    np.testing.assert_allclose(found[0][1], QUAD, atol=1e-3)


def test_a_plate_known_by_its_box_only_peaks_without_corner_targets() -> None:
    heat, reg, weight = encode_targets([], 128, 192, boxes_only=[QUAD])
    assert heat.max() == 1.0
    assert weight.sum() == 0 and not reg.any()


def test_an_unread_plate_is_neither_a_plate_nor_background() -> None:
    """Its cells sit just below a peak: no positive, and (1 - target)^4 mutes the negative."""
    heat, _, weight = encode_targets([], 128, 192, unknown=[QUAD])
    assert (heat == 1.0).sum() == 0 and weight.sum() == 0
    inside = heat[0, 60 // STRIDE, 90 // STRIDE]
    assert inside >= 0.99
    target = torch.from_numpy(heat[None])
    pred = torch.where(target > 0, 0.5, 0.0)  # a peak found on the unread plate
    assert focal_loss(pred, target) < 1e-3 * focal_loss(pred, torch.zeros_like(target))


def test_rolled_plates_keep_their_own_corner_order() -> None:
    """Pasted plates are rolled well past the old +-18 degrees, and their first corner is
    still the plate's top-left: the top edge runs rightwards, the left edge downwards."""
    rng = np.random.default_rng(0)
    rolls = []
    for _ in range(200):
        quad = data._plate_quad(rng, 200.0, 150.0, 120.0, 4.6)
        top, left = quad[1] - quad[0], quad[3] - quad[0]
        assert top[0] > 0 and left[1] > 0
        rolls.append(np.degrees(np.arctan2(top[1], top[0])))
    assert max(np.abs(rolls)) > 25


def _sources() -> data.Sources:
    if not data.HAVE_RENDERER:
        missing("the synthetic plate renderer (training.synth) is not available")
    return data.Sources((), (), ())


def test_scenes_are_deterministic_and_hold_plates() -> None:
    sources = _sources()
    a = make_batch(sources, RECIPE[0], step=7, batch=2)
    b = make_batch(sources, RECIPE[0], step=7, batch=2)
    for x, y in zip(a, b):
        assert torch.equal(x, y)
    scene = data.make_scene(np.random.default_rng(3), sources, 192, 256, RECIPE[0].turned)
    assert scene.image.shape == (192, 256, 3) and scene.image.dtype == np.uint8
    assert all(q.shape == (4, 2) for q in scene.quads)


def test_rendered_plates_cover_every_type_of_the_table() -> None:
    if not data.HAVE_RENDERER:
        missing("the synthetic plate renderer (training.synth) is not available")
    from plate_service.recognition.plate_types import plate_types

    rng = np.random.default_rng(0)
    drawn = [data.draw_plate_type(rng) for _ in range(1000)]
    assert {row.name for row in drawn} == {row.name for row in plate_types()}
    two_line = sum(row.line_count > 1 for row in drawn) / len(drawn)
    assert 0.15 < two_line < 0.35


def test_a_stage_s_plate_mix_sets_the_share_of_each_shape() -> None:
    if not data.HAVE_RENDERER:
        missing("the synthetic plate renderer (training.synth) is not available")
    rng = np.random.default_rng(0)
    drawn = [data.draw_plate_type(rng, data.PlateMix(private=0.0, one_line=1.0))
             for _ in range(300)]
    assert all(row.line_count == 1 and row.name != "private" for row in drawn)
    assert len({row.name for row in drawn}) > 5


def test_a_painted_over_plate_is_lit_as_the_plate_it_covers_and_of_one_line() -> None:
    if not data.HAVE_RENDERER:
        missing("the synthetic plate renderer (training.synth) is not available")
    mix = data.PlateMix(private=0.3, one_line=0.45, lit_like_old=True)
    assert mix.one_line_only().private + mix.one_line_only().one_line == pytest.approx(1.0)
    quad = np.array([[40, 40], [240, 40], [240, 90], [40, 90]], np.float32)
    sources = data.Sources((), (), ())
    for brightness in (60, 200):
        canvas = np.full((160, 320, 3), brightness, np.uint8)
        for seed in range(20):
            rng = np.random.default_rng(seed)
            plate = data._painted_over(rng, sources, canvas, quad, mix)
            assert plate.shape[1] > 2 * plate.shape[0]  # a one-line plate's shape
            bright = np.percentile(cv2.cvtColor(plate, cv2.COLOR_BGR2GRAY),
                                   data.BRIGHT_PERCENTILE)
            low, high = data.LIGHT_MATCH
            assert 0.85 * low * brightness <= bright <= 1.15 * high * brightness + 1


def test_a_square_plate_is_pasted_with_its_own_shape() -> None:
    if not data.HAVE_RENDERER:
        missing("the synthetic plate renderer (training.synth) is not available")
    from plate_service.recognition.plate_types import by_name

    row = by_name("motorcycle")
    plate = data.draw_plate(np.random.default_rng(1), row, "1234AB77", 0.5)
    assert abs(plate.shape[1] / plate.shape[0] - row.aspect) < 0.05


def test_training_windows_mostly_hold_a_plate_and_stay_in_the_scene() -> None:
    rng = np.random.default_rng(2)
    corner_plate = QUAD + np.array([INPUT_W - 160, INPUT_H - 80], np.float32)
    held = 0
    for _ in range(400):
        x0, y0 = crop_origin(rng, [corner_plate])
        assert 0 <= x0 <= INPUT_W - CROP_W and 0 <= y0 <= INPUT_H - CROP_H
        cx, cy = corner_plate.mean(axis=0)
        held += x0 <= cx < x0 + CROP_W and y0 <= cy < y0 + CROP_H
    assert held / 400 >= ON_PLATE_SHARE - 0.05


def test_a_few_steps_train_and_export_loads(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    stages = [Stage(2, 2e-3, 1, data.TurnedPhotos(0.5)),
              Stage(1, 1e-3, 2, data.TurnedPhotos(0.75, uniform=True))]
    model, record = train(_sources(), stages, batch=2, save=tmp_path / "weights.pt",
                          log_every=1)
    saved = torch.load(tmp_path / "weights.pt")  # the weights after the last stage
    resumed, _ = train(_sources(), [Stage(0, 1e-3, 3, data.TurnedPhotos(0.5))], batch=2,
                       init=tmp_path / "weights.pt")
    for name, tensor in resumed.state_dict().items():
        assert torch.equal(tensor, saved[name]) and torch.equal(tensor, model.state_dict()[name])
    assert [stage["steps"] for stage in record] == [2, 1]
    assert record[1]["turned"] == {"share": 0.75, "uniform": True}
    out = tmp_path / "detector"
    export_detector(model, out, height=128, width=160)
    detector = load_detector(out)
    assert detector.card.input.height == 128
    for size in ((100, 200), (300, 200)):  # smaller than the largest input, and larger
        found = detector.detect(np.full((*size, 3), 127, np.uint8))
        assert isinstance(found, list)


def test_a_stage_resumes_from_the_exported_graph_and_keeps_what_it_computes(
        tmp_path: Path) -> None:
    """Only the ONNX file is committed: a new stage starts from it, batch norms frozen."""
    torch.set_num_threads(1)
    model, _ = train(_sources(), [Stage(2, 2e-3, 1, data.TurnedPhotos(0.5))], batch=2)
    export_detector(model, tmp_path, height=128, width=160)
    graph = tmp_path / "detector.onnx"
    rebuilt = plate_net_from_onnx(graph)
    image = torch.rand(1, 3, 96, 128) * 255
    with torch.no_grad():
        for ours, theirs in zip(rebuilt(image), model(image)):
            torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=1e-4)
    resumed, record = train(_sources(), [Stage(1, 1e-3, 2, data.TurnedPhotos(0.5))],
                            batch=2, init=graph)
    assert record[0]["frozen_norms"] is True  # the card says how the stage ran
    norms = [m for m in resumed.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(torch.equal(m.running_var, torch.full_like(m.running_var, 1 - m.eps))
               for m in norms)  # stored statistics untouched by the step
    weights = dict(resumed.named_parameters())
    assert any(not torch.equal(tensor, dict(rebuilt.named_parameters())[name])
               for name, tensor in weights.items())


def test_extra_photos_notes_give_tilted_plates_and_unread_ones(tmp_path: Path) -> None:
    folder = tmp_path / data.EXTRA_SCENES
    folder.mkdir()
    header = "file,kind,plate_latin,plate_cyrillic,x1,y1,x2,y2,source_repo,source_path," \
             "label_source,notes\n"
    rows = [
        'scenes/x0001.jpg,scene,A001AA77,,10,20,110,45,r,p,manual_reading,"box drawn by '
        'hand; skipped non-standard plate (trailer) at 300 40 350 52"',
        'scenes/x0002.jpg,scene,B002BB99,,5,6,70,30,r,p,manual_reading,"tilted (~19 deg); '
        'night; unreadable_plates_present; also: 1 2 3 4; 50 60 70 80; same plate also '
        'in x0003.jpg"',
    ]
    (folder / "labels.csv").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    parsed = data.extra_scene_rows(tmp_path)
    assert parsed["scenes/x0001.jpg"] == [((10, 20, 110, 45), True, [(300, 40, 350, 52)])]
    assert parsed["scenes/x0002.jpg"] == [((5, 6, 70, 30), False, [(1, 2, 3, 4),
                                                                   (50, 60, 70, 80)])]


def _rolls_of_turned_photos(turned: data.TurnedPhotos, count: int = 400) -> list[float]:
    """The roll of each of ``count`` turned copies of a photo with one level plate
    (0 for a copy left as it is), read off the plate's top edge."""
    photo = data.Background(np.zeros((200, 300, 3), np.uint8), ((100.0, 90.0, 200.0, 112.0),))
    rng = np.random.default_rng(5)
    rolls = []
    for _ in range(count):
        _, (quad,), _ = data._turned_photo(rng, photo, turned)
        top = quad[1] - quad[0]
        rolls.append(float(np.degrees(np.arctan2(-top[1], top[0]))))
    return rolls


def test_a_stage_turns_its_share_of_real_photos_by_its_roll_law() -> None:
    level_mix = np.abs(_rolls_of_turned_photos(data.TurnedPhotos(0.5)))
    uniform = np.abs(_rolls_of_turned_photos(data.TurnedPhotos(0.75, uniform=True)))
    assert 0.4 < np.mean(level_mix > 1e-6) < 0.6
    assert 0.68 < np.mean(uniform > 1e-6) < 0.82
    turned_level = level_mix[level_mix > 1e-6]
    turned_uniform = uniform[uniform > 1e-6]
    assert np.mean(turned_level < 8) > 0.4  # near level, as pasted plates are
    assert np.mean(turned_uniform < 8) < 0.3
    assert turned_uniform.max() <= data.MAX_ROLL + 1e-3


def test_camera_conditions_change_a_scene_but_not_its_plates() -> None:
    sources = _sources()
    turned = RECIPE[0].turned
    changed = 0
    for seed in range(6):
        plain = data.make_scene(np.random.default_rng(seed), sources, 192, 256, turned)
        under = data.make_scene(np.random.default_rng(seed), sources, 192, 256, turned,
                                condition_share=1.0)
        assert len(plain.quads) == len(under.quads)
        for a, b in zip(plain.quads, under.quads):
            np.testing.assert_array_equal(a, b)
        assert under.image.shape == plain.image.shape and under.image.dtype == np.uint8
        changed += not np.array_equal(plain.image, under.image)
    assert changed == 6
