"""The candidate search's answer without the search, worked out for a whole batch of
crops at once: for the lattices that admit a single reading, that reading."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from plate_service.recognition.candidate_search import (
    MIN_CLASS_PROBABILITY,
    MIN_READING_PROBABILITY,
)
from plate_service.recognition.plate_format import BLANK_INDEX


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
