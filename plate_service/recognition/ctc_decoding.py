"""CTC decoding of the OCR output, kept to GOST plate formats.

The best reading (greedy, and a Viterbi search constrained to the formats), alternative
readings (a prefix beam search kept to the formats) and the exact probability of any given
reading (the CTC forward algorithm).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from plate_service.recognition.plate_format import (
    ALPHABET,
    BLANK_INDEX,
    DIGITS,
    FORMAT_PATTERNS,
    LETTERS_LATIN,
    NUM_CLASSES,
    REGION3_FIRST_DIGITS,
    FormatMatch,
    match_format,
)
from plate_service.recognition.types import PlateFormat

# A constrained reading this many nats less likely than the greedy path is not trusted:
# the crop most likely is not a plate of any known format.
MAX_CONSTRAINED_PENALTY = 12.0

_DIGIT_IDS = np.array([ALPHABET.index(c) + 1 for c in DIGITS])
_LETTER_IDS = np.array([ALPHABET.index(c) + 1 for c in LETTERS_LATIN])
_REGION3_FIRST_IDS = np.array([ALPHABET.index(c) + 1 for c in REGION3_FIRST_DIGITS])


# Each frame's greedy class and its probability, as Python lists: what the candidate
# search reads first (``_frame_runs``).
GreedyFrames = tuple[list[int], list[float]]


@dataclass(frozen=True)
class Decoded:
    """One decoded reading: text, per-character confidences, the path's log-probability;
    for a greedy reading also its frames."""

    text_latin: str
    char_confidences: tuple[float, ...]
    log_prob: float
    frames: GreedyFrames | None = None

    @property
    def confidence(self) -> float:
        """Plate confidence: the weakest character bounds how much the plate is to be trusted."""
        return min(self.char_confidences) if self.char_confidences else 0.0


def _collapse(path: list[int], best: list[float]) -> tuple[str, tuple[float, ...]]:
    """Collapse a frame path (class per frame, its probability per frame) to text; each
    char's confidence is its best frame's probability. Plain ints and floats: this runs
    per crop on the serving hot path, where numpy scalar indexing would cost more."""
    chars: list[str] = []
    confs: list[float] = []
    prev = BLANK_INDEX
    for k, p in zip(path, best):
        if k != BLANK_INDEX and k != prev:
            chars.append(ALPHABET[k - 1])
            confs.append(p)
        elif k != BLANK_INDEX:
            confs[-1] = max(confs[-1], p)
        prev = k
    return "".join(chars), tuple(confs)


def _char_confidences(probs: np.ndarray, path: np.ndarray) -> tuple[str, tuple[float, ...]]:
    """``_collapse`` for a (T, C) matrix and the frame path taken through it."""
    return _collapse(path.tolist(), probs[np.arange(len(path)), path].tolist())


def decode_greedy_many(probs: np.ndarray) -> list[Decoded]:
    """Best-path CTC decoding of every (T, NUM_CLASSES) matrix in ``probs`` (N, T, C)."""
    paths = probs.argmax(axis=2)
    best = probs.max(axis=2)
    log_probs = np.log(np.maximum(best, 1e-30)).sum(axis=1).tolist()
    out = []
    for path, frame_probs, logp in zip(paths.tolist(), best.tolist(), log_probs):
        text, confs = _collapse(path, frame_probs)
        out.append(Decoded(text, confs, logp, (path, frame_probs)))
    return out


def decode_greedy(probs: np.ndarray) -> Decoded:
    """Best-path CTC decoding of one (T, NUM_CLASSES) probability matrix."""
    return decode_greedy_many(probs[None])[0]


def _slot_sets(pattern: str, region_len: int) -> list[np.ndarray]:
    """Allowed class ids for each character slot of a format with a given region length."""
    sets = [_LETTER_IDS if c == "L" else _DIGIT_IDS for c in pattern]
    for i in range(region_len):
        sets.append(_REGION3_FIRST_IDS if region_len == 3 and i == 0 else _DIGIT_IDS)
    return sets


def _viterbi(log_probs: np.ndarray, slots: list[np.ndarray]) -> tuple[float, np.ndarray] | None:
    """Most probable CTC frame path emitting exactly one class from each slot, in order."""
    return _viterbi_many(log_probs[None], [slots])[0][0]


def _viterbi_many(log_probs: np.ndarray, slot_lists: list[list[np.ndarray]]
                  ) -> list[list[tuple[float, np.ndarray] | None]]:
    """Constrained CTC Viterbi for B crops x P slot sequences at once; [b][p] -> result.

    ``log_probs`` is (B, T, C). States: "in slot k emitting class c" and "blank after
    slot k, last class c"; a repeat of the same class in the next slot must pass through
    a blank, as CTC requires. Everything runs in one vectorised pass over the frames
    (shorter sequences padded with slots that allow nothing), because the per-frame numpy
    call overhead, not the arithmetic, is what costs.
    """
    num_crops, num_frames, _ = log_probs.shape
    num_seqs = len(slot_lists)
    lengths = np.array([len(s) for s in slot_lists])
    num_slots = int(lengths.max())
    neg = -np.inf
    allowed = np.zeros((1, num_seqs, num_slots, NUM_CLASSES), dtype=bool)
    for p, slots in enumerate(slot_lists):
        for k, ids in enumerate(slots):
            allowed[0, p, k, ids] = True
    shape = (num_crops, num_seqs, num_slots, NUM_CLASSES)
    classes = np.arange(NUM_CLASSES)
    blank_lp = log_probs[:, :, BLANK_INDEX]  # (B, T)
    frame_lp = log_probs[:, :, None, None, :]  # (B, T, 1, 1, C)
    emit = np.full(shape, neg, dtype=log_probs.dtype)
    emit[:, :, 0] = np.where(allowed[:, :, 0], frame_lp[:, 0, 0], neg)
    gap = np.full(shape, neg, dtype=log_probs.dtype)
    lead = blank_lp[:, 0].copy()  # blanks before the first slot, per crop
    # Back-pointers. emit: 0 = stay, 1 = from the previous slot's gap (or the lead),
    # 2 = from the previous slot's emit with another class. gap: 0 = stay, 1 = from emit.
    bp_emit = np.zeros((num_frames,) + shape, dtype=np.int8)
    bp_emit_cls = np.zeros((num_frames,) + shape, dtype=np.int16)
    bp_gap = np.zeros((num_frames,) + shape, dtype=np.bool_)
    bp_emit[0, :, :, 0] = 1
    enter = np.full(shape, neg, dtype=log_probs.dtype)
    enter_cls = np.zeros(shape, dtype=np.int16)
    via_gap = np.ones(shape, dtype=bool)  # slot 0 is always entered from the lead
    for t in range(1, num_frames):
        # Entering slot k: from the previous slot's gap (any class; the lead for slot 0),
        # or straight from its emit when the class differs (top-1, else top-2).
        enter[:, :, 0] = lead[:, None, None]
        gap_prev = gap[:, :, :-1]
        gap_best = gap_prev.max(axis=3, keepdims=True)
        gap_cls = gap_prev.argmax(axis=3)[..., None]
        emit_prev = emit[:, :, :-1]
        top1_cls = emit_prev.argmax(axis=3)[..., None]
        is_top1 = classes == top1_cls
        top1 = emit_prev.max(axis=3, keepdims=True)
        masked = np.where(is_top1, neg, emit_prev)
        top2 = masked.max(axis=3, keepdims=True)
        top2_cls = masked.argmax(axis=3)[..., None]
        from_emit = np.where(is_top1, top2, top1)
        from_emit_cls = np.where(is_top1, top2_cls, top1_cls)
        use_gap = gap_best >= from_emit
        enter[:, :, 1:] = np.where(use_gap, gap_best, from_emit)
        enter_cls[:, :, 1:] = np.where(use_gap, gap_cls, from_emit_cls)
        via_gap[:, :, 1:] = use_gap
        bp_emit[t] = np.where(enter > emit, np.where(via_gap, 1, 2), 0)
        bp_emit_cls[t] = enter_cls
        new_emit = np.where(allowed, np.maximum(enter, emit) + frame_lp[:, t], neg)
        bp_gap[t] = emit > gap
        gap = np.maximum(gap, emit) + blank_lp[:, t, None, None, None]
        emit = new_emit
        lead = lead + blank_lp[:, t]
    results: list[list[tuple[float, np.ndarray] | None]] = []
    for b in range(num_crops):
        row: list[tuple[float, np.ndarray] | None] = []
        for p in range(num_seqs):
            last = int(lengths[p]) - 1
            end_emit, end_gap = emit[b, p, last].max(), gap[b, p, last].max()
            score = max(end_emit, end_gap)
            if num_frames < lengths[p] or not np.isfinite(score):
                row.append(None)
                continue
            ends_in_emit = bool(end_emit >= end_gap)
            c = int(emit[b, p, last].argmax() if ends_in_emit else gap[b, p, last].argmax())
            row.append((float(score), _backtrack(
                bp_emit[:, b, p], bp_emit_cls[:, b, p], bp_gap[:, b, p], last, c, ends_in_emit)))
        results.append(row)
    return results


def _backtrack(bp_emit: np.ndarray, bp_emit_cls: np.ndarray, bp_gap: np.ndarray, k: int,
               c: int, ends_in_emit: bool) -> np.ndarray:
    """Frame path of one (crop, sequence) from its (T, K, C) Viterbi back-pointers."""
    num_frames = bp_emit.shape[0]
    path = np.zeros(num_frames, dtype=np.int64)
    state = "emit" if ends_in_emit else "gap"
    for t in range(num_frames - 1, -1, -1):
        if state == "lead":
            path[t] = BLANK_INDEX
            continue
        if state == "gap":
            path[t] = BLANK_INDEX
            if bp_gap[t, k, c]:
                state = "emit"
            continue
        path[t] = c
        if t == 0:
            break
        move = bp_emit[t, k, c]
        if move == 0:
            continue
        prev_c = int(bp_emit_cls[t, k, c])
        if move == 1:
            if k == 0:
                state = "lead"
            else:
                k, c, state = k - 1, prev_c, "gap"
        else:
            k, c, state = k - 1, prev_c, "emit"
    return path


_SLOT_LISTS = [_slot_sets(pattern, region_len)
               for pattern in FORMAT_PATTERNS.values() for region_len in (2, 3)]


def decode_constrained_many(probs: np.ndarray) -> list[tuple[Decoded, FormatMatch] | None]:
    """For each (T, C) matrix in ``probs`` (N, T, C): the most probable reading that fits a
    known format and a real region, or None.

    One Viterbi pass covers every crop and every (format, region length) pair; the best
    candidate whose region is real wins, unless it is far less likely than the greedy path.
    """
    if len(probs) == 0:
        return []
    # float32 is plenty for sums of 32 log-probabilities and halves the memory traffic.
    log_probs = np.log(np.maximum(probs.astype(np.float32), 1e-30))
    out: list[tuple[Decoded, FormatMatch] | None] = []
    for b, row in enumerate(_viterbi_many(log_probs, _SLOT_LISTS)):
        greedy_lp = float(log_probs[b].max(axis=1).sum())
        best: tuple[Decoded, FormatMatch] | None = None
        for found in row:
            if found is None:
                continue
            score, path = found
            text, confs = _char_confidences(probs[b], path)
            match = match_format(text)
            if match is None:
                continue
            if best is None or score > best[0].log_prob:
                best = (Decoded(text, confs, score), match)
        if best is not None and greedy_lp - best[0].log_prob > MAX_CONSTRAINED_PENALTY:
            best = None
        out.append(best)
    return out


def decode_constrained(probs: np.ndarray) -> tuple[Decoded, FormatMatch] | None:
    """``decode_constrained_many`` for one (T, C) matrix."""
    return decode_constrained_many(probs[None])[0]


@dataclass(frozen=True)
class PlateDecoding:
    """Final decoding of one crop: the reading to report and what the format check said."""

    text_latin: str
    char_confidences: tuple[float, ...]
    confidence: float
    plate_format: PlateFormat | None
    region: str | None
    raw_text_latin: str
    frames: GreedyFrames | None = None


def decode_plates(probs: np.ndarray) -> list[PlateDecoding]:
    """Greedy CTC for each (T, C) matrix of ``probs`` (N, T, C); the readings that fit no
    format then go through constrained decoding together, in one batched pass."""
    greedy = decode_greedy_many(probs)
    matches = [match_format(g.text_latin) for g in greedy]
    failed = [i for i, m in enumerate(matches) if m is None]
    fixed = dict(zip(failed, decode_constrained_many(probs[failed])))
    out = []
    for i, (g, m) in enumerate(zip(greedy, matches)):
        if m is not None:
            out.append(PlateDecoding(g.text_latin, g.char_confidences, g.confidence,
                                     m.plate_format, m.region, g.text_latin, g.frames))
            continue
        constrained = fixed[i]
        if constrained is None:
            out.append(PlateDecoding(g.text_latin, g.char_confidences, g.confidence,
                                     None, None, g.text_latin, g.frames))
            continue
        decoded, match = constrained
        # The constrained path is worth less than a greedy one: scale by how much
        # likelihood it gave up, so a forced reading never looks as sure as a clean one.
        penalty = math.exp(min(0.0, decoded.log_prob - g.log_prob))
        out.append(PlateDecoding(decoded.text_latin, decoded.char_confidences,
                                 decoded.confidence * penalty, match.plate_format,
                                 match.region, g.text_latin, g.frames))
    return out


def decode_plate(probs: np.ndarray) -> PlateDecoding:
    """Greedy CTC, then constrained decoding when the greedy reading fits no format."""
    return decode_plates(probs[None])[0]


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
    """One crop's (T, C) CTC probabilities, as the OCR model gave them.

    ``found`` is what ``format_beam_search`` finds when the lattice admits a single
    reading (see ``only_readings``), worked out for a whole batch at once; None when the
    search must run. ``greedy`` is each frame's greedy class and probability, when the
    decoder worked them out (it does for every crop read), which spares the search most
    of its array work.
    """

    probs: np.ndarray
    found: list[tuple[str, float]] | None = None
    greedy: GreedyFrames | None = None


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
        format_beam_search(ctc.probs, max_readings, ctc.greedy)
    probability = dict(found).get(text_latin)
    if probability is None:
        probability = reading_probability(ctc.probs, text_latin)
    others = [item for item in found if item[0] != text_latin]
    return [(text_latin, probability)] + others[:max_readings - 1]


@lru_cache(maxsize=None)
def _fits_some_format(prefix: str) -> bool:
    """Whether ``prefix`` (Latin) can still grow into a plate of some format: the main part's
    letters and digits in place, then a region of 2 or 3 digits, a 3-digit one starting with
    a digit some real one starts with. Whether the finished region is a real one is checked
    at the end."""
    for pattern in FORMAT_PATTERNS.values():
        if len(prefix) > len(pattern) + 3:
            continue
        main, region = prefix[:len(pattern)], prefix[len(pattern):]
        if not all((c in LETTERS_LATIN) if kind == "L" else c.isdigit()
                   for c, kind in zip(main, pattern)):
            continue
        if region.isdigit() or not region:
            if len(region) < 3 or region[0] in REGION3_FIRST_DIGITS:
                return True
    return False


# A frame whose greedy class is at least this probable offers no other class worth
# searching: the others share the rest of its probability (which sums to 1 within 1e-6),
# each less than MIN_CLASS_PROBABILITY.
_SURE_FRAME = 1.0 - MIN_CLASS_PROBABILITY + 1e-4


def _frame_runs(probs: np.ndarray, greedy: GreedyFrames | None = None
                ) -> list[list[tuple[int, float]]]:
    """Per frame, the (class, probability) pairs worth searching (MIN_CLASS_PROBABILITY),
    with each run of frames that offer one and the same class only merged into one step.

    Merging is exact: after the first frame of such a run every prefix ends in that class
    (or in a blank), so each further frame only scales all of them by its probability.
    ``greedy`` (each frame's most probable class and its probability) settles the frames
    that are sure of one class; only the other frames' rows are read. Most frames are
    sure, and on the serving path each array call costs more than the Python around it.
    """
    path, best = greedy if greedy is not None else (probs.argmax(axis=1).tolist(),
                                                    probs.max(axis=1).tolist())
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


def _grow(beams: dict[str, tuple[float, float]], frame: list[tuple[int, float]]
          ) -> dict[str, list[float]]:
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
            char = ALPHABET[cls - 1]
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
            if not _fits_some_format(longer):
                continue
            entry = grown.get(longer)
            if entry is None:
                grown[longer] = [0.0, extend]
            else:
                entry[1] += extend
    return grown


def format_beam_search(probs: np.ndarray, max_readings: int,
                       greedy: GreedyFrames | None = None) -> list[tuple[str, float]]:
    """The most probable readings of one (T, C) probability matrix that fit a plate format
    with a real region, as (Latin text, probability), most probable first; readings less
    probable than MIN_READING_PROBABILITY are not searched for.

    A CTC prefix beam search: each prefix carries the summed probability of every frame
    path that spells it, split by whether the path's last frame is a blank (so that a
    repeated letter needs a blank between, as CTC requires). Prefixes that no format allows
    are never extended, so the beam is spent on plates. The probabilities are the model's
    own, summed over the alignments the beam kept: a lower bound of each reading's exact
    probability, and equal to it unless an alignment fell out of the beam. Plain floats
    and dicts: this runs for every plate answered, where numpy's per-call cost would
    dominate. ``greedy``: the decoder's frames, when at hand (see ``_frame_runs``).
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
                char = ALPHABET[cls - 1]
                if prefix[-1:] != char:
                    # A repeated character is left to _grow: it may be spelled twice.
                    prefix, p_blank, p_char = prefix + char, 0.0, total * p
                    if p_char < MIN_READING_PROBABILITY or not _fits_some_format(prefix):
                        return []
                    continue
            beams = {prefix: (p_blank, p_char)}
        if len(frame) == 1 and frame[0][0] == BLANK_INDEX:
            # The common frame: only a blank is likely; every prefix just ends in it.
            p = frame[0][1]
            grown = {text: [(pb + pc) * p, 0.0] for text, (pb, pc) in beams.items()}
        else:
            grown = _grow(beams, frame)
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
                if match_format(text) is not None]
    readings.sort(key=lambda item: item[1], reverse=True)
    return readings[:max_readings]


def only_readings(probs: np.ndarray, greedy: Sequence[str], plates: Sequence[bool]
                  ) -> list[list[tuple[str, float]] | None]:
    """For each (T, C) matrix of ``probs`` (N, T, C), read greedily as ``greedy``, which
    ``plates`` says fits a format with a real region or not: what ``format_beam_search``
    finds when the lattice admits no other reading (that one with its probability, or
    nothing); None when it may (then the search must run).

    Most crops' lattices are this simple: every frame offers one class worth searching,
    or two where a character meets a blank at the edge of its run (the next frame, or the
    one before, surely that character, the frame on the other side surely not). Every
    path through such a lattice spells the greedy text, and the search's probability is
    the product over frames of the classes it keeps: both at a run's end (they extend
    one prefix), and at a run's start each one that leaves the prefix at least
    MIN_READING_PROBABILITY likely, as the search prunes. Array operations over the
    batch, where the search is a Python loop per crop.
    """
    if len(probs) == 0:
        return []
    probs = probs.astype(np.float64)  # the search multiplies Python floats
    likely = probs >= MIN_CLASS_PROBABILITY
    count = likely.sum(axis=2)
    first = probs.argmax(axis=2)
    p_first = probs.max(axis=2)
    others = np.where(likely, probs, -1.0)
    np.put_along_axis(others, first[:, :, None], -1.0, axis=2)
    second = others.argmax(axis=2)
    p_second = np.take_along_axis(probs, second[:, :, None], axis=2)[:, :, 0]
    sure = count == 1
    pair = (count == 2) & ((first == BLANK_INDEX) | (second == BLANK_INDEX))
    char = np.where(first == BLANK_INDEX, second, first)
    p_char = np.where(first == BLANK_INDEX, p_second, p_first)
    p_blank = np.where(first == BLANK_INDEX, p_first, p_second)
    before_sure = np.zeros_like(sure)
    before_sure[:, 1:] = sure[:, :-1]
    after_sure = np.zeros_like(sure)
    after_sure[:, :-1] = sure[:, 1:]
    before_char = np.zeros_like(sure)
    before_char[:, 1:] = first[:, :-1] == char[:, 1:]
    after_char = np.zeros_like(sure)
    after_char[:, :-1] = first[:, 1:] == char[:, :-1]
    edge = np.zeros_like(sure)
    edge[:, 0] = True
    end_edge = np.zeros_like(sure)
    end_edge[:, -1] = True
    starts = pair & after_sure & after_char & (edge | (before_sure & ~before_char))
    ends = pair & before_sure & before_char & (end_edge | (after_sure & ~after_char))
    simple = (sure | starts | ends).all(axis=1)
    unpruned = np.where(sure, p_first, p_char + p_blank)
    # The search prunes at a run's start by the mass before that frame, which earlier
    # pruning lowered. Decide on the unpruned masses, recompute the masses with those
    # decisions and decide again: where nothing changes, the decisions are the search's.
    factor, decided = unpruned, None
    for _ in range(2):
        before = np.ones_like(factor)
        before[:, 1:] = np.cumprod(factor, axis=1)[:, :-1]
        keep_char = before * p_char >= MIN_READING_PROBABILITY
        keep_blank = before * p_blank >= MIN_READING_PROBABILITY
        factor = np.where(starts, keep_char * p_char + keep_blank * p_blank, unpruned)
        if decided is not None:
            simple &= ~(starts & ((keep_char != decided[0]) | (keep_blank != decided[1]))
                        ).any(axis=1)
        decided = (keep_char, keep_blank)
    masses = np.prod(factor, axis=1).tolist()
    return [None if not ok else [(text, mass)] if plate and mass >= MIN_READING_PROBABILITY
            else [] for text, plate, mass, ok in zip(greedy, plates, masses, simple.tolist())]


def reading_probability(probs: np.ndarray, text_latin: str) -> float:
    """Exact CTC probability of ``text_latin`` under one (T, C) probability matrix: the sum
    over every frame path that collapses to it (the forward algorithm, in log space)."""
    labels = [ALPHABET.index(c) + 1 for c in text_latin]
    num_frames = probs.shape[0]
    if not labels:
        return float(np.prod(probs[:, BLANK_INDEX]))
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
