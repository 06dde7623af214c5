"""The candidate search's answer without the search, for lattices that admit one reading."""

from __future__ import annotations

import numpy as np
import pytest

from plate_service.recognition.candidate_search import format_beam_search, plate_candidates
from plate_service.recognition.ctc_decoding import decode_greedy
from plate_service.recognition.plate_format import ALPHABET, BLANK_INDEX
from plate_service.recognition.search_shortcut import only_readings
from tests.fakes import ONE_LINE_READER, boundary_lattice, ctc_matrix, ctc_output


def _only(batch: np.ndarray) -> list[list[tuple[str, float]] | None]:
    greedy = [decode_greedy(lattice, ALPHABET).text_latin for lattice in batch]
    return only_readings(batch, greedy,
                         [ONE_LINE_READER.match(text) is not None for text in greedy])


def test_a_lattice_that_only_moves_character_boundaries_needs_no_search() -> None:
    rng = np.random.default_rng(7)
    texts = ["A123BC77", "E777KX99", "M245TP163", "X999XX999", "B001BB01"]
    lattices = [boundary_lattice(rng, text) for text in texts for _ in range(40)]
    known = 0
    for lattice in lattices:
        (found,) = _only(lattice[None])
        if found is not None:
            known += 1
            search = format_beam_search(lattice, ctc_output(lattice).greedy, ONE_LINE_READER, 10)
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
    lattice = boundary_lattice(np.random.default_rng(3), "C181MB190")
    (found,) = _only(lattice[None])
    assert found is not None
    shortcut = plate_candidates(ctc_output(lattice, found), "C181MB190")
    searched = plate_candidates(ctc_output(lattice), "C181MB190")
    assert [text for text, _ in shortcut] == [text for text, _ in searched] == ["C181MB190"]
    # The same products, multiplied in another order: equal to the last bits.
    assert shortcut[0][1] == pytest.approx(searched[0][1], rel=1e-12)
