"""The recognition use case: one image through the stages find, rectify, read and choose.

Each stage is a module of its own (``find``, ``rectify``, ``read``, ``choose``); the
detector and the reader are injected, so each stage can be tested with a stand-in for
the others, and a new model family is a new class, not a new branch here. A second
reader, when injected, reads again only what the first is unsure of (``readers``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, partial

import numpy as np

from plate_service.recognition.calibration import IDENTITY, ConfidenceCalibration
from plate_service.recognition.choose import (
    best_reading,
    crop_answer,
    is_read,
    is_sure,
    may_miss_plates,
    scene_answer,
    second_look_finds,
    with_more_plates,
)
from plate_service.recognition.find import PlateDetectorLike, PlateFinder
from plate_service.recognition.read import CORNER_PADDINGS, FindReadings, PlateReaderLike
from plate_service.recognition.readers import Readers, SecondReader
from plate_service.recognition.types import (
    Detection,
    ImageRecognition,
    OcrReading,
    RecognitionMode,
)

# A tight plate crop is much wider than tall (a Russian plate is 520x112 mm, 4.6:1);
# car photos are 4:3 or 16:9. Between the two lies a wide margin.
CROP_MIN_ASPECT = 2.2


def looks_like_plate_crop(image: np.ndarray) -> bool:
    """True when the whole image is shaped like a single plate rather than a photo."""
    height, width = image.shape[:2]
    return width >= CROP_MIN_ASPECT * height


class PlateRecognizer:
    """Reads every plate in one decoded image.

    The detector is optional: without one, every image is read as a tight crop. Both
    models are injected, so tests can pass fakes and the service can pass ONNX models.
    ``corner_paddings`` are the margins of the framings each find is read in (see
    ``read.CORNER_PADDINGS``); ``calibration`` maps the reader's raw confidence to the
    reported one (the identity by default); ``second_reader``, when given, reads again
    what the reader is unsure of (``readers.Readers``); ``extra_searches=False`` skips the
    turned and tiled searches and ``second_look=False`` the second look, for the evals
    that weigh what each pass adds. Stateless per call, hence safe to share across the
    worker threads.
    """

    def __init__(self, reader: PlateReaderLike, detector: PlateDetectorLike | None = None,
                 corner_paddings: Sequence[float] = CORNER_PADDINGS,
                 calibration: ConfidenceCalibration = IDENTITY, *,
                 second_reader: SecondReader | None = None,
                 extra_searches: bool = True, second_look: bool = True) -> None:
        if not corner_paddings:
            raise ValueError("at least one corner padding is needed")
        self._readers = Readers(reader, calibration, second_reader)
        self._finder = None if detector is None else PlateFinder(detector)
        self._corner_paddings = tuple(corner_paddings)
        self._calibration = calibration
        self._extra_searches = extra_searches
        self._second_look_on = second_look

    @property
    def has_detector(self) -> bool:
        return self._finder is not None

    @property
    def has_second_reader(self) -> bool:
        return self._readers.has_second

    def recognize(self, image: np.ndarray, mode: RecognitionMode = "auto") -> ImageRecognition:
        """Recognise the plates on one image.

        Crop mode reads the image as one plate. Scene mode finds the plates, cuts each
        upright, reads it and chooses what to report. Auto mode reads a plate-shaped
        image as a crop and searches it as a scene only when that reading is not a sure
        plate (a wide dashcam frame, a loose crop), keeping the crop's answer when the
        search reads nothing.

        A scene that may hold a plate not read (``choose.may_miss_plates``) is searched
        again turned, and a large one still without a plate tile by tile.
        """
        finder = self._finder
        if finder is None or mode == "crop":
            return self._read_crop(image)
        crop = self._read_crop(image) if mode == "auto" and looks_like_plate_crop(image) else None
        if crop is not None and is_sure(crop):
            return crop
        # The scene's fallback, read once if at all, however many searches ask for it.
        whole = cache(partial(self._readers.read_whole, image))
        finds = finder.find(image)
        scene = self._read_scene(image, finds, whole)
        if crop is not None and not scene.plates:
            return crop
        if not self._extra_searches:
            return scene
        if may_miss_plates(scene, finds):
            turned = [find for find in finder.find_turned(image) if not is_read(scene, find)]
            more = self._read_more(image, turned, whole)
            if more is not None:
                scene = with_more_plates(scene, more)
        if not scene.plates:
            scene = self._read_more(image, finder.find_in_tiles(image), whole) or scene
        return scene

    def _read_crop(self, image: np.ndarray) -> ImageRecognition:
        return crop_answer(image, self._readers.read_whole(image), self._calibration)

    def _read_scene(self, image: np.ndarray, finds: Sequence[Detection],
                    whole: Callable[[], OcrReading]) -> ImageRecognition:
        """Rectify and read the photo's finds, look again at the unsure, choose; the photo
        is read whole (``whole``) only when the finds give no plate
        (``choose.scene_answer``)."""
        readings = self._readers.read_finds(image, finds, self._corner_paddings)
        found = [FindReadings(find, framings) for find, framings in zip(finds, readings)]
        return scene_answer(image, whole, self._second_look(image, found), self._calibration)

    def _read_more(self, image: np.ndarray, finds: Sequence[Detection],
                   whole: Callable[[], OcrReading]) -> ImageRecognition | None:
        """The scene read from the finds of an extra search; None when they are none or
        gave no plate."""
        if not finds:
            return None
        scene = self._read_scene(image, finds, whole)
        return scene if scene.plates else None

    def _second_look(self, image: np.ndarray, found: list[FindReadings]) -> list[FindReadings]:
        """Finds whose reading is unsure or suspect (``choose.second_look_finds``) are
        found again in a level, enlarged window (``PlateFinder.find_again``) and read in
        each framing; those readings join the find's first ones in the vote
        (``choose.best_reading``), and the find takes the new corners when a new reading
        wins."""
        assert self._finder is not None
        if not self._second_look_on:
            return found
        again = {k: refined for k in second_look_finds(found)
                 if (refined := self._finder.find_again(image, found[k].find)) is not None}
        looked = list(found)
        new_readings = self._readers.read_finds(image, list(again.values()),
                                                self._corner_paddings)
        for (k, refined), new in zip(again.items(), new_readings):
            readings = found[k].readings + new
            winner = best_reading(readings)
            wins = any(reading is winner for reading in new)
            looked[k] = FindReadings(refined if wins else found[k].find, readings)
        return looked
