"""PlateRecognizer: crop vs scene decisions, one batched OCR call, ordering of plates."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from plate_service.recognition.calibration import ConfidenceCalibration
from plate_service.recognition.pipeline import (
    CORNER_PADDING,
    CORNER_PADDINGS,
    REFINE_PLATE_WIDTH,
    RESCAN_ANGLES,
    REFINE_WINDOW,
    TILE_MIN_SIDE,
    PlateRecognizer,
    best_reading,
    cut_plate,
    level_window,
    looks_like_plate_crop,
    order_corners,
    plate_roll,
)
from plate_service.recognition.types import Detection, ImageRecognition, OcrReading
from tests.fakes import FakeDetector, FakeReader, reading

CROP = np.zeros((56, 260, 3), dtype=np.uint8)
PHOTO = np.zeros((480, 640, 3), dtype=np.uint8)


class ScriptedReader:
    """Returns the given readings in order, one per crop."""

    def __init__(self, readings: list[OcrReading]) -> None:
        self.readings = readings
        self.calls: list[list[tuple[int, ...]]] = []

    def read(self, crops: list[np.ndarray]) -> list[OcrReading]:
        self.calls.append([crop.shape for crop in crops])
        return self.readings[: len(crops)]


class BatchScriptedReader:
    """Returns one scripted list of readings per call, in order."""

    def __init__(self, batches: list[list[OcrReading]]) -> None:
        self.batches = iter(batches)
        self.sizes: list[int] = []

    def read(self, crops: list[np.ndarray]) -> list[OcrReading]:
        self.sizes.append(len(crops))
        batch = next(self.batches)
        assert len(batch) == len(crops)
        return batch


def _rolled(quad: np.ndarray, degrees: float, centre: tuple[float, float]) -> np.ndarray:
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    return (quad @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


PLATE_QUAD = np.array([[100, 128], [300, 128], [300, 172], [100, 172]], np.float32)


@pytest.mark.parametrize("degrees", range(-60, 61, 10))
def test_corners_come_back_in_the_plates_own_order_whatever_the_roll(degrees: int) -> None:
    turned = _rolled(PLATE_QUAD, degrees, (200.0, 150.0))
    for order in itertools.permutations(range(4)):
        np.testing.assert_allclose(order_corners(turned[list(order)]), turned)


def test_cut_plate_straightens_a_rolled_plate() -> None:
    plate = np.zeros((44, 200, 3), np.uint8)
    plate[:, :100] = (0, 0, 255)  # left half red
    plate[:, 100:] = (255, 0, 0)  # right half blue
    plate[:8] = (0, 255, 0)  # a green top band
    source = np.array([[0, 0], [200, 0], [200, 44], [0, 44]], np.float32)
    quad = _rolled(PLATE_QUAD, 25, (200.0, 150.0))
    photo = cv2.warpPerspective(plate, cv2.getPerspectiveTransform(source, quad), (400, 300))
    shuffled = tuple((float(x), float(y)) for x, y in quad[[2, 0, 3, 1]])
    box = (int(quad[:, 0].min()), int(quad[:, 1].min()),
           int(quad[:, 0].max()), int(quad[:, 1].max()))
    crop = cut_plate(photo, Detection(box, 0.9, shuffled), padding=0.0)
    assert crop.shape == (56, 260, 3)
    assert crop[35, 60].tolist() == [0, 0, 255]
    assert crop[35, 200].tolist() == [255, 0, 0]
    assert crop[4, 130].tolist() == [0, 255, 0]


def test_auto_mode_searches_a_wide_frame_whose_whole_reading_is_no_plate() -> None:
    wide = np.zeros((200, 1000, 3), dtype=np.uint8)  # a dashcam panorama: crop-shaped
    assert looks_like_plate_crop(wide)
    detector = FakeDetector([Detection((400, 120, 520, 150), 0.9)])
    reader = BatchScriptedReader([[reading("XX", 0.9, valid=False)],
                                  [reading("XX", 0.9, valid=False), reading("A001AA77", 0.8)]])
    (result,) = PlateRecognizer(reader, detector).recognize([wide])
    assert reader.sizes == [1, 2]  # read whole, then searched: whole again + the plate
    assert result.mode == "scene"
    assert result.best is not None and result.best.source == "scene"
    assert result.best.reading.text_latin == "A001AA77"
    assert result.best.box == (400, 120, 520, 150)


def test_auto_mode_searches_an_unsure_crop_and_keeps_it_when_nothing_is_found() -> None:
    reader = BatchScriptedReader([[reading("A001AA77", 0.3)], [reading("A001AA77", 0.3)]])
    (result,) = PlateRecognizer(reader, FakeDetector([])).recognize([CROP])
    assert reader.sizes == [1, 1]
    assert result.mode == "crop"
    assert result.best is not None and result.best.source == "crop"
    assert result.best.reading.confidence == 0.3


def test_plate_shaped_images_are_crops_and_photos_are_not() -> None:
    assert looks_like_plate_crop(CROP)
    assert looks_like_plate_crop(np.zeros((125, 376), dtype=np.uint8))
    assert not looks_like_plate_crop(PHOTO)
    assert not looks_like_plate_crop(np.zeros((1080, 1920, 3), dtype=np.uint8))


def test_without_detector_every_image_is_read_whole_in_one_batch() -> None:
    reader = FakeReader()
    results = PlateRecognizer(reader).recognize([CROP, PHOTO, CROP])
    assert reader.batches == [3]
    assert [r.mode for r in results] == ["crop", "crop", "crop"]
    assert results[1].best is not None and results[1].best.box == (0, 0, 640, 480)


def test_scene_reads_each_detection_with_its_box_and_score() -> None:
    detections = [Detection((10, 20, 110, 45), 0.8), Detection((300, 200, 420, 230), 0.95)]
    reader = ScriptedReader([reading(confidence=0.1, valid=False),
                             reading("A001AA77", 0.7), reading("B002BB99", 0.9)])
    (result,) = PlateRecognizer(reader, FakeDetector(detections)).recognize([PHOTO])
    assert result.mode == "scene"
    assert [p.reading.text_latin for p in result.plates] == ["B002BB99", "A001AA77"]
    assert result.plates[0].box == (300, 200, 420, 230)
    assert result.plates[0].detection_score == 0.95
    assert reader.calls == [[(480, 640, 3), (25, 100, 3), (30, 120, 3)]]


def test_scene_drops_readings_that_fit_no_plate_format() -> None:
    reader = ScriptedReader([reading(valid=False), reading("XX", 0.9, valid=False)])
    detector = FakeDetector([Detection((10, 20, 110, 45), 0.8)])
    (result,) = PlateRecognizer(reader, detector).recognize([PHOTO])
    assert result.plates == ()
    assert result.best is None


def test_scene_without_detections_falls_back_to_a_confident_whole_image_reading() -> None:
    reader = ScriptedReader([reading("E123KX777", 0.95)])
    (result,) = PlateRecognizer(reader, FakeDetector([])).recognize([PHOTO], mode="scene")
    assert result.best is not None
    assert result.best.reading.text_latin == "E123KX777"
    assert result.best.source == "crop"


def test_auto_mode_reads_plate_shaped_images_as_crops_even_with_a_detector() -> None:
    detector = FakeDetector([Detection((0, 0, 10, 10), 0.9)])
    reader = FakeReader()
    (result,) = PlateRecognizer(reader, detector).recognize([CROP])
    assert result.mode == "crop"
    assert reader.batches == [1]


def test_crop_mode_skips_the_detector_on_photos() -> None:
    detector = FakeDetector([Detection((0, 0, 10, 10), 0.9)])
    (result,) = PlateRecognizer(FakeReader(), detector).recognize([PHOTO], mode="crop")
    assert result.mode == "crop"


def test_cut_plate_straightens_from_corners() -> None:
    image = np.zeros((200, 400, 3), dtype=np.uint8)
    corners = ((50.0, 60.0), (250.0, 70.0), (248.0, 115.0), (52.0, 104.0))
    crop = cut_plate(image, Detection((50, 60, 250, 115), 0.9, corners))
    assert crop.shape == (56, 260, 3)


def test_cut_plate_without_corners_uses_the_box() -> None:
    image = np.zeros((200, 400, 3), dtype=np.uint8)
    assert cut_plate(image, Detection((50, 60, 250, 115), 0.9)).shape == (55, 200, 3)


def test_scene_drops_detected_plates_read_without_confidence() -> None:
    reader = ScriptedReader([reading(valid=False), reading("T087811", 0.3),
                             reading("A001AA77", 0.8)])
    detector = FakeDetector([Detection((10, 20, 110, 45), 0.8),
                             Detection((300, 200, 420, 230), 0.9)])
    (result,) = PlateRecognizer(reader, detector).recognize([PHOTO])
    assert [p.reading.text_latin for p in result.plates] == ["A001AA77"]


def test_cut_plate_keeps_a_margin_around_the_corners() -> None:
    image = np.zeros((200, 400, 3), dtype=np.uint8)
    image[60:104, 50:250] = 255  # the plate exactly fills its corners
    corners = ((50.0, 60.0), (250.0, 60.0), (250.0, 104.0), (50.0, 104.0))
    crop = cut_plate(image, Detection((50, 60, 250, 104), 0.9, corners))
    assert crop[28, 130].min() == 255  # the plate's middle
    assert crop[1, 130].max() == 0 and crop[28, 1].max() == 0  # dark margin on each side


def test_framings_that_agree_outvote_one_surer_reading() -> None:
    readings = [reading("A001AA77", 0.6), reading("A001AA777", 0.99, valid=False),
                reading("A001AA71", 0.8), reading("A001AA77", 0.7)]
    best = best_reading(readings)
    assert (best.text_latin, best.confidence) == ("A001AA77", 0.7)
    # Without agreement the surest valid reading wins.
    assert best_reading(readings[:3]).text_latin == "A001AA71"
    invalid = [reading("XX", 0.3, valid=False), reading("YY", 0.9, valid=False)]
    assert best_reading(invalid).text_latin == "XX"


def test_a_region_digit_clipped_by_tight_framings_does_not_outvote_the_full_region() -> None:
    clipped = [reading("K095AE17", 0.9), reading("K095AE17", 0.8)]
    full = reading("K095AE177", 0.6)
    assert best_reading(clipped + [full]) is full
    # A shorter reading that is not the full one cut short keeps its own support.
    assert best_reading([reading("K095AE18", 0.9), reading("K095AE18", 0.8), full]
                        ).text_latin == "K095AE18"
    assert best_reading(clipped).text_latin == "K095AE17"


def test_a_plate_with_corners_is_read_in_each_framing_and_the_best_supported_reading_kept() -> None:
    corners = ((110.0, 200.0), (310.0, 200.0), (310.0, 244.0), (110.0, 244.0))
    detector = FakeDetector([Detection((110, 200, 310, 244), 0.9, corners)])
    framings = [reading("B002BB99", 0.55), reading("B002BB98", 0.8),
                reading("B002BB9", 0.95, valid=False)]
    reader = ScriptedReader([reading(valid=False), *framings])
    (result,) = PlateRecognizer(reader, detector).recognize([PHOTO])
    assert len(CORNER_PADDINGS) == 3
    assert reader.calls == [[(480, 640, 3)] + [(56, 260, 3)] * 3]
    assert [p.reading.text_latin for p in result.plates] == ["B002BB98"]


def test_a_wider_margin_shows_more_around_the_plate() -> None:
    image = np.zeros((300, 400, 3), dtype=np.uint8)
    image[100:150, 100:300] = 255  # the plate: white; around it: black
    corners = ((100.0, 100.0), (300.0, 100.0), (300.0, 150.0), (100.0, 150.0))
    detection = Detection((100, 100, 300, 150), 0.9, corners)
    tight, wide = (cut_plate(image, detection, padding) for padding in (0.05, 0.25))
    assert tight.mean() > wide.mean()


def test_reported_plates_carry_corners_calibrated_confidence_and_candidates() -> None:
    corners = ((12.5, 20.0), (110.0, 22.0), (108.0, 45.0), (10.0, 43.0))
    reader = ScriptedReader([reading(valid=False), reading("A001AA77", 0.55),
                             reading("A001AA77", 0.6), reading("A001AA77", 0.55)])
    detector = FakeDetector([Detection((10, 20, 111, 46), 0.8, corners)])
    calibration = ConfidenceCalibration((0.0, 0.5, 1.0), (0.0, 0.9, 1.0), "x")
    (result,) = PlateRecognizer(reader, detector, calibration=calibration).recognize([PHOTO])
    (plate,) = result.plates
    assert plate.corners == corners
    assert plate.reading.confidence == 0.6
    assert plate.confidence == pytest.approx(0.92)
    assert [c.text for c in plate.candidates] == ["А001АА77"]
    assert plate.reading.ctc is None  # the model output is not kept with the result


def test_keeping_a_plate_goes_by_the_raw_confidence_not_the_calibrated_one() -> None:
    reader = ScriptedReader([reading(valid=False), reading("A001AA77", 0.4)])
    detector = FakeDetector([Detection((10, 20, 110, 45), 0.8)])
    generous = ConfidenceCalibration((0.0, 0.1, 1.0), (0.0, 0.95, 1.0), "x")
    recognizer = PlateRecognizer(reader, detector, (CORNER_PADDING,), generous)
    assert recognizer.recognize([PHOTO])[0].plates == ()


def test_a_crop_has_the_whole_image_as_corners_and_an_invalid_one_no_candidates() -> None:
    (result,) = PlateRecognizer(ScriptedReader([reading("XX", 0.3, valid=False)])
                                ).recognize([CROP])
    (plate,) = result.plates
    assert plate.corners == ((0, 0), (260, 0), (260, 56), (0, 56))
    assert plate.candidates == ()


class ScriptedDetector:
    """Returns one scripted list of detections per call, in order; keeps what it saw."""

    def __init__(self, *calls: list[Detection]) -> None:
        self.calls = iter(calls)
        self.seen: list[tuple[int, ...]] = []

    def detect(self, image: np.ndarray) -> list[Detection]:
        self.seen.append(image.shape)
        return next(self.calls)


ROLLED_QUAD = _rolled(PLATE_QUAD, 20, (200, 150))


def _as_detection(quad: np.ndarray, score: float) -> Detection:
    lo, hi = quad.min(axis=0), quad.max(axis=0)
    return Detection((int(lo[0]), int(lo[1]), int(hi[0]) + 1, int(hi[1]) + 1), score,
                     tuple((float(x), float(y)) for x, y in quad))


def _in_window(quad: np.ndarray) -> np.ndarray:
    """Where ``level_window`` puts a photo's points: the inverse of its matrix back."""
    _, back = level_window(PHOTO, tuple(map(tuple, ROLLED_QUAD)))
    forward = cv2.invertAffineTransform(back)
    return quad @ forward[:, :2].T + forward[:, 2]


def test_the_roll_of_a_plate_comes_from_its_edges() -> None:
    assert plate_roll(tuple(map(tuple, ROLLED_QUAD))) == pytest.approx(20, abs=1e-3)
    assert plate_roll(tuple(map(tuple, PLATE_QUAD))) == pytest.approx(0, abs=1e-3)


def test_the_second_look_window_shows_the_plate_level_centred_and_enlarged() -> None:
    photo = np.zeros((300, 400), np.uint8)
    cv2.fillPoly(photo, [ROLLED_QUAD.astype(np.int32)], 255)
    window, _ = level_window(photo, tuple(map(tuple, ROLLED_QUAD)))
    assert window.shape[::-1] == REFINE_WINDOW
    (cx, cy), (w, h), angle = cv2.minAreaRect(cv2.findNonZero((window > 127).astype(np.uint8)))
    width, height = max(w, h), min(w, h)
    assert (cx, cy) == pytest.approx((REFINE_WINDOW[0] / 2, REFINE_WINDOW[1] / 2), abs=2)
    assert width == pytest.approx(REFINE_PLATE_WIDTH, abs=3)
    assert height == pytest.approx(REFINE_PLATE_WIDTH * 44 / 200, abs=3)
    assert min(angle % 90, 90 - angle % 90) < 1


def _looked_at_twice(quad: np.ndarray, score: float, first: OcrReading, again: OcrReading,
                     shift: tuple[float, float] = (0.0, 0.0)
                     ) -> tuple[ImageRecognition, ScriptedDetector, BatchScriptedReader]:
    """A photo with one find at ``quad`` read as ``first`` in each framing, then, if it
    gets a second look, found again in its window (moved by ``shift`` window pixels) and
    read as ``again`` in each framing."""
    detector = ScriptedDetector([_as_detection(quad, score)],
                                [_as_detection(_in_window(quad) + list(shift), 0.9)])
    reader = BatchScriptedReader([[reading(valid=False)] + [first] * 3, [again] * 3])
    (result,) = PlateRecognizer(reader, detector).recognize([PHOTO], "scene")
    return result, detector, reader


def test_an_unsure_plate_is_found_again_in_a_level_window_and_its_surer_reading_kept() -> None:
    result, detector, reader = _looked_at_twice(  # found again a little to the right
        ROLLED_QUAD, 0.8, reading("A001AA77", 0.6), reading("B002BB99", 0.95), (3.0, 0.0))
    assert detector.seen == [PHOTO.shape, (REFINE_WINDOW[1], REFINE_WINDOW[0], 3)]
    assert reader.sizes == [4, 3]
    (plate,) = result.plates
    assert plate.reading.text_latin == "B002BB99"
    # The new corners, mapped back to the photo: the first ones moved 3 window pixels
    # (3 x 200 / 230 photo pixels) along the plate's own rolled axis.
    shift = 3 * 200 / REFINE_PLATE_WIDTH
    roll = np.radians(20)
    expected = ROLLED_QUAD + [shift * np.cos(roll), -shift * np.sin(roll)]
    assert np.asarray(plate.corners) == pytest.approx(expected, abs=0.05)


def test_the_first_reading_stays_when_the_second_look_reads_less_surely() -> None:
    result, _, _ = _looked_at_twice(ROLLED_QUAD, 0.8, reading("A001AA77", 0.8),
                                    reading("B002BB99", 0.5))
    (plate,) = result.plates
    assert plate.reading.text_latin == "A001AA77"
    assert np.asarray(plate.corners) == pytest.approx(ROLLED_QUAD, abs=1e-3)


@pytest.mark.parametrize(("score", "text", "confidence"),
                         [(0.8, "A001AA77", 0.95), (0.4, "A001AA77", 0.6), (0.4, "A001AA", 0.4)],
                         ids=["sure reading", "weak find", "weak find, unsure series"])
def test_no_second_look_at_a_level_plate_read_surely_or_a_weak_find(
        score: float, text: str, confidence: float) -> None:
    detector = ScriptedDetector([_as_detection(PLATE_QUAD, score)], [], [])
    reader = BatchScriptedReader([[reading(valid=False)] + [reading(text, confidence)] * 3])
    PlateRecognizer(reader, detector).recognize([PHOTO], "scene")
    # No window: at most the photo turned (RESCAN_ANGLES) when no plate was reported.
    assert set(detector.seen) == {PHOTO.shape} and reader.sizes == [4]


def test_a_rolled_plate_read_surely_is_found_again_and_its_clipped_region_restored() -> None:
    # Loose corners of a rolled plate clip the last region digit in every framing alike.
    result, detector, _ = _looked_at_twice(ROLLED_QUAD, 0.4, reading("A001AA17", 0.99),
                                           reading("A001AA177", 0.99))
    assert detector.seen == [PHOTO.shape, (REFINE_WINDOW[1], REFINE_WINDOW[0], 3)]
    assert [plate.reading.text_latin for plate in result.plates] == ["A001AA177"]


def test_a_weak_find_that_surely_reads_a_series_without_region_is_found_again() -> None:
    # Corners that stop short of the region: "A001AA" and nothing after it.
    result, detector, _ = _looked_at_twice(PLATE_QUAD, 0.3, reading("A001AA", 0.99, valid=False),
                                           reading("A001AA177", 0.98))
    assert detector.seen == [PHOTO.shape, (REFINE_WINDOW[1], REFINE_WINDOW[0], 3)]
    assert [plate.reading.text_latin for plate in result.plates] == ["A001AA177"]


def test_no_new_reading_when_the_second_look_finds_nothing_at_the_centre() -> None:
    off_centre = Detection((0, 0, 50, 20), 0.9, ((0, 0), (50, 0), (50, 20), (0, 20)))
    detector = ScriptedDetector([_as_detection(ROLLED_QUAD, 0.8)], [off_centre])
    reader = BatchScriptedReader([[reading(valid=False)] + [reading("A001AA77", 0.6)] * 3])
    (result,) = PlateRecognizer(reader, detector).recognize([PHOTO], "scene")
    assert reader.sizes == [4] and result.plates[0].reading.text_latin == "A001AA77"


def _turned(quad: np.ndarray, degrees: float) -> np.ndarray:
    """Where a photo's points land when PHOTO is turned about its centre (RESCAN_ANGLES)."""
    height, width = PHOTO.shape[:2]
    return _rolled(quad, degrees, (width / 2, height / 2))


def test_a_photo_with_no_plate_found_is_searched_again_turned() -> None:
    # The plate is rolled by -20 degrees: the first pass misses it, the photo turned by
    # +20 shows it level, the one turned by -20 shows it at -40 and finds it again.
    plate = _turned(PLATE_QUAD, -20)
    detector = ScriptedDetector([], [_as_detection(_turned(plate, RESCAN_ANGLES[0]), 0.9)],
                                [_as_detection(_turned(plate, RESCAN_ANGLES[1]), 0.6)],
                                [])  # the rolled plate's second look finds nothing more
    reader = BatchScriptedReader([[reading(valid=False)],
                                  [reading(valid=False)] + [reading("A001AA77", 0.95)] * 3])
    (result,) = PlateRecognizer(reader, detector).recognize([PHOTO], "scene")
    assert detector.seen == [PHOTO.shape] * 3 + [(REFINE_WINDOW[1], REFINE_WINDOW[0], 3)]
    (found,) = result.plates
    assert found.reading.text_latin == "A001AA77" and found.detection_score == 0.9
    assert np.asarray(found.corners) == pytest.approx(plate, abs=0.01)


def test_no_turned_search_when_a_plate_was_found_or_a_turned_find_falls_outside() -> None:
    detector = ScriptedDetector([_as_detection(PLATE_QUAD, 0.9)])
    reader = BatchScriptedReader([[reading(valid=False)] + [reading("A001AA77", 0.95)] * 3])
    PlateRecognizer(reader, detector).recognize([PHOTO], "scene")
    assert detector.seen == [PHOTO.shape]
    outside = _as_detection(PLATE_QUAD + [2000, 0], 0.9)
    detector = ScriptedDetector([], [outside], [])
    reader = BatchScriptedReader([[reading(valid=False)]])
    (result,) = PlateRecognizer(reader, detector).recognize([PHOTO], "scene")
    # Both turned passes ran; with nothing found there, the photo is not read again.
    assert detector.seen == [PHOTO.shape] * 3
    assert result.plates == () and reader.sizes == [1]


def test_a_photo_with_a_sure_find_left_unread_is_searched_again_turned_for_more_plates() -> None:
    read = PLATE_QUAD + [300, 250]  # a plate read at once
    junk = _as_detection(PLATE_QUAD + [300, 0], 0.8)  # a sure find that reads as no plate
    missed = _turned(PLATE_QUAD, -20)  # rolled past what the first pass found
    detector = ScriptedDetector(
        [_as_detection(read, 0.9), junk],
        [],  # the second look at the junk finds nothing
        [_as_detection(_turned(missed, RESCAN_ANGLES[0]), 0.9)],
        [_as_detection(_turned(read, RESCAN_ANGLES[1]), 0.9)],  # the read plate again
        [])  # the rolled new find's second look finds nothing more
    reader = BatchScriptedReader([
        [reading(valid=False)] + [reading("A001AA77", 0.95)] * 3 + [reading(valid=False)] * 3,
        [reading(valid=False)] + [reading("B002BB99", 0.92)] * 3])
    (result,) = PlateRecognizer(reader, detector).recognize([PHOTO], "scene")
    window = (REFINE_WINDOW[1], REFINE_WINDOW[0], 3)
    assert detector.seen == [PHOTO.shape, window, PHOTO.shape, PHOTO.shape, window]
    assert reader.sizes == [7, 4]  # only the new find is read again
    assert [plate.reading.text_latin for plate in result.plates] == ["A001AA77", "B002BB99"]
    assert np.asarray(result.plates[1].corners) == pytest.approx(missed, abs=0.01)


def test_no_turned_search_when_every_sure_find_was_read() -> None:
    detector = ScriptedDetector([_as_detection(PLATE_QUAD, 0.9),
                                 _as_detection(PLATE_QUAD + [300, 0], 0.4)])  # a weak find
    reader = BatchScriptedReader([
        [reading(valid=False)] + [reading("A001AA77", 0.95)] * 3 + [reading(valid=False)] * 3])
    (result,) = PlateRecognizer(reader, detector).recognize([PHOTO], "scene")
    assert detector.seen == [PHOTO.shape] and reader.sizes == [7]
    assert [plate.reading.text_latin for plate in result.plates] == ["A001AA77"]


DASHCAM = np.zeros((900, 1600, 3), dtype=np.uint8)  # over TILE_MIN_SIDE on its long side


def test_a_large_photo_with_no_plate_read_is_searched_tile_by_tile() -> None:
    assert max(DASHCAM.shape[:2]) >= TILE_MIN_SIDE
    # Tiles of 920x518 px, at x 0 and 680, y 0 and 382; the plate is found in the last.
    in_tile = PLATE_QUAD + [100, 50]
    detector = ScriptedDetector([], [], [],  # the whole photo, then turned by each angle
                                [], [], [], [_as_detection(in_tile, 0.9)])
    reader = BatchScriptedReader([[reading(valid=False)],
                                  [reading(valid=False)] + [reading("A001AA77", 0.95)] * 3])
    (result,) = PlateRecognizer(reader, detector).recognize([DASHCAM], "scene")
    assert detector.seen == [DASHCAM.shape] * 3 + [(518, 920, 3)] * 4
    (plate,) = result.plates
    assert plate.reading.text_latin == "A001AA77" and plate.source == "scene"
    assert np.asarray(plate.corners) == pytest.approx(in_tile + [680, 382])


@pytest.mark.parametrize("photo", [PHOTO, DASHCAM], ids=["small photo", "plate read"])
def test_no_tile_search_on_a_small_photo_or_once_a_plate_was_read(photo: np.ndarray) -> None:
    found = [_as_detection(PLATE_QUAD, 0.9)] if photo is DASHCAM else []
    detector = ScriptedDetector(found, [], [])
    plate = [reading("A001AA77", 0.95)] * 3 if found else []
    reader = BatchScriptedReader([[reading(valid=False)] + plate])
    PlateRecognizer(reader, detector).recognize([photo], "scene")
    assert set(detector.seen) == {photo.shape}  # at most the turned search, no tiles
