"""The shared real-dev split: crops follow their scene, and the OCR eval skips what it saw."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from training.eval_detector import held_out_scenes, training_half_scenes
from training.eval_ocr import load_rows
from plate_service.recognition.model_card import ModelCard, OcrDecoding
from plate_service.recognition.rectify import RECTIFIED_SIZE
from plate_service.recognition.plate_format import ALPHABET, BLANK_INDEX
from plate_service.recognition.preprocess import OCR_INPUT
from training.ocr.data import cut_scene_plates, load_real_dev_half
from training.real_dev_split import (is_training_crop, is_training_scene, read_scene_labels,
                                     source_scene)

REPO_ROOT = Path(__file__).resolve().parents[2]

FIELDS = ["file", "kind", "plate_latin", "plate_cyrillic", "x1", "y1", "x2", "y2",
          "source_repo", "source_path", "label_source", "notes"]


def _scenes_in_each_half() -> tuple[str, str]:
    names = [f"s{i:04d}.jpg" for i in range(1, 200)]
    return (next(n for n in names if is_training_scene(n)),
            next(n for n in names if not is_training_scene(n)))


def _write_real_dev(root: Path, crops: list[tuple[str, str, str]]) -> Path:
    """A real-dev folder with (stem, text, scene) crops and their provider-style copies."""
    dev = root / "real-dev"
    (dev / "crops").mkdir(parents=True)
    (dev / "provider-style").mkdir()
    image = np.full((56, 260, 3), 200, np.uint8)
    with (dev / "labels.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        for stem, text, scene in crops:
            writer.writerow({"file": f"scenes/{scene}", "kind": "scene", "plate_latin": text,
                             "x1": 10, "y1": 10, "x2": 60, "y2": 22})
            cv2.imwrite(str(dev / "crops" / f"{stem}.png"), image)
            cv2.imwrite(str(dev / "provider-style" / f"{stem}.jpg"), image[:, :, 0])
            writer.writerow({"file": f"crops/{stem}.png", "kind": "crop", "plate_latin": text,
                             "notes": f"tight crop of a box from x.jpg (= scenes/{scene})"})
            writer.writerow({"file": f"provider-style/{stem}.jpg", "kind": "provider-style",
                             "plate_latin": text,
                             "notes": f"grayscale 260x56 JPEG q95 made from crops/{stem}.png"})
    return dev


def test_a_crop_follows_the_scene_it_was_cut_from() -> None:
    train_scene, held_scene = _scenes_in_each_half()
    assert source_scene(f"tight crop (= scenes/{train_scene})") == train_scene
    assert source_scene("read visually") is None
    assert is_training_crop("crops/c0001.png", f"(= scenes/{train_scene})")
    assert not is_training_crop("crops/c0001.png", f"(= scenes/{held_scene})")


def test_halves_are_disjoint_and_keep_a_crop_with_its_grey_copy(tmp_path: Path) -> None:
    train_scene, held_scene = _scenes_in_each_half()
    dev = _write_real_dev(tmp_path, [("c0001", "A001AA77", train_scene),
                                     ("c0002", "B002BB77", held_scene),
                                     ("c0003", "C003CC77", train_scene)])
    train = {item.source for item in load_real_dev_half(dev, "train")}
    held = {item.source for item in load_real_dev_half(dev, "held")}
    assert train == {"crops/c0001.png", "provider-style/c0001.jpg",
                     "crops/c0003.png", "provider-style/c0003.jpg"}
    assert held == {"crops/c0002.png", "provider-style/c0002.jpg"}


def test_a_plate_seen_in_both_halves_is_trained_on_in_neither(tmp_path: Path) -> None:
    train_scene, held_scene = _scenes_in_each_half()
    dev = _write_real_dev(tmp_path, [("c0001", "A001AA77", train_scene),
                                     ("c0002", "A001AA77", held_scene)])
    assert load_real_dev_half(dev, "train") == []
    assert load_real_dev_half(dev, "held") == []
    with pytest.raises(ValueError):
        load_real_dev_half(dev, "both")


def test_ocr_eval_leaves_out_the_files_the_model_trained_on(tmp_path: Path) -> None:
    train_scene, held_scene = _scenes_in_each_half()
    _write_real_dev(tmp_path, [("c0001", "A001AA77", train_scene),
                               ("c0002", "B002BB77", held_scene)])
    trained = frozenset({"real-dev/crops/c0001.png", "real-dev/provider-style/c0001.jpg"})
    scored = {row.path.name for row in load_rows(tmp_path, trained)}
    assert scored == {"c0002.png", "c0002.jpg"}
    assert len(load_rows(tmp_path)) == 4


def _another_scene(in_training_half: bool) -> str:
    return next(f"s{i:04d}.jpg" for i in range(300, 600)
                if is_training_scene(f"s{i:04d}.jpg") == in_training_half)


def _one_plate_per_scene(root: Path, scenes: list[str]) -> None:
    """Crops c0001, c0002, ... with distinct plates A001AA77, B002BB77, ... one per scene."""
    plates = ["A001AA77", "B002BB77", "C003CC77"]
    _write_real_dev(root, [(f"c{i + 1:04d}", plates[i], scene) for i, scene in enumerate(scenes)])


def _ocr_trained_on(models: Path, real_dev_files: list[str]) -> None:
    """Write the OCR card the evals read the OCR's training files from."""
    (models / "ocr").mkdir(parents=True, exist_ok=True)
    ModelCard(weights="plate_ocr.onnx", sha256="0" * 64, input=OCR_INPUT,
              decoding=OcrDecoding(ALPHABET, BLANK_INDEX, ("1", "1Б", "2", "20", "15")),
              training={"trained_on": real_dev_files}).write(models / "ocr")


@pytest.mark.parametrize("select, in_training_half, crop_of_mine", [
    (held_out_scenes, False, "real-dev/provider-style/c0002.jpg"),
    (training_half_scenes, True, "real-dev/crops/c0001.png"),
], ids=["held-out", "development"])
def test_each_eval_scene_set_is_its_half_minus_what_the_ocr_saw(
    tmp_path: Path, select: Callable[[Path, Path], dict[str, list[Any]]],
    in_training_half: bool, crop_of_mine: str,
) -> None:
    """The detector eval's held-out scenes and its development scenes (the training half)
    each drop a scene once the OCR trained on a crop cut from it or on a plate cut from it."""
    train_scene, held_scene = _scenes_in_each_half()
    mine = train_scene if in_training_half else held_scene
    other = _another_scene(in_training_half)
    _one_plate_per_scene(tmp_path, [train_scene, held_scene, other])
    models = tmp_path / "models"
    assert set(select(tmp_path, models)) == {f"scenes/{mine}", f"scenes/{other}"}
    _ocr_trained_on(models, [crop_of_mine])
    assert set(select(tmp_path, models)) == {f"scenes/{other}"}
    _ocr_trained_on(models, [f"real-dev/scenes/{other}#0"])
    assert set(select(tmp_path, models)) == {f"scenes/{mine}"}


def test_scene_plates_are_cut_like_the_service_from_one_half_only(shared_data: Path) -> None:
    cuts = cut_scene_plates(shared_data, "train", REPO_ROOT / "models" / "detector")
    labels = read_scene_labels(shared_data)
    assert len(cuts) >= 30  # most of the training half's ~50 plates are found
    for cut in cuts:
        scene, index = cut.source.split("#")
        assert is_training_scene(scene)
        assert labels[scene][int(index)][4] == cut.text_latin
        assert cut.image.shape[:2] == (RECTIFIED_SIZE[1], RECTIFIED_SIZE[0])
