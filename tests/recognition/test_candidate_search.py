"""Alternative readings: the format-constrained beam search and exact reading probabilities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from plate_service.recognition.candidate_search import (
    format_beam_search,
    plate_candidates,
    reading_probability,
)
from plate_service.recognition.plate_format import ALPHABET, BLANK_INDEX, NUM_CLASSES
from tests.fakes import ONE_LINE_READER, boundary_lattice, ctc_matrix, ctc_output


def _collapse(path: tuple[int, ...]) -> str:
    chars, prev = [], BLANK_INDEX
    for k in path:
        if k != BLANK_INDEX and k != prev:
            chars.append(ALPHABET[k - 1])
        prev = k
    return "".join(chars)


def _search(probs: np.ndarray) -> list[tuple[str, float]]:
    """Up to ten readings, searched as for a plate the reader reported."""
    return format_beam_search(probs, ctc_output(probs).greedy, ONE_LINE_READER, 10)


def test_reading_probability_is_the_sum_over_every_path_that_spells_it() -> None:
    rng = np.random.default_rng(3)
    classes = [BLANK_INDEX, ALPHABET.index("A") + 1, ALPHABET.index("7") + 1]
    probs = np.zeros((4, NUM_CLASSES))
    probs[:, classes] = rng.dirichlet(np.ones(3), size=4)
    totals: dict[str, float] = {}
    for path in itertools.product(classes, repeat=4):
        text = _collapse(path)
        totals[text] = totals.get(text, 0.0) + float(np.prod(probs[np.arange(4), path]))
    for text in ("A", "AA", "A7A", "7", "77A7A"):
        assert reading_probability(probs, text, ALPHABET) == pytest.approx(totals.get(text, 0.0))


def test_a_doubtful_digit_gives_two_readings_with_the_models_odds() -> None:
    probs = ctc_matrix("A123BC77", {1: ("7", 0.3)})
    readings = _search(probs)
    assert [text for text, _ in readings] == ["A123BC77", "A723BC77"]
    for text, probability in readings:
        assert probability == pytest.approx(reading_probability(probs, text, ALPHABET), rel=1e-5)
    assert readings[0][1] == pytest.approx(0.7, rel=1e-5)


def test_only_readings_that_fit_a_format_are_listed() -> None:
    # A letter slot cannot hold a digit, nor a region slot a letter.
    probs = ctc_matrix("O123BC77", {0: ("0", 0.4), 7: ("B", 0.45)})
    assert [text for text, _ in _search(probs)] == ["O123BC77"]


def test_a_repeated_character_needs_a_blank_between() -> None:
    probs = ctc_matrix("A111AA77")
    assert [text for text, _ in _search(probs)] == ["A111AA77"]
    probs[4] = 0  # the blank between the first two ones becomes a one
    probs[4, ALPHABET.index("1") + 1] = 1
    # The first two ones now merge: A11AA77 fits no format.
    assert _search(probs) == []


def test_the_reported_text_comes_first_even_when_another_reading_is_likelier() -> None:
    probs = ctc_matrix("A123BC77", {1: ("7", 0.6)})
    candidates = plate_candidates(ctc_output(probs), "A123BC77", 3)
    assert [text for text, _ in candidates] == ["A123BC77", "A723BC77"]
    assert candidates[0][1] == pytest.approx(0.4, rel=1e-5)


def test_candidates_stop_at_the_asked_number() -> None:
    probs = ctc_matrix("A123BC77", {1: ("7", 0.3), 2: ("7", 0.3), 3: ("8", 0.3)})
    assert len(plate_candidates(ctc_output(probs), "A123BC77", 3)) == 3
    assert len(plate_candidates(ctc_output(probs), "A123BC77", 10)) == 8


def test_a_977_region_is_a_candidate() -> None:
    probs = ctc_matrix("A123BC977", {6: ("7", 0.3)})
    assert [text for text, _ in _search(probs)] == ["A123BC977", "A123BC777"]


def test_a_rival_class_is_searched_from_one_percent_on() -> None:
    assert len(_search(ctc_matrix("A123BC77", {2: ("8", 0.0105)}))) == 2
    assert len(_search(ctc_matrix("A123BC77", {2: ("8", 0.0095)}))) == 1


def test_the_frames_the_greedy_path_is_sure_of_need_not_be_read() -> None:
    # The search reads from the lattice only the frames whose greedy class is less than
    # sure; reading every frame (no frame claimed sure) must find the same readings.
    rng = np.random.default_rng(11)
    lattices = [ctc_matrix("A123BC77", {2: ("8", 0.0105)}),
                ctc_matrix("A123BC77", {2: ("8", 0.0095)}),
                ctc_matrix("A123BC177", {1: ("7", 0.4), 8: ("1", 0.2)})]
    lattices += [boundary_lattice(rng, text)
                 for text in ("A123BC77", "E777KX99", "X999XX999") for _ in range(30)]
    for lattice in lattices:
        path, best = ctc_output(lattice).greedy
        every_frame_read = format_beam_search(lattice, (path, [0.0] * len(best)),
                                              ONE_LINE_READER, 10)
        assert _search(lattice) == every_frame_read
