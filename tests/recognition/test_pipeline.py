"""PlateRecognizer, one image through the stages: crop vs scene, one reader call per pass,
one detector pass per photo, and when the second look runs."""

from __future__ import annotations

import numpy as np
import pytest

from plate_service.recognition.choose import FALLBACK_MIN_CONFIDENCE, SCENE_MIN_CONFIDENCE
from plate_service.recognition.pipeline import PlateRecognizer, looks_like_plate_crop
from plate_service.recognition.read import CORNER_PADDINGS
from plate_service.recognition.types import Detection, ImageRecognition, OcrReading
from tests.fakes import FakeDetector, FakeReader, reading
from tests.recognition.stand_ins import (
    CROP,
    DASHCAM,
    PHOTO,
    PLATE_QUAD,
    ROLLED_QUAD,
    WINDOW,
    BatchScriptedReader,
    ScriptedDetector,
    ScriptedReader,
    as_detection,
    in_window,
)


def test_plate_shaped_images_are_crops_and_photos_are_not() -> None:
    assert looks_like_plate_crop(CROP)
    assert looks_like_plate_crop(np.zeros((125, 376), dtype=np.uint8))
    assert not looks_like_plate_crop(PHOTO)
    assert not looks_like_plate_crop(np.zeros((1080, 1920, 3), dtype=np.uint8))


def test_without_detector_every_image_is_read_whole() -> None:
    reader = FakeReader()
    result = PlateRecognizer(reader).recognize(PHOTO)
    assert reader.batches == [1] and result.mode == "crop"
    assert result.best is not None and result.best.box == (0, 0, 640, 480)


def test_auto_mode_reads_plate_shaped_images_as_crops_even_with_a_detector() -> None:
    reader = FakeReader()
    result = PlateRecognizer(reader, FakeDetector([Detection((0, 0, 10, 10), 0.9)])).recognize(CROP)
    assert result.mode == "crop" and reader.batches == [1]


def test_crop_mode_skips_the_detector_on_photos() -> None:
    detector = ScriptedDetector()
    result = PlateRecognizer(FakeReader(), detector).recognize(PHOTO, mode="crop")
    assert result.mode == "crop" and detector.seen == []


def test_auto_mode_searches_a_wide_frame_whose_whole_reading_is_no_plate() -> None:
    wide = np.zeros((200, 1000, 3), dtype=np.uint8)  # a dashcam panorama: crop-shaped
    assert looks_like_plate_crop(wide)
    detector = FakeDetector([Detection((400, 120, 520, 150), 0.9)])
    reader = BatchScriptedReader([[reading("XX", 0.9, valid=False)], [reading("A001AA77", 0.95)]])
    result = PlateRecognizer(reader, detector).recognize(wide)
    assert reader.sizes == [1, 1]  # read whole, then searched: the plate alone
    assert result.mode == "scene"
    assert result.best is not None and result.best.source == "scene"
    assert result.best.reading.text_latin == "A001AA77"
    assert result.best.box == (400, 120, 520, 150)


def test_auto_mode_searches_an_unsure_crop_and_keeps_it_when_nothing_is_found() -> None:
    reader = BatchScriptedReader([[reading("A001AA77", 0.3)], [reading("A001AA77", 0.3)]])
    result = PlateRecognizer(reader, FakeDetector([])).recognize(CROP)
    assert reader.sizes == [1, 1]
    assert result.mode == "crop"
    assert result.best is not None and result.best.source == "crop"
    assert result.best.reading.confidence == 0.3


def test_a_scene_reads_every_find_in_one_call_and_not_the_photo_whole_once_a_plate_is_read(
        ) -> None:
    detections = [Detection((10, 20, 110, 45), 0.8), Detection((300, 200, 420, 230), 0.95)]
    reader = ScriptedReader([reading("A001AA77", 0.92), reading("B002BB99", 0.97)])
    result = PlateRecognizer(reader, FakeDetector(detections)).recognize(PHOTO)
    assert result.mode == "scene"
    assert [p.reading.text_latin for p in result.plates] == ["B002BB99", "A001AA77"]
    assert reader.calls == [[(25, 100, 3), (30, 120, 3)]]


def test_a_plate_with_corners_is_read_in_each_framing_and_the_best_supported_reading_kept() -> None:
    corners = ((110.0, 200.0), (310.0, 200.0), (310.0, 244.0), (110.0, 244.0))
    detector = FakeDetector([Detection((110, 200, 310, 244), 0.9, corners)])
    framings = [reading("B002BB99", 0.55), reading("B002BB98", 0.8),
                reading("B002BB9", 0.95, valid=False)]
    reader = ScriptedReader(framings)
    result = PlateRecognizer(reader, detector).recognize(PHOTO)
    assert len(CORNER_PADDINGS) == 3
    # Read, then, unsure and not found again, read cleaned: the same three readings.
    assert reader.calls == [[(56, 260, 3)] * 3] * 2
    assert [p.reading.text_latin for p in result.plates] == ["B002BB98"]


def test_a_scene_without_finds_falls_back_to_a_sure_whole_image_reading() -> None:
    reader = ScriptedReader([reading("E123KX777", 0.95)])
    result = PlateRecognizer(reader, FakeDetector([])).recognize(PHOTO, mode="scene")
    assert result.best is not None and result.best.source == "crop"
    assert result.best.reading.text_latin == "E123KX777"


def test_a_photos_reads_tell_the_reader_how_sure_a_kept_reading_must_be() -> None:
    scene = ScriptedReader([reading("E123KX777", 0.95)])
    PlateRecognizer(scene, FakeDetector([])).recognize(PHOTO, mode="scene")
    assert scene.min_confidences == [FALLBACK_MIN_CONFIDENCE]
    found = ScriptedReader([reading("E123KX77", 0.3)] * 3)
    PlateRecognizer(found, FakeDetector([as_detection(PLATE_QUAD, 0.9)])).recognize(
        PHOTO, mode="scene")
    # The find's framings, its second look and its clean look (it reads unsurely), then,
    # with no plate kept, the photo whole.
    assert found.min_confidences == [SCENE_MIN_CONFIDENCE] * 3 + [FALLBACK_MIN_CONFIDENCE]
    crop = ScriptedReader([reading("E123KX777", 0.2)])
    PlateRecognizer(crop, FakeDetector([])).recognize(CROP, mode="crop")
    assert crop.min_confidences == [0.0]  # a crop's reading is reported however unsure


def _looked_at_twice(quad: np.ndarray, score: float, first: OcrReading, again: OcrReading,
                     shift: tuple[float, float] = (0.0, 0.0), cleaned: OcrReading | None = None
                     ) -> tuple[ImageRecognition, ScriptedDetector, BatchScriptedReader]:
    """A photo with one find at ``quad`` read as ``first`` in each framing, then, if it
    gets a second look, found again in its window (moved by ``shift`` window pixels) and
    read as ``again`` in each framing; then, if still unsure, read ``cleaned``."""
    detector = ScriptedDetector([as_detection(quad, score)],
                                [as_detection(in_window(quad) + list(shift), 0.9)])
    reader = BatchScriptedReader([[first] * 3, [again] * 3]
                                 + ([[cleaned] * 3] if cleaned is not None else []))
    result = PlateRecognizer(reader, detector).recognize(PHOTO, "scene")
    return result, detector, reader


def test_an_unsure_plate_is_found_again_and_its_surer_reading_and_corners_kept() -> None:
    result, detector, reader = _looked_at_twice(
        ROLLED_QUAD, 0.8, reading("A001AA77", 0.6), reading("B002BB99", 0.95), (3.0, 0.0))
    assert detector.seen == [PHOTO.shape, WINDOW]
    assert reader.sizes == [3, 3]
    (plate,) = result.plates
    assert plate.reading.text_latin == "B002BB99"
    assert not np.allclose(plate.corners, ROLLED_QUAD, atol=1)  # the new corners


def test_the_first_reading_stays_when_the_second_look_reads_less_surely() -> None:
    result, _, _ = _looked_at_twice(ROLLED_QUAD, 0.8, reading("A001AA77", 0.8),
                                    reading("B002BB99", 0.5), cleaned=reading(valid=False))
    (plate,) = result.plates
    assert plate.reading.text_latin == "A001AA77"
    assert np.asarray(plate.corners) == pytest.approx(ROLLED_QUAD, abs=1e-3)


def test_a_rolled_plate_read_surely_is_found_again_and_its_clipped_region_restored() -> None:
    # Loose corners of a rolled plate clip the last region digit in every framing alike.
    result, detector, _ = _looked_at_twice(ROLLED_QUAD, 0.4, reading("A001AA17", 0.99),
                                           reading("A001AA177", 0.99))
    assert detector.seen == [PHOTO.shape, WINDOW]
    assert [plate.reading.text_latin for plate in result.plates] == ["A001AA177"]


def test_no_new_reading_when_the_second_look_finds_nothing_at_the_centre() -> None:
    off_centre = Detection((0, 0, 50, 20), 0.9, ((0, 0), (50, 0), (50, 20), (0, 20)))
    detector = ScriptedDetector([as_detection(ROLLED_QUAD, 0.8)], [off_centre])
    reader = BatchScriptedReader([[reading("A001AA77", 0.6)] * 3, [reading(valid=False)] * 3])
    result = PlateRecognizer(reader, detector).recognize(PHOTO, "scene")
    # No second reading of the find's cuts, but one of them cleaned.
    assert reader.sizes == [3, 3] and result.plates[0].reading.text_latin == "A001AA77"


def test_a_find_still_unsure_after_the_second_look_is_read_cleaned_and_the_readings_vote(
        ) -> None:
    result, _, reader = _looked_at_twice(ROLLED_QUAD, 0.8, reading("A001AA77", 0.6),
                                         reading(valid=False),
                                         cleaned=reading("B002BB99", 0.97))
    assert reader.sizes == [3, 3, 3]
    assert [plate.reading.text_latin for plate in result.plates] == ["B002BB99"]


def test_a_find_the_detector_doubts_is_not_read_cleaned() -> None:
    # A tail light: a weak find that reads a few characters, no plate.
    detector = ScriptedDetector([as_detection(PLATE_QUAD, 0.3)])
    reader = BatchScriptedReader([[reading("XX", 0.4, valid=False)] * 3,
                                  [reading(valid=False)]])
    result = PlateRecognizer(reader, detector).recognize(PHOTO, "scene")
    assert reader.sizes == [3, 1] and result.plates == ()  # then the fallback, whole


def test_no_second_look_or_other_search_once_a_level_plate_is_read_surely() -> None:
    detector = ScriptedDetector([as_detection(PLATE_QUAD, 0.9)])
    reader = BatchScriptedReader([[reading("A001AA77", 0.95)] * 3])
    PlateRecognizer(reader, detector).recognize(PHOTO, "scene")
    assert detector.seen == [PHOTO.shape] and reader.sizes == [3]


def test_a_photo_with_no_plate_found_gets_one_detector_pass() -> None:
    detector = ScriptedDetector([])
    reader = BatchScriptedReader([[reading(valid=False)]])
    result = PlateRecognizer(reader, detector).recognize(DASHCAM, "scene")
    assert detector.seen == [DASHCAM.shape] and result.plates == ()
    assert reader.sizes == [1]


def test_without_second_look_an_unsure_find_is_read_once() -> None:
    detector = ScriptedDetector([as_detection(ROLLED_QUAD, 0.8)])
    reader = BatchScriptedReader([[reading("A001AA77", 0.6)] * 3])
    result = PlateRecognizer(reader, detector, second_look=False).recognize(PHOTO, "scene")
    assert detector.seen == [PHOTO.shape] and reader.sizes == [3]
    assert result.plates[0].reading.text_latin == "A001AA77"
