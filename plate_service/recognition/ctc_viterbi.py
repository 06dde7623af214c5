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

    ``log_probs`` is (B, T, C). States: "in slot k emitting class c" and "blank after
    slot k, last class c"; a repeat of the same class in the next slot must pass through
    a blank, as CTC requires. Everything runs in one vectorised pass over the frames
    (shorter sequences padded with slots that allow nothing), because the per-frame numpy
    call overhead, not the arithmetic, is what costs.
    """
    num_crops, num_frames, num_classes = log_probs.shape
    num_seqs = len(slot_lists)
    lengths = np.array([len(s) for s in slot_lists])
    num_slots = int(lengths.max())
    neg = -np.inf
    allowed = np.zeros((1, num_seqs, num_slots, num_classes), dtype=bool)
    for p, slots in enumerate(slot_lists):
        for k, ids in enumerate(slots):
            allowed[0, p, k, ids] = True
    shape = (num_crops, num_seqs, num_slots, num_classes)
    classes = np.arange(num_classes)
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
