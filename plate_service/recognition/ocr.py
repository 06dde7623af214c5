"""PlateReader: the ONNX OCR model under onnxruntime, reading batches of plate crops."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnxruntime as ort

from plate_service.errors import InferenceError
from plate_service.recognition.candidate_search import CtcOutput
from plate_service.recognition.ctc_decoding import decode_plates
from plate_service.recognition.model_card import ModelCard, OcrDecoding
from plate_service.recognition.plate_format import to_cyrillic
from plate_service.recognition.preprocess import preprocess_batch
from plate_service.recognition.search_shortcut import only_readings
from plate_service.recognition.types import OcrReading


# Crops per onnxruntime call and per constrained-decoding pass: the input tensor, the
# probabilities and the decoder's tables grow with the batch, so a call with thousands
# of crops is read in slices of this many (a few MB each) instead of all at once.
READ_CHUNK = 64
# From this many crops on, the lattices that admit a single reading are found for the
# whole batch at once (``only_readings``), which then skips their candidate search;
# below it the array operations cost more than the searches they save.
ONLY_READINGS_MIN_BATCH = 8


class PlateReader:
    """Reads plate text from crops with one batched onnxruntime call per ``read``.

    Thread-safe: ``read`` keeps all its state in locals, and onnxruntime's ``run`` may be
    called concurrently on one session.
    """

    def __init__(self, session: ort.InferenceSession, card: ModelCard[OcrDecoding]) -> None:
        self._session = session
        self.card = card
        graph_input = session.get_inputs()[0]
        self._input_name = graph_input.name
        self._output_name = session.get_outputs()[0].name

    def probabilities(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(N, T, classes) CTC probabilities for the crops, in one session.run."""
        batch = preprocess_batch(list(crops), self.card.input)
        try:
            return self._session.run([self._output_name], {self._input_name: batch})[0]
        except Exception as exc:  # onnxruntime's errors are not a stable hierarchy
            raise InferenceError(f"OCR inference failed on a batch of {len(crops)}: {exc}") \
                from exc

    def read(self, crops: Sequence[np.ndarray]) -> list[OcrReading]:
        """Read each crop (uint8 gray HxW or BGR HxWx3); results in input order."""
        readings = []
        for start in range(0, len(crops), READ_CHUNK):
            probs = self.probabilities(crops[start:start + READ_CHUNK])
            decoded = decode_plates(probs)
            only = (only_readings(probs, [d.raw_text_latin for d in decoded],
                                  [d.plate_format is not None and d.text_latin == d.raw_text_latin
                                   for d in decoded])
                    if len(probs) >= ONLY_READINGS_MIN_BATCH else [None] * len(probs))
            for d, crop_probs, found in zip(decoded, probs, only):
                readings.append(OcrReading(
                    text=to_cyrillic(d.text_latin), text_latin=d.text_latin,
                    confidence=float(d.confidence), char_confidences=d.char_confidences,
                    plate_format=d.plate_format, region=d.region,
                    raw_text_latin=d.raw_text_latin, ctc=CtcOutput(crop_probs, d.frames, found)))
        return readings
