"""The read stage: the photo whole and every framing of every find in one reader call; a
faint find read only as a blue plate."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from plate_service.recognition.plate_format import PlateFormats
from plate_service.recognition.read import (
    UNREAD_SHAPE_MAX_CONFIDENCE,
    read_finds,
    read_whole,
)
from plate_service.recognition.rectify import shrunk_whole
from plate_service.recognition.types import Detection, PlateFormat
from tests.fakes import reading
from tests.recognition.stand_ins import (
    CROP,
    DASHCAM,
    PHOTO,
    PLATE_QUAD,
    BatchScriptedReader,
    ScriptedReader,
    as_detection,
)


def test_every_framing_of_every_find_is_read_in_one_call() -> None:
    boxed = Detection((10, 20, 110, 45), 0.8)  # no corners: read once, by its box
    cornered = as_detection(PLATE_QUAD, 0.9)
    readings = [reading("A001AA77"), reading("B002BB99", 0.5), reading("B002BB99", 0.6)]
    reader = ScriptedReader(readings)
    found = read_finds(reader, PHOTO, [boxed, cornered], (0.05, 0.25))
    assert reader.calls == [[(25, 100, 3), (56, 260, 3), (56, 260, 3)]]
    assert found == [(readings[0],), tuple(readings[1:])]


def test_an_image_read_whole_is_one_crop_of_its_own() -> None:
    reader = ScriptedReader([reading(valid=False)])
    assert read_whole(reader, CROP) == (reader.readings[0],)
    assert reader.calls == [[CROP.shape]]


def test_a_photo_read_whole_is_halved_while_it_stays_as_large_as_a_cut() -> None:
    reader = ScriptedReader([reading(valid=False)])
    # 1600x900 halved to 800x450, then to 400x225: its half, 200 px wide, is narrower
    # than a one-line cut (260 px).
    read_whole(reader, DASHCAM)
    assert reader.calls == [[(225, 400, 3)]]
    assert shrunk_whole(CROP) is CROP


def test_a_narrow_image_is_read_as_one_line_and_as_two_in_one_call() -> None:
    # 150x100: narrower than a one-line plate, as a square plate's crop or a loose crop
    # of a one-line plate with the car around it is.
    narrow = np.full((100, 150, 3), 128, np.uint8)
    readings = [reading("A001AA77", 0.9), replace(reading("A001AA77", 0.2), lines=2)]
    reader = ScriptedReader(readings, PlateFormats(["1", "1А"]))
    assert read_whole(reader, narrow) == tuple(readings)
    assert len(reader.calls) == 1 and reader.lines == [[1, 2]]
    one_line_reader = ScriptedReader(readings[:1])
    assert read_whole(one_line_reader, narrow) == (readings[0],)


def test_more_finds_are_read_without_the_photo_and_nothing_is_read_without_finds() -> None:
    reader = ScriptedReader([reading("A001AA77"), reading("A001AA77")])
    assert read_finds(reader, PHOTO, [], (0.05, 0.25)) == []
    assert reader.calls == []
    (framings,) = read_finds(reader, PHOTO, [as_detection(PLATE_QUAD, 0.9)], (0.05, 0.25))
    assert len(framings) == 2 and reader.calls == [[(56, 260, 3)] * 2]


POLICE = replace(reading("A123477", 0.95), plate_format=PlateFormat.POLICE, region="77")
FAINT = replace(as_detection(PLATE_QUAD, 0.2), faint=True)
PADDINGS = (0.05, 0.12, 0.25)


def test_a_faint_find_read_as_no_blue_plate_is_read_once_and_is_no_plate() -> None:
    reader = BatchScriptedReader([[reading("A001AA77", 0.95)]])
    (framings,) = read_finds(reader, PHOTO, [FAINT], PADDINGS)
    assert reader.sizes == [1]  # the middle framing alone
    (only,) = framings
    assert only.plate_format is None and only.region is None
    assert only.confidence == UNREAD_SHAPE_MAX_CONFIDENCE
    assert only.text_latin == "A001AA77"  # what the model saw stays as read


def test_a_faint_find_read_as_a_blue_plate_is_read_in_every_framing() -> None:
    sure = as_detection(PLATE_QUAD + [0.0, 200.0], 0.8)
    private = reading("A001AA77", 0.95)
    reader = BatchScriptedReader([[private] * 3 + [POLICE], [POLICE, private]])
    found = read_finds(reader, PHOTO, [sure, FAINT], PADDINGS)
    assert reader.sizes == [4, 2]  # a sure find's three framings and the faint one's middle
    assert found[0] == (private,) * 3
    assert found[1][:2] == (POLICE, POLICE) and not found[1][2].valid


def test_a_faint_finds_series_stays_a_series_of_no_row() -> None:
    series = replace(reading("A123", 0.8), series=True, plate_format=None, region=None)
    white_series = replace(reading("A001AA77", 0.8), series=True)
    reader = BatchScriptedReader([[series, white_series]])
    (first,), (second,) = read_finds(reader, PHOTO, [FAINT, FAINT], PADDINGS)
    assert first == series  # kept as read: it asks for a second look
    assert second.series and second.confidence == 0.8
    assert second.plate_format is None and second.region is None


def test_a_faint_finds_series_alone_is_no_reason_to_read_the_other_framings() -> None:
    series = replace(reading("A123", 0.8), series=True, plate_format=None, region=None)
    reader = BatchScriptedReader([[series]])
    read_finds(reader, PHOTO, [FAINT], PADDINGS)
    assert reader.sizes == [1]
