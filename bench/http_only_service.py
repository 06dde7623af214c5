"""``python -m bench.http_only_service``: the service with recognition memoised away.

A diagnostic for the overhead benchmark, never a way to serve: the app is the real one
(same routes, middleware, upstream client, executor hop and JSON), but the recognizer
answers every image with the reading of the first one it saw, so a load test measures
what the HTTP path alone costs per request. Configured by the same environment variables
as ``python -m plate_service``.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import uvloop
from aiohttp import web

from plate_service.app import create_app
from plate_service.config import Config, load_config
from plate_service.observability.logs import configure_logging
from plate_service.recognition.loading import load_recognizer
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.recognition.types import ImageRecognition, RecognitionMode


class MemoisedRecognizer:
    """Recognises the first image for real, then repeats that answer for every image."""

    def __init__(self, real: PlateRecognizer) -> None:
        self._real = real
        self._answer: ImageRecognition | None = None

    @property
    def has_detector(self) -> bool:
        return self._real.has_detector

    def recognize(self, image: np.ndarray, mode: RecognitionMode = "auto") -> ImageRecognition:
        if self._answer is None:
            self._answer = self._real.recognize(image, mode)
        return self._answer


def _memoised(config: Config) -> PlateRecognizer:
    real = load_recognizer(config.recognition.models_dir, threads=config.recognition.ort_threads)
    return cast(PlateRecognizer, MemoisedRecognizer(real))


def main() -> None:
    config = load_config()
    configure_logging(config.log_level)
    web.run_app(create_app(config, recognizer_factory=_memoised), host=config.host,
                port=config.port, print=None, access_log=None, loop=uvloop.new_event_loop())


if __name__ == "__main__":
    main()
