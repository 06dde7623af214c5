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
        if re.fullmatch("".join(_CLASS_REGEX[c] for c in pattern), main) and region.isdigit():
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


def _char_confidences(probs: np.ndarray, path: np.ndarray) -> tuple[str, tuple[float, ...]]:
    """Collapse a frame path to text; each char's confidence is its best frame's probability."""
    chars: list[str] = []
    confs: list[float] = []
    prev = BLANK_INDEX
    for t, k in enumerate(path):
        k = int(k)
        if k != BLANK_INDEX and k != prev:
            chars.append(ALPHABET[k - 1])
            confs.append(float(probs[t, k]))
        elif k != BLANK_INDEX and k == prev:
            confs[-1] = max(confs[-1], float(probs[t, k]))
        prev = k
    return "".join(chars), tuple(confs)


def decode_greedy(probs: np.ndarray) -> Decoded:
    """Best-path CTC decoding of one (T, NUM_CLASSES) probability matrix."""
    path = probs.argmax(axis=1)
    text, confs = _char_confidences(probs, path)
    logp = float(np.log(np.maximum(probs[np.arange(len(path)), path], 1e-30)).sum())
    return Decoded(text, confs, logp)


def _slot_sets(pattern: str, region_len: int) -> list[np.ndarray]:
    """Allowed class ids for each character slot of a format with a given region length."""
    sets = [_LETTER_IDS if c == "L" else _DIGIT_IDS for c in pattern]
    for i in range(region_len):
        sets.append(_REGION3_FIRST_IDS if region_len == 3 and i == 0 else _DIGIT_IDS)
    return sets


def _viterbi(log_probs: np.ndarray, slots: list[np.ndarray]) -> tuple[float, np.ndarray] | None:
    """Most probable CTC frame path emitting exactly one class from each slot, in order.

    States: "in slot k emitting class c" and "blank after slot k, last class c"; a repeat
    of the same class in the next slot must pass through a blank, as CTC requires.
    Vectorised over the (slot, class) grid; returns (log-prob, frame path) or None.
    """
    num_frames = log_probs.shape[0]
    num_slots = len(slots)
    if num_frames < num_slots:
        return None
    neg = -np.inf
    allowed = np.zeros((num_slots, NUM_CLASSES), dtype=bool)
    for k, ids in enumerate(slots):
        allowed[k, ids] = True
    emit_lp = np.where(allowed[None], log_probs[:, None, :], neg)  # (T, K, C)
    blank_lp = log_probs[:, BLANK_INDEX]
    # emit[k, c]: best score ending at this frame inside slot k with class c.
    # gap[k, c]: best score ending at this frame in a blank after slot k (last class c).
    emit = np.full((num_slots, NUM_CLASSES), neg)
    gap = np.full((num_slots, NUM_CLASSES), neg)
    lead = blank_lp[0]  # blanks before the first slot
    emit[0] = emit_lp[0, 0]
    # Back-pointers: for emit, 0=stay, 1=from lead/prev gap, 2=from prev emit (diff class);
    # for gap, 0=stay gap, 1=from emit.
    bp_emit = np.zeros((num_frames, num_slots, NUM_CLASSES), dtype=np.int8)
    bp_emit_cls = np.zeros((num_frames, num_slots, NUM_CLASSES), dtype=np.int16)
    bp_gap = np.zeros((num_frames, num_slots, NUM_CLASSES), dtype=np.int8)
    bp_emit[0, 0] = 1
    lead_hist = np.zeros(num_frames)
    lead_hist[0] = lead
    for t in range(1, num_frames):
        # Entering slot k from slot k-1: from its gap (any class) or directly from its
        # emit with a different class.
        prev_gap_best = np.full(num_slots, neg)
        prev_gap_arg = np.zeros(num_slots, dtype=np.int16)
        prev_gap_best[0] = lead
        prev_gap_best[1:] = gap[:-1].max(axis=1)
        prev_gap_arg[1:] = gap[:-1].argmax(axis=1)
        # best previous emit with a different class: keep top-2 per slot.
        order = np.argsort(-emit, axis=1)[:, :2]
        top1 = np.take_along_axis(emit, order[:, :1], axis=1)[:, 0]
        top2 = np.take_along_axis(emit, order[:, 1:2], axis=1)[:, 0]
        prev_emit_diff = np.full((num_slots, NUM_CLASSES), neg)
        prev_emit_cls = np.zeros((num_slots, NUM_CLASSES), dtype=np.int16)
        prev_emit_diff[1:] = top1[:-1, None]
        prev_emit_cls[1:] = order[:-1, :1]
        same = np.zeros((num_slots, NUM_CLASSES), dtype=bool)
        same[1:] = np.arange(NUM_CLASSES)[None, :] == order[:-1, :1]
        prev_emit_diff[same] = np.repeat(top2[:-1, None], NUM_CLASSES, axis=1)[same[1:]]
        prev_emit_cls[same] = np.repeat(order[:-1, 1:2], NUM_CLASSES, axis=1)[same[1:]]
        enter_gap = prev_gap_best[:, None]
        cand = np.stack([emit, np.broadcast_to(enter_gap, emit.shape), prev_emit_diff])
        choice = cand.argmax(axis=0)
        best = np.take_along_axis(cand, choice[None], axis=0)[0]
        bp_emit[t] = choice
        bp_emit_cls[t] = np.where(choice == 1, prev_gap_arg[:, None], prev_emit_cls)
        new_emit = best + emit_lp[t]
        gcand = np.stack([gap, emit])
        gchoice = gcand.argmax(axis=0)
        bp_gap[t] = gchoice
        new_gap = np.take_along_axis(gcand, gchoice[None], axis=0)[0] + blank_lp[t]
        lead = lead + blank_lp[t]
        lead_hist[t] = lead
        emit, gap = new_emit, new_gap
    last = num_slots - 1
    end_emit, end_gap = emit[last].max(), gap[last].max()
    score = max(end_emit, end_gap)
    if not np.isfinite(score):
        return None
    # Backtrack.
    path = np.zeros(num_frames, dtype=np.int64)
    k = last
    if end_emit >= end_gap:
        state, c = "emit", int(emit[last].argmax())
    else:
        state, c = "gap", int(gap[last].argmax())
    for t in range(num_frames - 1, -1, -1):
        if state == "lead":
            path[t] = BLANK_INDEX
            continue
        if state == "gap":
            path[t] = BLANK_INDEX
            if bp_gap[t, k, c] == 1:
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
    return float(score), path


def decode_constrained(probs: np.ndarray) -> tuple[Decoded, FormatMatch] | None:
    """The most probable reading that fits a known format and a real region, or None.

    Runs a Viterbi pass per (format, region length), keeps the best candidate whose region
    is real, and gives up when even that one is far less likely than the greedy path.
    """
    log_probs = np.log(np.maximum(probs.astype(np.float64), 1e-30))
    greedy_lp = float(log_probs.max(axis=1).sum())
    best: tuple[Decoded, FormatMatch] | None = None
    for pattern in FORMAT_PATTERNS.values():
        for region_len in (2, 3):
            found = _viterbi(log_probs, _slot_sets(pattern, region_len))
            if found is None:
                continue
            score, path = found
            text, confs = _char_confidences(probs, path)
            match = match_format(text)
            if match is None:
                continue
            if best is None or score > best[0].log_prob:
                best = (Decoded(text, confs, score), match)
    if best is None or greedy_lp - best[0].log_prob > MAX_CONSTRAINED_PENALTY:
        return None
    return best


@dataclass(frozen=True)
class PlateDecoding:
    """Final decoding of one crop: the reading to report and what the format check said."""

    text_latin: str
    char_confidences: tuple[float, ...]
    confidence: float
    plate_format: PlateFormat | None
    region: str | None
    raw_text_latin: str


def decode_plate(probs: np.ndarray) -> PlateDecoding:
    """Greedy CTC, then constrained decoding when the greedy reading fits no format."""
    greedy = decode_greedy(probs)
    match = match_format(greedy.text_latin)
    if match is not None:
        return PlateDecoding(greedy.text_latin, greedy.char_confidences, greedy.confidence,
                             match.plate_format, match.region, greedy.text_latin)
    constrained = decode_constrained(probs)
    if constrained is None:
        return PlateDecoding(greedy.text_latin, greedy.char_confidences, greedy.confidence,
                             None, None, greedy.text_latin)
    decoded, match = constrained
    # The constrained path is worth less than a greedy one: scale by how much likelihood
    # it gave up, so a forced reading never looks as sure as a clean one.
    penalty = math.exp(min(0.0, decoded.log_prob - decode_greedy(probs).log_prob))
    return PlateDecoding(decoded.text_latin, decoded.char_confidences,
                         decoded.confidence * penalty, match.plate_format, match.region,
                         greedy.text_latin)
