"""PlateDetector on the shipped model: finds a drawn plate, checks its files, is thread-safe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from plate_service.errors import InferenceError
from plate_service.recognition.detector import (
    INPUT_NORMALISATION,
    SIZE_MULTIPLE,
    PlateDetector,
    input_size,
)
from plate_service.recognition.loading import load_detector
from plate_service.recognition.model_card import (
    CARD_NAME,
    DetectorDecoding,
    InputSpec,
    ModelCard,
)
from tests.conftest import MODELS_DIR
from tests.requirements import missing

DETECTOR_DIR = MODELS_DIR / "detector"
PLATE_BOX = (300, 420, 560, 476)  # where the drawn plate sits in the 1024x768 scene


@pytest.fixture(scope="module")
def detector() -> PlateDetector:
    if not (DETECTOR_DIR / CARD_NAME).is_file():
        missing("no detector model in models/detector")
    return load_detector(DETECTOR_DIR)


def draw_plate(width: int = 260, height: int = 56) -> np.ndarray:
    """A GOST-like plate drawn with cv2: white, black rim, 'A 123 BC', region box."""
    plate = np.full((height, width, 3), 235, np.uint8)
    cv2.rectangle(plate, (2, 2), (width - 3, height - 3), (20, 20, 20), 2)
    cv2.line(plate, (193, 2), (193, height - 3), (20, 20, 20), 2)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(plate, "A", (12, 44), font, 1.15, (20, 20, 20), 4, cv2.LINE_AA)
    cv2.putText(plate, "123", (44, 48), font, 1.5, (20, 20, 20), 4, cv2.LINE_AA)
    cv2.putText(plate, "BC", (128, 44), font, 1.15, (20, 20, 20), 4, cv2.LINE_AA)
    cv2.putText(plate, "77", (206, 34), font, 1.0, (20, 20, 20), 3, cv2.LINE_AA)
    cv2.putText(plate, "RUS", (205, 50), font, 0.4, (20, 20, 20), 1, cv2.LINE_AA)
    return plate


def draw_scene() -> np.ndarray:
    """A 1024x768 'car': grey road, dark body, bumper, lamps, and the plate on the bumper."""
    rng = np.random.default_rng(0)
    scene = np.zeros((768, 1024, 3), np.uint8)
    scene[:] = np.linspace(200, 90, 768, dtype=np.float32)[:, None, None].astype(np.uint8)
    cv2.rectangle(scene, (150, 180), (880, 560), (60, 40, 30), -1)  # body
    cv2.rectangle(scene, (220, 200), (810, 340), (120, 110, 100), -1)  # rear window
    cv2.rectangle(scene, (130, 400), (900, 520), (45, 35, 30), -1)  # bumper
    for x in (170, 770):
        cv2.rectangle(scene, (x, 360), (x + 90, 400), (30, 30, 200), -1)  # lamps
    x1, y1, x2, y2 = PLATE_BOX
    scene[y1:y2, x1:x2] = draw_plate(x2 - x1, y2 - y1)
    noise = rng.normal(0, 3, scene.shape)
    return np.clip(scene + noise, 0, 255).astype(np.uint8)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_finds_the_drawn_plate_with_corners_in_original_pixels(detector: PlateDetector) -> None:
    found = detector.detect(draw_scene())
    assert found, "no plate found"
    best = found[0]
    assert iou(best.box, PLATE_BOX) >= 0.5
    assert best.corners is not None and len(best.corners) == 4
    (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = best.corners
    assert tlx < trx and blx < brx and tly < bly and try_ < bry  # TL, TR, BR, BL order
    assert 0.0 < best.score <= 1.0


def test_boxes_follow_the_image_scale(detector: PlateDetector) -> None:
    scene = draw_scene()
    small = cv2.resize(scene, (512, 384), interpolation=cv2.INTER_AREA)
    big, little = detector.detect(scene)[0], detector.detect(small)[0]
    assert iou(tuple(v / 2 for v in big.box), little.box) >= 0.6


def test_grey_image_has_no_plates(detector: PlateDetector) -> None:
    assert detector.detect(np.full((480, 640, 3), 128, np.uint8)) == []


def test_is_safe_to_share_between_threads(detector: PlateDetector) -> None:
    scene = draw_scene()
    want = detector.detect(scene)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: detector.detect(scene), range(8)))
    assert all(r == want for r in results)


class _BrokenSession:
    def get_inputs(self) -> list[object]:
        class _Input:
            name = "image"
            shape = ["batch", 3, 384, 512]
        return [_Input()]

    def run(self, *_: object) -> list[np.ndarray]:
        raise RuntimeError("onnxruntime exploded")


CARD = ModelCard(weights="x.onnx", sha256="0" * 64,
                 input=InputSpec(3, 384, 512, INPUT_NORMALISATION),
                 decoding=DetectorDecoding(4, 32.0, 0.3, 0.3, 8, 0.12))


def test_onnxruntime_failures_become_inference_errors() -> None:
    broken = PlateDetector(_BrokenSession(), CARD)  # type: ignore[arg-type]
    with pytest.raises(InferenceError) as info:
        broken.detect(np.zeros((100, 100, 3), np.uint8))
    assert isinstance(info.value.__cause__, RuntimeError)


@pytest.mark.parametrize(("photo", "size"), [
    ((1200, 1600), (384, 512)),   # shrunk to the largest input
    ((900, 1600), (288, 512)),    # 16:9 needs no grey bars above and below
    ((350, 460), (352, 480)),     # a small photo is padded, never enlarged
    ((100, 2000), (32, 512)),
])
def test_a_photo_gets_the_smallest_input_that_holds_it_unenlarged(
        photo: tuple[int, int], size: tuple[int, int]) -> None:
    assert input_size(*photo, 384, 512) == size
    assert all(side % SIZE_MULTIPLE == 0 for side in size)


class _ShapeSession:
    """Records the input it is fed; finds nothing. Its graph's size is ``dims``."""

    def __init__(self, dims: list[object]) -> None:
        self.dims = dims
        self.fed: tuple[int, ...] = ()

    def get_inputs(self) -> list[object]:
        dims = self.dims

        class _Input:
            name = "image"
            shape = ["batch", 3, *dims]
        return [_Input()]

    def run(self, _: object, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.fed = feed["image"].shape
        n, _, h, w = self.fed
        return [np.zeros((n, 1, h // 4, w // 4), np.float32),
                np.zeros((n, 8, h // 4, w // 4), np.float32)]


@pytest.mark.parametrize(("dims", "fed"), [
    (["height", "width"], (1, 3, 352, 480)),  # any size: the photo's own
    ([384, 512], (1, 3, 384, 512)),            # fixed size: the photo letterboxed to it
])
def test_the_detector_feeds_a_graph_the_size_it_takes(dims: list[object],
                                                      fed: tuple[int, ...]) -> None:
    session = _ShapeSession(dims)
    PlateDetector(session, CARD).detect(np.zeros((350, 460, 3), np.uint8))  # type: ignore[arg-type]
    assert session.fed == fed


class _PeakSession(_ShapeSession):
    """A graph of any size whose heatmap peaks at the cells ``peaks`` gives, each with a
    40x12 px plate around it."""

    def __init__(self, peaks: dict[tuple[int, int], float]) -> None:
        super().__init__(["height", "width"])
        self.peaks = peaks

    def run(self, _: object, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        heat, corners = super().run(_, feed)
        for (y, x), score in self.peaks.items():
            heat[0, 0, y, x] = score
            corners[0, :, y, x] = np.array([-20, -6, 20, -6, 20, 6, -20, 6]) / 32.0
        return [heat, corners]


def test_faint_finds_come_back_marked_only_when_asked_for() -> None:
    session = _PeakSession({(20, 20): 0.6, (60, 60): 0.2, (20, 80): 0.05})
    detector = PlateDetector(session, CARD)  # type: ignore[arg-type]
    image = np.zeros((384, 512, 3), np.uint8)
    assert [(round(d.score, 2), d.faint) for d in detector.detect(image)] == [(0.6, False)]
    assert [(round(d.score, 2), d.faint) for d in detector.detect(image, faint=True)] == [
        (0.6, False), (0.2, True)]


def test_finds_most_labelled_plates_on_held_out_real_scenes(
        detector: PlateDetector, shared_data: Path) -> None:
    from training.eval_detector import held_out_scenes, match

    scenes = held_out_scenes(shared_data, MODELS_DIR)
    plates = found = 0
    for name, labels in scenes.items():
        image = cv2.imread(str(shared_data / "real-dev" / name), cv2.IMREAD_COLOR)
        claims = match([d.box for d in detector.detect(image)], labels)
        plates += len(labels)
        found += sum(c is not None for c in claims)
    assert plates > 50
    assert found / plates >= 0.9
