"""The read stage: the photo whole and every framing of every find in one reader call."""

from __future__ import annotations

from plate_service.recognition.read import read_finds, read_scene
from plate_service.recognition.types import Detection
from tests.fakes import reading
from tests.recognition.stand_ins import PHOTO, PLATE_QUAD, ScriptedReader, as_detection


def test_a_scene_is_read_whole_and_each_find_in_its_framings_in_one_call() -> None:
    boxed = Detection((10, 20, 110, 45), 0.8)  # no corners: read once, by its box
    cornered = as_detection(PLATE_QUAD, 0.9)
    readings = [reading(valid=False), reading("A001AA77"), reading("B002BB99", 0.5),
                reading("B002BB99", 0.6)]
    reader = ScriptedReader(readings)
    whole, found = read_scene(reader, PHOTO, [boxed, cornered], (0.05, 0.25))
    assert reader.calls == [[(480, 640, 3), (25, 100, 3), (56, 260, 3), (56, 260, 3)]]
    assert whole is readings[0]
    assert [one.find for one in found] == [boxed, cornered]
    assert [one.readings for one in found] == [(readings[1],), tuple(readings[2:])]


def test_more_finds_are_read_without_the_photo_and_nothing_is_read_without_finds() -> None:
    reader = ScriptedReader([reading("A001AA77"), reading("A001AA77")])
    assert read_finds(reader, PHOTO, [], (0.05, 0.25)) == []
    assert reader.calls == []
    (framings,) = read_finds(reader, PHOTO, [as_detection(PLATE_QUAD, 0.9)], (0.05, 0.25))
    assert len(framings) == 2 and reader.calls == [[(56, 260, 3)] * 2]
