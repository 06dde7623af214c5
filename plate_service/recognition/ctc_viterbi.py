"""Constrained CTC Viterbi: the most probable frame path that spells one class from each
slot of a sequence, in order, for many crops and sequences in one vectorised pass.

It knows CTC (the blank, repeats) and nothing of plates: ``ctc_decoding`` turns plate
formats into slot sequences and the paths into readings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from plate_service.recognition.plate_format import BLANK_INDEX

NEG = -np.inf


class ViterbiLattice:
    """The forward pass of ``viterbi_many``: every path's best score, and each frame's
    state scores, from which ``path`` recovers a frame path only when it is asked for.

    A caller wants the path of the best-scoring sequence whose text it accepts, usually
    the first it tries; keeping no back-pointers in the forward pass and tracing one path
    back from the kept scores costs less than recording the way into every state.
    """

    def __init__(self, scores: np.ndarray, emit: list[np.ndarray], gap: list[np.ndarray],
                 lead: list[np.ndarray], state_class: np.ndarray, lengths: np.ndarray) -> None:
        self.scores = scores
        self._emit, self._gap, self._lead = emit, gap, lead
        self._state_class, self._lengths = state_class, lengths

    def path(self, crop: int, sequence: int) -> np.ndarray:
        """The class of each frame on the best path of ``sequence`` for ``crop`` (its
        score is finite). Each step back retraces the forward pass's choice for one
        state, ties broken as it breaks them (``_entry``)."""
        p = sequence
        classes = self._state_class[p]
        num_frames = len(self._emit)
        k = int(self._lengths[p]) - 1
        end_emit, end_gap = self._emit[-1][:, crop, p, k], self._gap[-1][:, crop, p, k]
        state = "emit" if end_emit.max() >= end_gap.max() else "gap"
        j = int(end_emit.argmax() if state == "emit" else end_gap.argmax())
        path = np.full(num_frames, BLANK_INDEX, dtype=np.int64)
        for t in range(num_frames - 1, -1, -1):
            if state == "lead":
                continue
            if state == "gap":
                if t > 0 and self._emit[t - 1][j, crop, p, k] > self._gap[t - 1][j, crop, p, k]:
                    state = "emit"
                continue
            path[t] = classes[k, j]
            if t == 0:
                break
            emit, gap = self._emit[t - 1][:, crop, p].T, self._gap[t - 1][:, crop, p].T
            if k == 0:
                if self._lead[t - 1][crop] > emit[k, j]:
                    state = "lead"
                continue
            enter, via_gap, came_from = _entry(emit[k - 1], gap[k - 1], classes[k - 1],
                                               int(classes[k, j]))
            if enter > emit[k, j]:
                k, j, state = k - 1, came_from, "gap" if via_gap else "emit"
        return path


def _entry(emit: np.ndarray, gap: np.ndarray, classes: np.ndarray, target: int
           ) -> tuple[float, bool, int]:
    """The best way into a state of class ``target`` from the previous slot's states
    (its emit and gap scores, its classes) one frame before: the score, whether through
    a blank, and which state. Straight from an emit state only when the class differs."""
    gap_from = int(gap.argmax())
    emit_from = int(emit.argmax())
    if classes[emit_from] == target:
        emit = emit.copy()
        emit[emit_from] = NEG
        emit_from = int(emit.argmax())
    if gap[gap_from] >= emit[emit_from]:
        return float(gap[gap_from]), True, gap_from
    return float(emit[emit_from]), False, emit_from


def viterbi_many(log_probs: np.ndarray, slot_lists: Sequence[Sequence[np.ndarray]]
                 ) -> ViterbiLattice:
    """Constrained CTC Viterbi for B crops x P slot sequences at once: ``scores[b, p]`` is
    the score of the most probable path emitting exactly one class from each slot of
    sequence p, in order (-inf when no path can), ``path(b, p)`` that path.

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
    lengths = np.array([len(slots) for slots in slot_lists])
    num_slots = int(lengths.max())
    width = max(len(ids) for slots in slot_lists for ids in slots)
    # The class of each state (-1: a padding state, which never emits).
    state_class = np.full((num_seqs, num_slots, width), -1, dtype=np.int64)
    for p, slots in enumerate(slot_lists):
        for k, ids in enumerate(slots):
            state_class[p, k, :len(ids)] = ids
    # Arrays are laid out (J, B, P, K): the class axis first, so that the maxima over a
    # slot's classes, taken every frame, run over contiguous blocks.
    classes_first = np.ascontiguousarray(state_class.transpose(2, 0, 1))  # (J, P, K)
    frames_first = np.ascontiguousarray(log_probs.transpose(1, 0, 2))  # (T, B, C)
    # Each state's log-probability at each frame: (T, J, B, P, K).
    state_lp = np.ascontiguousarray(np.where(
        classes_first[:, None] >= 0,
        frames_first[:, :, np.maximum(classes_first, 0)].transpose(0, 2, 1, 3, 4), NEG))
    # Entering slot k + 1 straight from slot k's emit is barred from the one state of
    # slot k with the same class: where that state is, as a flat index into slot k's
    # states with one more, always -inf, class row for "no such state".
    prev, target = classes_first[:, :, :-1], classes_first[:, :, 1:]
    same = (prev[None] == target[:, None]) & (target[:, None] >= 0)  # (J', J, P, K-1)
    same_at = np.where(same.any(axis=1), same.argmax(axis=1), width)  # (J', P, K-1)
    rest = num_crops * num_seqs * (num_slots - 1)
    barred_at = (same_at[:, None] * rest
                 + np.arange(rest).reshape(num_crops, num_seqs, num_slots - 1)[None]).ravel()
    shape = (width, num_crops, num_seqs, num_slots)
    blank_lp = frames_first[:, :, BLANK_INDEX]  # (T, B)
    emit = np.full(shape, NEG, dtype=log_probs.dtype)
    emit[:, :, :, 0] = state_lp[0, :, :, :, 0]
    gap = np.full(shape, NEG, dtype=log_probs.dtype)
    lead = blank_lp[0].copy()  # blanks before the first slot, per crop
    enter = np.full(shape, NEG, dtype=log_probs.dtype)
    padded = np.full((width + 1, num_crops, num_seqs, num_slots - 1), NEG, dtype=log_probs.dtype)
    emits, gaps, leads = [emit], [gap], [lead]
    for t in range(1, num_frames):
        # Entering slot k: from the previous slot's gap (any class; the lead for slot 0),
        # or straight from its emit when the class differs: its best, or its second best
        # (equal to the best on a tie) when the best is the barred state.
        enter[:, :, :, 0] = lead[None, :, None]
        emit_prev = emit[..., :-1]
        gap_best = gap[..., :-1].max(axis=0)
        top1 = emit_prev.max(axis=0)
        at_top = emit_prev == top1
        top2 = np.where(at_top, NEG, emit_prev).max(axis=0)
        top2 = np.where(at_top.sum(axis=0) > 1, top1, top2)
        padded[:width] = emit_prev
        barred = padded.take(barred_at).reshape(width, num_crops, num_seqs, num_slots - 1)
        from_emit = np.where(barred == top1, top2, top1)
        np.maximum(gap_best, from_emit, out=enter[..., 1:])
        new_emit = np.maximum(enter, emit) + state_lp[t]
        gap = np.maximum(gap, emit) + blank_lp[t, None, :, None, None]
        emit = new_emit
        lead = lead + blank_lp[t]
        emits.append(emit)
        gaps.append(gap)
        leads.append(lead)
    ends = np.arange(num_seqs), lengths - 1
    end_scores = np.maximum(emit[:, :, ends[0], ends[1]].max(axis=0),
                            gap[:, :, ends[0], ends[1]].max(axis=0))  # (B, P)
    end_scores[:, lengths > num_frames] = NEG
    return ViterbiLattice(end_scores, emits, gaps, leads, state_class, lengths)
