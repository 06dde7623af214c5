"""The plate alphabet, GOST R 50577 one-line formats, and CTC decoding constrained to them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from plate_service.recognition.types import PlateFormat

LETTERS_LATIN = "ABEKMHOPCTYX"
LETTERS_CYRILLIC = "АВЕКМНОРСТУХ"
DIGITS = "0123456789"
# Index 0 is the CTC blank; the model's output classes are BLANK + ALPHABET in this order.
ALPHABET = DIGITS + LETTERS_LATIN
BLANK_INDEX = 0
NUM_CLASSES = len(ALPHABET) + 1

_LATIN_TO_CYRILLIC = str.maketrans(LETTERS_LATIN, LETTERS_CYRILLIC)
_CYRILLIC_TO_LATIN = str.maketrans(LETTERS_CYRILLIC, LETTERS_LATIN)

# Real region codes in use (Order of the MVD on registration plates, with later additions).
# Three-digit codes always start with 1 or 7. Two-digit codes: every one of 01..99 has
# been issued at some point (80-88 include legacy and the 2022 new-region codes).
REGIONS_2 = frozenset(f"{n:02d}" for n in range(1, 100))
REGIONS_3 = frozenset(
    {
        "102", "702",  # Bashkortostan
        "103",  # Buryatia
        "113",  # Mordovia
        "116", "716",  # Tatarstan
        "118",  # Udmurtia
        "121",  # Chuvashia
        "122",  # Altai krai
        "123", "193",  # Krasnodar krai
        "124",  # Krasnoyarsk krai
        "125", "725",  # Primorsky krai
        "126",  # Stavropol krai
        "134",  # Volgograd oblast
        "136",  # Voronezh oblast
        "138",  # Irkutsk oblast
        "142",  # Kemerovo oblast
        "147",  # Leningrad oblast
        "150", "190", "750", "790",  # Moscow oblast
        "152",  # Nizhny Novgorod oblast
        "154",  # Novosibirsk oblast
        "155",  # Omsk oblast
        "156",  # Orenburg oblast
        "159",  # Perm krai
        "161", "761",  # Rostov oblast
        "163", "763",  # Samara oblast
        "164",  # Saratov oblast
        "173",  # Ulyanovsk oblast
        "174", "774",  # Chelyabinsk oblast
        "177", "197", "199", "777", "797", "799",  # Moscow
        "178", "198",  # Saint Petersburg
        "180",  # Donetsk People's Republic
        "181",  # Luhansk People's Republic
        "184",  # Kherson oblast
        "185",  # Zaporozhye oblast
        "186",  # Khanty-Mansi autonomous okrug
        "196",  # Sverdlovsk oblast
    }
)
REGIONS = REGIONS_2 | REGIONS_3

# Each format's main part as a pattern of L (letter) / D (digit); the region follows.
FORMAT_PATTERNS: dict[PlateFormat, str] = {
    PlateFormat.PRIVATE: "LDDDLL",
    PlateFormat.TAXI: "LLDDD",
    PlateFormat.TRAILER: "LLDDDD",
    PlateFormat.POLICE: "LDDDD",
    PlateFormat.TRANSIT: "LLDDDL",
}
# A constrained reading this many nats less likely than the greedy path is not trusted:
# the crop most likely is not a plate of any known format.
MAX_CONSTRAINED_PENALTY = 12.0

_DIGIT_IDS = np.array([ALPHABET.index(c) + 1 for c in DIGITS])
_LETTER_IDS = np.array([ALPHABET.index(c) + 1 for c in LETTERS_LATIN])
_REGION3_FIRST_IDS = np.array([ALPHABET.index(c) + 1 for c in "17"])
_CLASS_REGEX = {"L": f"[{LETTERS_LATIN}]", "D": "[0-9]"}
_MAIN_REGEX = {plate_format: re.compile("".join(_CLASS_REGEX[c] for c in pattern))
               for plate_format, pattern in FORMAT_PATTERNS.items()}


def to_cyrillic(text_latin: str) -> str:
    """Latin look-alikes -> the Cyrillic letters printed on the plate."""
    return text_latin.translate(_LATIN_TO_CYRILLIC)


def to_latin(text: str) -> str:
    """Cyrillic plate letters -> Latin look-alikes (the model's internal alphabet)."""
    return text.upper().translate(_CYRILLIC_TO_LATIN)


@dataclass(frozen=True)
class FormatMatch:
    """A text that fits a plate format, split into the main part and the region code."""

    plate_format: PlateFormat
    main: str
    region: str


def match_format(text_latin: str) -> FormatMatch | None:
    """The format a Latin plate text fits, or None; the first format in order wins.

    Taxi with a 3-digit region and trailer with a 2-digit one share a shape; the region
    list decides, and private plates come first because they are the vast majority.
    """
    for plate_format, pattern in FORMAT_PATTERNS.items():
        n = len(pattern)
        if len(text_latin) not in (n + 2, n + 3):
            continue
        main, region = text_latin[:n], text_latin[n:]
        if region not in REGIONS:
            continue
        if _MAIN_REGEX[plate_format].fullmatch(main) and region.isdigit():
            return FormatMatch(plate_format, main, region)
    return None


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
    best = np.take_along_axis(probs, paths[:, :, None], axis=2)[:, :, 0]
    log_probs = np.log(np.maximum(best, 1e-30)).sum(axis=1).tolist()
    out = []
    for path, frame_probs, logp in zip(paths.tolist(), best.tolist(), log_probs):
        text, confs = _collapse(path, frame_probs)
        out.append(Decoded(text, confs, logp))
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
                                     m.plate_format, m.region, g.text_latin))
            continue
        constrained = fixed[i]
        if constrained is None:
            out.append(PlateDecoding(g.text_latin, g.char_confidences, g.confidence,
                                     None, None, g.text_latin))
            continue
        decoded, match = constrained
        # The constrained path is worth less than a greedy one: scale by how much
        # likelihood it gave up, so a forced reading never looks as sure as a clean one.
        penalty = math.exp(min(0.0, decoded.log_prob - g.log_prob))
        out.append(PlateDecoding(decoded.text_latin, decoded.char_confidences,
                                 decoded.confidence * penalty, match.plate_format,
                                 match.region, g.text_latin))
    return out


def decode_plate(probs: np.ndarray) -> PlateDecoding:
    """Greedy CTC, then constrained decoding when the greedy reading fits no format."""
    return decode_plates(probs[None])[0]
