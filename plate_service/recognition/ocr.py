"""PlateReader: the ONNX OCR model under onnxruntime, reading batches of plate crops."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnxruntime as ort

from plate_service.errors import InferenceError
from plate_service.recognition.candidate_search import CtcOutput
from plate_service.recognition.ctc_decoding import decode_plates
from plate_service.recognition.model_card import ModelCard, OcrDecoding
from plate_service.recognition.plate_field import possible_fields
from plate_service.recognition.plate_format import PlateFormats
from plate_service.recognition.plate_types import Colour
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

    ``formats`` are the formats of the GOST types its card lists, in the card's alphabet:
    the decoders keep each reading to those a crop of its lines and colours can be, so a
    card listing more types reads more.
    Thread-safe: ``read`` keeps all its state in locals, and onnxruntime's ``run`` may be
    called concurrently on one session.
    """

    def __init__(self, session: ort.InferenceSession, card: ModelCard[OcrDecoding]) -> None:
        self._session = session
        self.card = card
        self.formats = PlateFormats(card.decoding.plate_types, card.decoding.alphabet)
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

    def read(self, crops: Sequence[np.ndarray], lines: Sequence[int] | None = None,
             *, min_confidence: float = 0.0) -> list[OcrReading]:
        """Read each crop (uint8 gray HxW or BGR HxWx3); results in input order.

        ``lines`` gives each crop's number of lines (a two-line plate cut with its lines
        side by side, ``plate_lines``), one each when not given; with the field colours
        the crop can have (``plate_field``), it decides the formats the crop is read as.
        A crop that cannot read as a plate with ``min_confidence`` comes back unfitted
        (``ctc_decoding.decode_plates``).
        """
        readings = []
        for start in range(0, len(crops), READ_CHUNK):
            chunk = crops[start:start + READ_CHUNK]
            probs = self.probabilities(chunk)
            chunk_lines = [1] * len(chunk) if lines is None else \
                list(lines[start:start + READ_CHUNK])
            readings += self._decode(probs, chunk_lines, chunk, min_confidence)
        return readings

    def _decode(self, probs: np.ndarray, lines: list[int], crops: Sequence[np.ndarray],
                min_confidence: float) -> list[OcrReading]:
        """Each crop's probabilities decoded to the formats of its number of lines; a
        crop read as a format its colours decide (``PlateFormats.colour_bound``) is
        decoded again, to the formats of the field colours it can have (``plate_field``).
        The same readings as judging every crop, at no cost for the crops that need none:
        dropping blue rows and reordering twins changes no other reading."""
        out: list[OcrReading | None] = [None] * len(probs)
        for count in sorted(set(lines)):
            which = [i for i, n in enumerate(lines) if n == count]
            formats = self.formats.only(count)
            self._decode_to(formats, count, probs, which, min_confidence, out)
            judged: dict[tuple[Colour, ...], list[int]] = {}
            for i in which:
                reading = out[i]
                assert reading is not None
                # A series (a plate's text short of its region) may be a blue row's too.
                if reading.plate_format in formats.colour_bound or reading.series:
                    judged.setdefault(possible_fields(crops[i]), []).append(i)
            for fields, again in judged.items():
                self._decode_to(self.formats.only(count, fields), count, probs, again,
                                min_confidence, out)
        return [reading for reading in out if reading is not None]

    @staticmethod
    def _decode_to(formats: PlateFormats, lines: int, probs: np.ndarray, which: list[int],
                   min_confidence: float, out: list[OcrReading | None]) -> None:
        """The crops ``which`` of ``probs``, of ``lines`` lines, decoded to ``formats``,
        into ``out``."""
        group = probs if len(which) == len(probs) else probs[which]
        decoded = decode_plates(group, formats, min_confidence)
        only = (only_readings(group, [d.raw_text_latin for d in decoded],
                              [d.plate_format is not None and d.text_latin == d.raw_text_latin
                               for d in decoded])
                if len(group) >= ONLY_READINGS_MIN_BATCH else [None] * len(group))
        for i, d, crop_probs, found in zip(which, decoded, group, only):
            out[i] = OcrReading(
                text=d.text, text_latin=d.text_latin,
                confidence=float(d.confidence), char_confidences=d.char_confidences,
                plate_format=d.plate_format, region=d.region,
                raw_text_latin=d.raw_text_latin, lines=lines,
                series=formats.is_series(d.text_latin),
                ctc=CtcOutput(crop_probs, d.frames, formats, found))
