"""Alternative readings: the format-constrained beam search and exact reading probabilities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from plate_service.recognition.ctc_decoding import (
    CtcOutput,
    decode_greedy_many,
    format_beam_search,
    only_readings,
    plate_candidates,
    reading_probability,
)
from plate_service.recognition.plate_format import match_format
from plate_service.recognition.plate_format import ALPHABET, BLANK_INDEX, NUM_CLASSES
from tests.fakes import ctc_matrix


def _collapse(path: tuple[int, ...]) -> str:
    chars, prev = [], BLANK_INDEX
    for k in path:
        if k != BLANK_INDEX and k != prev:
            chars.append(ALPHABET[k - 1])
        prev = k
    return "".join(chars)


def test_reading_probability_is_the_sum_over_every_path_that_spells_it() -> None:
    rng = np.random.default_rng(3)
    classes = [BLANK_INDEX, ALPHABET.index("A") + 1, ALPHABET.index("7") + 1]
    probs = np.zeros((4, NUM_CLASSES))
    probs[:, classes] = rng.dirichlet(np.ones(3), size=4)
    totals: dict[str, float] = {}
    for path in itertools.product(classes, repeat=4):
        text = _collapse(path)
        totals[text] = totals.get(text, 0.0) + float(np.prod(probs[np.arange(4), path]))
    for text in ("A", "AA", "A7A", "7", ""):
        assert reading_probability(probs, text) == pytest.approx(totals.get(text, 0.0))


def test_a_doubtful_digit_gives_two_readings_with_the_models_odds() -> None:
    probs = ctc_matrix("A123BC77", {1: ("7", 0.3)})
    readings = format_beam_search(probs, 10)
    assert [text for text, _ in readings] == ["A123BC77", "A723BC77"]
    for text, probability in readings:
        assert probability == pytest.approx(reading_probability(probs, text), rel=1e-5)
    assert readings[0][1] == pytest.approx(0.7, rel=1e-5)


def test_only_readings_that_fit_a_format_are_listed() -> None:
    # A letter slot cannot hold a digit, nor a region slot a letter.
    probs = ctc_matrix("O123BC77", {0: ("0", 0.4), 7: ("B", 0.45)})
    assert [text for text, _ in format_beam_search(probs, 10)] == ["O123BC77"]


def test_a_repeated_character_needs_a_blank_between() -> None:
    probs = ctc_matrix("A111AA77")
    assert [text for text, _ in format_beam_search(probs, 10)] == ["A111AA77"]
    probs[4] = 0  # the blank between the first two ones becomes a one
    probs[4, ALPHABET.index("1") + 1] = 1
    # The first two ones now merge: A11AA77 fits no format.
    assert format_beam_search(probs, 10) == []


def test_the_reported_text_comes_first_even_when_another_reading_is_likelier() -> None:
    probs = ctc_matrix("A123BC77", {1: ("7", 0.6)})
    candidates = plate_candidates(CtcOutput(probs), "A123BC77", 3)
    assert [text for text, _ in candidates] == ["A123BC77", "A723BC77"]
    assert candidates[0][1] == pytest.approx(0.4, rel=1e-5)


def test_candidates_stop_at_the_asked_number() -> None:
    probs = ctc_matrix("A123BC77", {1: ("7", 0.3), 2: ("7", 0.3), 3: ("8", 0.3)})
    assert len(plate_candidates(CtcOutput(probs), "A123BC77", 3)) == 3
    assert len(plate_candidates(CtcOutput(probs), "A123BC77", 10)) == 8


def test_a_977_region_is_a_candidate() -> None:
    probs = ctc_matrix("A123BC977", {6: ("7", 0.3)})
    assert [text for text, _ in format_beam_search(probs, 10)] == ["A123BC977", "A123BC777"]


def _boundary_lattice(rng: np.random.Generator, text: str) -> np.ndarray:
    """``text`` spelled in runs of 1-3 frames with blank runs between, where frames at a
    run's edge may also offer the neighbouring class (a blank, or the run's character)
    with probabilities around the search's 1% thresholds."""
    classes: list[int] = []
    for char in text:
        classes += [BLANK_INDEX] * int(rng.integers(1, 3))
        classes += [ALPHABET.index(char) + 1] * int(rng.integers(1, 4))
    classes += [BLANK_INDEX]
    probs = np.full((len(classes), NUM_CLASSES), 1e-4)
    probs[np.arange(len(classes)), classes] = 1.0
    last = -2
    for t in range(1, len(classes) - 1):
        if classes[t - 1] != classes[t + 1] and t > last + 1 and rng.random() < 0.5:
            neighbour = classes[t - 1] if classes[t - 1] != classes[t] else classes[t + 1]
            probs[t, neighbour] = rng.choice([0.003, 0.012, 0.02, 0.05, 0.4, 0.9])
            last = t
    return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)


def _only(batch: np.ndarray) -> list[list[tuple[str, float]] | None]:
    greedy = [d.text_latin for d in decode_greedy_many(batch)]
    return only_readings(batch, greedy, [match_format(text) is not None for text in greedy])


def test_a_lattice_that_only_moves_character_boundaries_needs_no_search() -> None:
    rng = np.random.default_rng(7)
    texts = ["A123BC77", "E777KX99", "M245TP163", "X999XX999", "B001BB01"]
    lattices = [_boundary_lattice(rng, text) for text in texts for _ in range(40)]
    known = 0
    for lattice in lattices:
        (found,) = _only(lattice[None])
        if found is not None:
            known += 1
            search = format_beam_search(lattice, 10)
            assert [text for text, _ in found] == [text for text, _ in search]
            assert [p for _, p in found] == pytest.approx([p for _, p in search], rel=1e-9)
    assert known > 150  # most of these lattices are simple


def test_a_doubled_character_or_a_rival_character_needs_the_search() -> None:
    # The blank between the two 7s also offers a 7: one path spells a single 7.
    doubled = ctc_matrix("A123BC77")
    gap = 2 * len("A123BC7")
    doubled[gap] = 0.0
    doubled[gap, [BLANK_INDEX, ALPHABET.index("7") + 1]] = (0.6, 0.4)
    rival = ctc_matrix("A123BC77", {3: ("8", 0.3)})
    assert _only(np.stack([doubled, rival])) == [None, None]
    clean = ctc_matrix("A123BC77")
    assert _only(clean[None]) == [[("A123BC77", 1.0)]]
    assert _only(ctc_matrix("A123B")[None]) == [[]]  # one reading, but no plate


def test_candidates_from_the_shortcut_equal_the_searched_ones() -> None:
    lattice = _boundary_lattice(np.random.default_rng(3), "C181MB190")
    (found,) = _only(lattice[None])
    assert found is not None
    shortcut = plate_candidates(CtcOutput(lattice, found), "C181MB190")
    searched = plate_candidates(CtcOutput(lattice), "C181MB190")
    assert [text for text, _ in shortcut] == [text for text, _ in searched] == ["C181MB190"]
    # The same products, multiplied in another order: equal to the last bits.
    assert shortcut[0][1] == pytest.approx(searched[0][1], rel=1e-12)


def test_the_decoders_greedy_frames_leave_the_search_unchanged() -> None:
    # Rivals just above and just below the probability a class needs to be searched, a
    # doubled character, and lattices whose boundaries move: the search reads the frames
    # the greedy path is sure of from the decoder, and the others from the lattice.
    rng = np.random.default_rng(11)
    lattices = [ctc_matrix("A123BC77", {2: ("8", 0.0105)}),
                ctc_matrix("A123BC77", {2: ("8", 0.0095)}),
                ctc_matrix("A123BC177", {1: ("7", 0.4), 8: ("1", 0.2)})]
    lattices += [_boundary_lattice(rng, text)
                 for text in ("A123BC77", "E777KX99", "X999XX999") for _ in range(30)]
    for lattice in lattices:
        (greedy,) = decode_greedy_many(lattice[None])
        assert greedy.frames is not None
        assert format_beam_search(lattice, 10, greedy.frames) == format_beam_search(lattice, 10)
    assert len(format_beam_search(lattices[0], 10)) == 2  # the rival at 0.0105 is searched
    assert len(format_beam_search(lattices[1], 10)) == 1  # the one at 0.0095 is not
