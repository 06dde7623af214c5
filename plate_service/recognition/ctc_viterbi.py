"""Constrained CTC Viterbi: the most probable frame path that spells one class from each
slot of a sequence, in order, for many crops and sequences in one vectorised pass.

It knows CTC (the blank, repeats) and nothing of plates: ``ctc_decoding`` turns plate
formats into slot sequences and the paths into readings.
"""

from __future__ import annotations

import numpy as np

from plate_service.recognition.plate_format import BLANK_INDEX


def viterbi_many(log_probs: np.ndarray, slot_lists: list[list[np.ndarray]]
                 ) -> list[list[tuple[float, np.ndarray] | None]]:
    """Constrained CTC Viterbi for B crops x P slot sequences at once: [b][p] is the
    score and frame path of the most probable path emitting exactly one class from each
    slot of sequence p, in order, or None when no path can.

    ``log_probs`` is (B, T, C). States: "in slot k emitting its j-th allowed class" and
    "blank after slot k, last class its j-th"; a repeat of the same class in the next slot
    must pass through a blank, as CTC requires. A slot holds only the classes it allows
    (digits or letters, about half the alphabet), so the state arrays are as small as the
    formats make them. Everything runs in one vectorised pass over the frames (shorter
    sequences and slots padded with states that allow nothing), because the per-frame
    numpy call overhead, not the arithmetic, is what costs.
    """
    num_crops, num_frames, _ = log_probs.shape
    num_seqs = len(slot_lists)
    lengths = np.array([len(s) for s in slot_lists])
    num_slots = int(lengths.max())
    width = max(len(ids) for slots in slot_lists for ids in slots)
    # The class of each state (-1: a padding state, which never emits).
    state_class = np.full((num_seqs, num_slots, width), -1, dtype=np.int64)
    for p, slots in enumerate(slot_lists):
        for k, ids in enumerate(slots):
            state_class[p, k, :len(ids)] = ids
    neg = -np.inf
    # Each state's log-probability at each frame: (B, T, P, K, J).
    state_lp = np.where(state_class >= 0, log_probs[:, :, np.maximum(state_class, 0)], neg)
    shape = (num_crops, num_seqs, num_slots, width)
    prev_class = np.broadcast_to(state_class[None, :, :-1],
                                 (num_crops,) + state_class[:, :-1].shape)
    next_class = state_class[None, :, 1:]
    blank_lp = log_probs[:, :, BLANK_INDEX]  # (B, T)
    emit = np.full(shape, neg, dtype=log_probs.dtype)
    emit[:, :, 0] = state_lp[:, 0, :, 0]
    gap = np.full(shape, neg, dtype=log_probs.dtype)
    lead = blank_lp[:, 0].copy()  # blanks before the first slot, per crop
    # Back-pointers. emit: 0 = stay, 1 = from the previous slot's gap (or the lead),
    # 2 = from the previous slot's emit with another class; the previous slot's state.
    # gap: 0 = stay, 1 = from emit.
    bp_emit = np.zeros((num_frames,) + shape, dtype=np.int8)
    bp_emit_from = np.zeros((num_frames,) + shape, dtype=np.int16)
    bp_gap = np.zeros((num_frames,) + shape, dtype=np.bool_)
    bp_emit[0, :, :, 0] = 1
    enter = np.full(shape, neg, dtype=log_probs.dtype)
    enter_from = np.zeros(shape, dtype=np.int16)
    via_gap = np.ones(shape, dtype=bool)  # slot 0 is always entered from the lead
    for t in range(1, num_frames):
        # Entering slot k: from the previous slot's gap (any class; the lead for slot 0),
        # or straight from its emit when the class differs (top-1, else top-2).
        enter[:, :, 0] = lead[:, None, None]
        gap_prev = gap[:, :, :-1]
        gap_best = gap_prev.max(axis=3, keepdims=True)
        gap_from = gap_prev.argmax(axis=3)[..., None]
        emit_prev = emit[:, :, :-1]
        top1_from = emit_prev.argmax(axis=3)[..., None]
        top1 = np.take_along_axis(emit_prev, top1_from, axis=3)
        masked = emit_prev.copy()
        np.put_along_axis(masked, top1_from, neg, axis=3)
        top2_from = masked.argmax(axis=3)[..., None]
        top2 = np.take_along_axis(masked, top2_from, axis=3)
        repeats_top1 = next_class == np.take_along_axis(prev_class, top1_from, axis=3)
        from_emit = np.where(repeats_top1, top2, top1)
        from_emit_from = np.where(repeats_top1, top2_from, top1_from)
        use_gap = gap_best >= from_emit
        enter[:, :, 1:] = np.where(use_gap, gap_best, from_emit)
        enter_from[:, :, 1:] = np.where(use_gap, gap_from, from_emit_from)
        via_gap[:, :, 1:] = use_gap
        bp_emit[t] = np.where(enter > emit, np.where(via_gap, 1, 2), 0)
        bp_emit_from[t] = enter_from
        new_emit = np.maximum(enter, emit) + state_lp[:, t]
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
            j = int(emit[b, p, last].argmax() if ends_in_emit else gap[b, p, last].argmax())
            row.append((float(score), _backtrack(
                bp_emit[:, b, p], bp_emit_from[:, b, p], bp_gap[:, b, p], state_class[p],
                last, j, ends_in_emit)))
        results.append(row)
    return results


def _backtrack(bp_emit: np.ndarray, bp_emit_from: np.ndarray, bp_gap: np.ndarray,
               state_class: np.ndarray, k: int, j: int, ends_in_emit: bool) -> np.ndarray:
    """Frame path (class per frame) of one (crop, sequence) from its (T, K, J) Viterbi
    back-pointers; ``state_class`` (K, J) gives each state's class."""
    num_frames = bp_emit.shape[0]
    path = np.zeros(num_frames, dtype=np.int64)
    state = "emit" if ends_in_emit else "gap"
    for t in range(num_frames - 1, -1, -1):
        if state == "lead":
            path[t] = BLANK_INDEX
            continue
        if state == "gap":
            path[t] = BLANK_INDEX
            if bp_gap[t, k, j]:
                state = "emit"
            continue
        path[t] = state_class[k, j]
        if t == 0:
            break
        move = bp_emit[t, k, j]
        if move == 0:
            continue
        prev_j = int(bp_emit_from[t, k, j])
        if move == 1:
            if k == 0:
                state = "lead"
            else:
                k, j, state = k - 1, prev_j, "gap"
        else:
            k, j, state = k - 1, prev_j, "emit"
    return path
