"""The best reading of the OCR model's CTC output: greedy, and when that fits no plate
format the reader keeps to (``PlateFormats``), a Viterbi search constrained to those
formats (``candidate_search`` lists the others)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from plate_service.recognition.ctc_viterbi import viterbi_many
from plate_service.recognition.plate_format import BLANK_INDEX, FormatMatch, PlateFormats
from plate_service.recognition.types import PlateFormat

# A constrained reading this many nats less likely than the greedy path is not trusted:
# the crop most likely is not a plate of any known format.
MAX_CONSTRAINED_PENALTY = 12.0


# Each frame's greedy class and its probability, as Python lists: what the candidate
# search reads first (``candidate_search._frame_runs``).
GreedyFrames = tuple[list[int], list[float]]


@dataclass(frozen=True)
class Decoded:
    """One decoded reading: text, per-character confidences, the path's log-probability."""

    text_latin: str
    char_confidences: tuple[float, ...]
    log_prob: float

    @property
    def confidence(self) -> float:
        """Plate confidence: the weakest character bounds how much the plate is to be trusted."""
        return min(self.char_confidences) if self.char_confidences else 0.0


def _collapse(path: list[int], best: list[float], alphabet: str
              ) -> tuple[str, tuple[float, ...]]:
    """Collapse a frame path (class per frame, its probability per frame) to text; each
    char's confidence is its best frame's probability. Plain ints and floats: this runs
    per crop on the serving hot path, where numpy scalar indexing would cost more."""
    chars: list[str] = []
    confs: list[float] = []
    prev = BLANK_INDEX
    for k, p in zip(path, best):
        if k != BLANK_INDEX and k != prev:
            chars.append(alphabet[k - 1])
            confs.append(p)
        elif k != BLANK_INDEX:
            confs[-1] = max(confs[-1], p)
        prev = k
    return "".join(chars), tuple(confs)


def _char_confidences(probs: np.ndarray, path: np.ndarray, alphabet: str
                      ) -> tuple[str, tuple[float, ...]]:
    """``_collapse`` for a (T, C) matrix and the frame path taken through it."""
    return _collapse(path.tolist(), probs[np.arange(len(path)), path].tolist(), alphabet)


def _decode_greedy_many(probs: np.ndarray, alphabet: str
                        ) -> list[tuple[Decoded, GreedyFrames]]:
    """Best-path CTC decoding of every (T, classes) matrix in ``probs`` (N, T, C), class
    k + 1 being ``alphabet[k]``, each reading with the frames it came from."""
    paths = probs.argmax(axis=2)
    best = probs.max(axis=2)
    log_probs = np.log(np.maximum(best, 1e-30)).sum(axis=1).tolist()
    out = []
    for path, frame_probs, logp in zip(paths.tolist(), best.tolist(), log_probs):
        text, confs = _collapse(path, frame_probs, alphabet)
        out.append((Decoded(text, confs, logp), (path, frame_probs)))
    return out


def decode_greedy(probs: np.ndarray, alphabet: str) -> Decoded:
    """Best-path CTC decoding of one (T, classes) probability matrix."""
    return _decode_greedy_many(probs[None], alphabet)[0][0]


# A process holds a reader or two, each with its formats per number of lines and field
# colours (``PlateFormats.only``: a dozen at most).
@lru_cache(maxsize=32)
def _slot_lists(formats: PlateFormats) -> list[list[np.ndarray]]:
    """The allowed class ids of each character slot, per spelling of ``formats`` (a format
    with one region length), in the spellings' order; worked out once per reader's
    formats. Spellings that allow the same classes slot for slot (a tractor's and a
    motorcycle's, say) have the same best path and the same text, which fits or not
    whichever spelling it stands for: they are searched once."""
    distinct = dict.fromkeys(spelling.allowed for spelling in formats.spellings)
    return [[np.array([formats.alphabet.index(c) + 1 for c in chars]) for chars in allowed]
            for allowed in distinct]


def decode_constrained_many(probs: np.ndarray, formats: PlateFormats
                            ) -> list[tuple[Decoded, FormatMatch] | None]:
    """For each (T, C) matrix in ``probs`` (N, T, C): the most probable reading that fits
    one of ``formats`` with a real region, or None.

    One Viterbi pass covers every crop and every (format, region length) pair; the best
    candidate whose region is real wins, unless it is far less likely than the greedy path.
    """
    if len(probs) == 0 or not formats.spellings:
        return [None] * len(probs)
    # float32 is plenty for sums of 32 log-probabilities and halves the memory traffic.
    log_probs = np.log(np.maximum(probs.astype(np.float32), 1e-30))
    lattice = viterbi_many(log_probs, _slot_lists(formats))
    out: list[tuple[Decoded, FormatMatch] | None] = []
    for b, scores in enumerate(lattice.scores.tolist()):
        # Best first (the first spelling on a tie): the first whose text fits wins.
        greedy_lp = float(log_probs[b].max(axis=1).sum())
        best: tuple[Decoded, FormatMatch] | None = None
        for p in sorted(range(len(scores)), key=lambda p: -scores[p]):
            if not greedy_lp - scores[p] <= MAX_CONSTRAINED_PENALTY:
                break
            text, confs = _char_confidences(probs[b], lattice.path(b, p), formats.alphabet)
            match = formats.match(text)
            if match is not None:
                best = (Decoded(text, confs, scores[p]), match)
                break
        out.append(best)
    return out


@dataclass(frozen=True)
class PlateDecoding:
    """Final decoding of one crop: the reading to report and what the format check said;
    ``text`` is ``text_latin`` as the plate prints it (``PlateFormats.printed``)."""

    text: str
    text_latin: str
    char_confidences: tuple[float, ...]
    confidence: float
    plate_format: PlateFormat | None
    region: str | None
    raw_text_latin: str
    frames: GreedyFrames


def fit_penalty_bound(probs: np.ndarray, formats: PlateFormats) -> np.ndarray:
    """For each (T, C) matrix of ``probs`` (N, T, C), a lower bound on how many nats any
    reading that fits ``formats`` is less likely than the greedy path.

    Such a reading spells at least as many characters as the shortest spelling has slots,
    each on a frame of its own; a frame that gives a character where the greedy path has
    a blank loses the gap between its best and its best non-blank class. The cheapest
    frames set the bound; every other frame is counted at its best.
    """
    log_probs = np.log(np.maximum(probs.astype(np.float32), 1e-30))
    best = log_probs.max(axis=2)
    best_char = np.delete(log_probs, BLANK_INDEX, axis=2).max(axis=2)
    return np.sort(best - best_char, axis=1)[:, :formats.shortest].sum(axis=1)


def decode_plates(probs: np.ndarray, formats: PlateFormats, min_confidence: float = 0.0
                  ) -> list[PlateDecoding]:
    """Greedy CTC for each (T, C) matrix of ``probs`` (N, T, C); the readings that fit no
    format of ``formats`` then go through constrained decoding together, in one batched
    pass.

    A reading that cannot fit a format with ``min_confidence`` (``fit_penalty_bound``:
    the penalty alone would keep it below) stays as greedily read, unfitted: a caller
    that discards readings under it is spared the search, which on a photo without a
    plate costs more than reading it.
    """
    greedy = _decode_greedy_many(probs, formats.alphabet)
    matches = [formats.match(g.text_latin) for g, _ in greedy]
    failed = [i for i, m in enumerate(matches) if m is None]
    if failed and min_confidence > 0 and formats.spellings:
        hopeless = min(MAX_CONSTRAINED_PENALTY, -math.log(min_confidence))
        bounds = fit_penalty_bound(probs[failed], formats)
        failed = [i for i, bound in zip(failed, bounds.tolist()) if bound <= hopeless]
    fixed = dict(zip(failed, decode_constrained_many(probs[failed], formats)))
    out = []
    for i, ((g, frames), m) in enumerate(zip(greedy, matches)):
        if m is not None:
            out.append(PlateDecoding(formats.printed(g.text_latin, m), g.text_latin,
                                     g.char_confidences, g.confidence, m.plate_format,
                                     m.region, g.text_latin, frames))
            continue
        constrained = fixed.get(i)
        if constrained is None:
            out.append(PlateDecoding(formats.printed(g.text_latin, None), g.text_latin,
                                     g.char_confidences, g.confidence, None, None,
                                     g.text_latin, frames))
            continue
        decoded, match = constrained
        # The constrained path is worth less than a greedy one: scale by how much
        # likelihood it gave up, so a forced reading never looks as sure as a clean one.
        penalty = math.exp(min(0.0, decoded.log_prob - g.log_prob))
        out.append(PlateDecoding(formats.printed(decoded.text_latin, match), decoded.text_latin,
                                 decoded.char_confidences, decoded.confidence * penalty,
                                 match.plate_format, match.region, g.text_latin, frames))
    return out
