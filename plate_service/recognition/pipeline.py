"""The recognition use case: one image through the stages find, rectify, read and choose.

Each stage is a module of its own (``find``, ``rectify``, ``read``, ``choose``); the
detector and the reader are injected, so each stage can be tested with a stand-in for
the others, and a new model family is a new class, not a new branch here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from plate_service.recognition.calibration import IDENTITY, ConfidenceCalibration
from plate_service.recognition.choose import (
    FALLBACK_MIN_CONFIDENCE,
    SCENE_MIN_CONFIDENCE,
    best_reading,
    clean_look_finds,
    crop_answer,
    is_sure,
    scene_answer,
    second_look_finds,
)
from plate_service.recognition.find import PlateDetectorLike, PlateFinder
from plate_service.recognition.read import (
    CORNER_PADDINGS,
    FindReadings,
    PlateReaderLike,
    read_finds,
    read_whole,
)
from plate_service.recognition.types import (
    DEFAULT_MODE,
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
    reported one (the identity by default); ``second_look=False`` skips the second and
    the clean look, for the evals that weigh what they add. Stateless per call, hence
    safe to share across the worker threads.
    """

    def __init__(self, reader: PlateReaderLike, detector: PlateDetectorLike | None = None,
                 corner_paddings: Sequence[float] = CORNER_PADDINGS,
                 calibration: ConfidenceCalibration = IDENTITY, *,
                 second_look: bool = True) -> None:
        if not corner_paddings:
            raise ValueError("at least one corner padding is needed")
        self._reader = reader
        self._finder = None if detector is None else PlateFinder(detector)
        self._corner_paddings = tuple(corner_paddings)
        self._calibration = calibration
        self._second_look_on = second_look

    @property
    def has_detector(self) -> bool:
        return self._finder is not None

    def recognize(self, image: np.ndarray, mode: RecognitionMode = DEFAULT_MODE
                  ) -> ImageRecognition:
        """Recognise the plates on one image.

        Crop mode reads the image as one plate. Scene mode finds the plates, cuts each
        upright, reads it and chooses what to report. Auto mode reads a plate-shaped
        image as a crop and searches it as a scene only when that reading is not a sure
        plate (a wide dashcam frame, a loose crop), keeping the crop's answer when the
        search reads nothing. A photo gets one detector pass, and a second look at each
        find that deserves one (``choose.deserves_second_look``), then a clean look at
        each find still unsure (``choose.deserves_clean_look``).
        """
        finder = self._finder
        if finder is None or mode == "crop":
            return self._read_crop(image)
        crop = self._read_crop(image) if mode == "auto" and looks_like_plate_crop(image) else None
        if crop is not None and is_sure(crop):
            return crop
        whole = partial(self._read_whole, image, FALLBACK_MIN_CONFIDENCE)
        scene = self._read_scene(image, finder.find(image), whole)
        if crop is not None and not scene.plates:
            return crop
        return scene

    def _read_crop(self, image: np.ndarray) -> ImageRecognition:
        return crop_answer(image, self._read_whole(image), self._calibration)

    def _read_whole(self, image: np.ndarray, min_confidence: float = 0.0) -> OcrReading:
        """The image read whole, both ways when it is narrow (``read.read_whole``); a
        photo's fallback only needs readings that can be kept (``min_confidence``)."""
        return best_reading(read_whole(self._reader, image, min_confidence))

    def _read_scene(self, image: np.ndarray, finds: Sequence[Detection],
                    whole: Callable[[], OcrReading]) -> ImageRecognition:
        """Rectify and read the photo's finds, look again at the unsure, then clean those
        still unsure, choose; the photo is read whole (``whole``) only when the finds give
        no plate (``choose.scene_answer``). Every read of a find asks for readings as
        sure as a reported plate must be (``choose.SCENE_MIN_CONFIDENCE``)."""
        readings = read_finds(self._reader, image, finds, self._corner_paddings,
                              min_confidence=SCENE_MIN_CONFIDENCE)
        found = [FindReadings(find, framings) for find, framings in zip(finds, readings)]
        looked = self._clean_look(image, self._second_look(image, found))
        return scene_answer(image, whole, looked, self._calibration)

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
        new_readings = read_finds(self._reader, image, list(again.values()),
                                  self._corner_paddings, min_confidence=SCENE_MIN_CONFIDENCE)
        for (k, refined), new in zip(again.items(), new_readings):
            readings = found[k].readings + new
            winner = best_reading(readings)
            wins = any(reading is winner for reading in new)
            looked[k] = FindReadings(refined if wins else found[k].find, readings)
        return looked

    def _clean_look(self, image: np.ndarray, found: list[FindReadings]) -> list[FindReadings]:
        """Finds still unsure after the second look (``choose.clean_look_finds``) are read
        once more in each framing, cleaned of thin scratches and specks
        (``rectify.cleaned``); those readings join the find's others in the vote. It
        comes after the second look: corners that clip a glyph are fixed by finding the
        plate again, and more readings of a bad cut would only outvote the good one."""
        if not self._second_look_on:
            return found
        unsure = clean_look_finds(found)
        cleaned = read_finds(self._reader, image, [found[k].find for k in unsure],
                             self._corner_paddings, clean=True,
                             min_confidence=SCENE_MIN_CONFIDENCE)
        looked = list(found)
        for k, more in zip(unsure, cleaned):
            looked[k] = FindReadings(found[k].find, found[k].readings + more)
        return looked
