"""The alternative readings of a plate: a CTC prefix beam search kept to the plate formats
its reader reads, and the exact probability of any given reading (the CTC forward
algorithm)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from plate_service.recognition.ctc_decoding import GreedyFrames
from plate_service.recognition.plate_format import BLANK_INDEX, PlateFormats

# The most alternative readings listed for one plate.
MAX_CANDIDATES = 10
# A frame's class enters the search only when at least this probable: a reading that needs
# a character the model gave less than this is at most this likely. Real crops have a few
# such frames each (mostly where a character meets a blank); at 1e-3 the search kept
# 3x as many prefixes and cost about 15% of reading a crop, at 1e-2 about 6%.
MIN_CLASS_PROBABILITY = 1e-2
# Prefixes (and so readings) less probable than this are dropped, for the same reason.
MIN_READING_PROBABILITY = 1e-2
# Prefixes kept after each frame: enough for the ten readings the API can ask for.
BEAM_WIDTH = 16


@dataclass(frozen=True, eq=False)
class CtcOutput:
    """One crop's (T, C) CTC probabilities, as the OCR model gave them, and the formats
    its reading keeps to (the reader's, for the cut's number of lines).

    ``greedy`` is each frame's greedy class and probability, as the decoder worked them
    out, which spares the search most of its array work. ``found`` is what
    ``format_beam_search`` finds when the lattice admits a single reading (see
    ``search_shortcut``), worked out for a whole batch at once; None when the search must run.
    """

    probs: np.ndarray
    greedy: GreedyFrames
    formats: PlateFormats
    found: list[tuple[str, float]] | None = None


def plate_candidates(ctc: CtcOutput, text_latin: str, max_readings: int = MAX_CANDIDATES
                     ) -> list[tuple[str, float]]:
    """Up to ``max_readings`` readings of a plate read as ``text_latin`` (which fits a
    format), as (Latin text, probability): ``text_latin`` first, then the most probable
    others (``format_beam_search``).

    The reported text comes from the best single alignment (or the constrained one), which
    is almost always the most probable reading too; when the beam did not keep it, its
    exact probability is computed instead.
    """
    found = ctc.found if ctc.found is not None else \
        format_beam_search(ctc.probs, ctc.greedy, ctc.formats, max_readings)
    probability = dict(found).get(text_latin)
    if probability is None:
        probability = reading_probability(ctc.probs, text_latin, ctc.formats.alphabet)
    others = [item for item in found if item[0] != text_latin]
    return [(text_latin, probability)] + others[:max_readings - 1]


# A frame whose greedy class is at least this probable offers no other class worth
# searching: the others share the rest of its probability (which sums to 1 within 1e-6),
# each less than MIN_CLASS_PROBABILITY.
_SURE_FRAME = 1.0 - MIN_CLASS_PROBABILITY + 1e-4


def _frame_runs(probs: np.ndarray, greedy: GreedyFrames) -> list[list[tuple[int, float]]]:
    """Per frame, the (class, probability) pairs worth searching (MIN_CLASS_PROBABILITY),
    with each run of frames that offer one and the same class only merged into one step.

    Merging is exact: after the first frame of such a run every prefix ends in that class
    (or in a blank), so each further frame only scales all of them by its probability.
    ``greedy`` (each frame's most probable class and its probability) settles the frames
    that are sure of one class; only the other frames' rows are read. Most frames are
    sure, and on the serving path each array call costs more than the Python around it.
    """
    path, best = greedy
    unsure = [t for t, p in enumerate(best) if p < _SURE_FRAME]
    rows = dict(zip(unsure, probs[unsure].tolist())) if unsure else {}
    merged: list[list[tuple[int, float]]] = []
    alone, alone_p = -1, 0.0  # the last step's class and probability, if it has one only
    for t, (cls, p) in enumerate(zip(path, best)):
        if p < _SURE_FRAME:
            run = [(c, q) for c, q in enumerate(rows[t]) if q >= MIN_CLASS_PROBABILITY]
            if len(run) > 1:
                merged.append(run)
                alone = -1
                continue
            ((cls, p),) = run
        if cls == alone:
            alone_p *= p
            merged[-1] = [(cls, alone_p)]
        else:
            alone, alone_p = cls, p
            merged.append([(cls, p)])
    return merged


def _grow(beams: dict[str, tuple[float, float]], frame: list[tuple[int, float]],
          formats: PlateFormats) -> dict[str, list[float]]:
    """One step of the prefix beam search: every prefix through one frame's classes."""
    grown: dict[str, list[float]] = {}
    for prefix, (p_blank, p_char) in beams.items():
        total = p_blank + p_char
        last = prefix[-1:]
        for cls, p in frame:
            if cls == BLANK_INDEX:
                entry = grown.get(prefix)
                if entry is None:
                    grown[prefix] = [total * p, 0.0]
                else:
                    entry[0] += total * p
                continue
            char = formats.alphabet[cls - 1]
            if char == last:
                # The same character again: the path stays on it, unless a blank
                # separated the two, which spells it twice.
                entry = grown.get(prefix)
                if entry is None:
                    grown[prefix] = [0.0, p_char * p]
                else:
                    entry[1] += p_char * p
                extend = p_blank * p
            else:
                extend = total * p
            if extend < MIN_READING_PROBABILITY:
                continue
            longer = prefix + char
            if not formats.fits_prefix(longer):
                continue
            entry = grown.get(longer)
            if entry is None:
                grown[longer] = [0.0, extend]
            else:
                entry[1] += extend
    return grown


def format_beam_search(probs: np.ndarray, greedy: GreedyFrames, formats: PlateFormats,
                       max_readings: int) -> list[tuple[str, float]]:
    """The most probable readings of one (T, C) probability matrix that fit one of
    ``formats`` with a real region, as (Latin text, probability), most probable first;
    readings less probable than MIN_READING_PROBABILITY are not searched for.

    A CTC prefix beam search: each prefix carries the summed probability of every frame
    path that spells it, split by whether the path's last frame is a blank (so that a
    repeated letter needs a blank between, as CTC requires). Prefixes that no format allows
    (``PlateFormats.fits_prefix``: each position holds a character its format allows, a
    3-digit region starts with a digit some real one starts with) are never extended, so
    the beam is spent on plates. The probabilities are the model's own, summed over the
    alignments the beam kept: a lower bound of each reading's exact probability, and
    equal to it unless an alignment fell out of the beam. Plain floats and dicts: this
    runs for every plate answered, where numpy's per-call cost would dominate.
    ``greedy``: the decoder's frames (see ``_frame_runs``).
    """
    # While one prefix is alive (most steps of most crops) it lives in these locals, split
    # into the probability of its paths that end in a blank and in its last character;
    # ``beams`` holds prefix -> that pair while there are more.
    prefix, p_blank, p_char = "", 1.0, 0.0
    beams: dict[str, tuple[float, float]] | None = None
    for frame in _frame_runs(probs, greedy):
        if beams is None:
            if len(frame) == 1:
                cls, p = frame[0]
                total = p_blank + p_char
                if cls == BLANK_INDEX:
                    p_blank, p_char = total * p, 0.0
                    if p_blank < MIN_READING_PROBABILITY:
                        return []
                    continue
                char = formats.alphabet[cls - 1]
                if prefix[-1:] != char:
                    # A repeated character is left to _grow: it may be spelled twice.
                    prefix, p_blank, p_char = prefix + char, 0.0, total * p
                    if p_char < MIN_READING_PROBABILITY or not formats.fits_prefix(prefix):
                        return []
                    continue
            beams = {prefix: (p_blank, p_char)}
        if len(frame) == 1 and frame[0][0] == BLANK_INDEX:
            # The common frame: only a blank is likely; every prefix just ends in it.
            p = frame[0][1]
            grown = {text: [(pb + pc) * p, 0.0] for text, (pb, pc) in beams.items()}
        else:
            grown = _grow(beams, frame, formats)
        beams = {text: (pb, pc) for text, (pb, pc) in grown.items()
                 if pb + pc >= MIN_READING_PROBABILITY}
        if len(beams) > BEAM_WIDTH:
            beams = dict(sorted(beams.items(), key=lambda item: item[1][0] + item[1][1],
                                reverse=True)[:BEAM_WIDTH])
        if not beams:
            return []
        if len(beams) == 1:
            ((prefix, (p_blank, p_char)),) = beams.items()
            beams = None
    final = beams if beams is not None else {prefix: (p_blank, p_char)}
    readings = [(text, pb + pc) for text, (pb, pc) in final.items()
                if formats.match(text) is not None]
    readings.sort(key=lambda item: item[1], reverse=True)
    return readings[:max_readings]


def reading_probability(probs: np.ndarray, text_latin: str, alphabet: str) -> float:
    """Exact CTC probability of ``text_latin`` (a plate's text, never empty) under one (T, C)
    probability matrix whose class k + 1 is ``alphabet[k]``: the sum over every frame path
    that collapses to it (the forward algorithm, in log space)."""
    labels = [alphabet.index(c) + 1 for c in text_latin]
    num_frames = probs.shape[0]
    # States: blank, label 1, blank, label 2, ..., label L, blank.
    states = np.full(2 * len(labels) + 1, BLANK_INDEX)
    states[1::2] = labels
    log_probs = np.log(np.maximum(probs[:, states].astype(np.float64), 1e-300))
    # A label may be reached from two states back unless it repeats the label before it.
    skip = np.zeros(len(states), dtype=bool)
    skip[3::2] = np.asarray(labels[1:]) != np.asarray(labels[:-1])
    alpha = np.full(len(states), -np.inf)
    alpha[:2] = log_probs[0, :2]
    for t in range(1, num_frames):
        one_back = np.concatenate(([-np.inf], alpha[:-1]))
        two_back = np.where(skip, np.concatenate(([-np.inf, -np.inf], alpha[:-2])), -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, one_back), two_back) + log_probs[t]
    total = np.logaddexp(alpha[-1], alpha[-2])
    return math.exp(float(total)) if np.isfinite(total) else 0.0
