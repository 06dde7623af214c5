"""The best reading of a CTC output: greedy, and the Viterbi search kept to GOST formats."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from plate_service.recognition.ctc_decoding import (
    PlateDecoding,
    _slot_lists,
    decode_constrained_many,
    decode_greedy,
    decode_plates,
    fit_penalty_bound,
)
from plate_service.recognition.ctc_viterbi import viterbi_many
from plate_service.recognition.plate_format import (
    ALPHABET,
    BLANK_INDEX,
    NUM_CLASSES,
    PlateFormats,
)
from plate_service.recognition.types import PlateFormat
from tests.fakes import ONE_LINE_READER


def probs_for(frames: list[dict[str, float]], alphabet: str = ALPHABET) -> np.ndarray:
    """A (T, C) probability matrix: each frame gives some chars ('-' = blank) a probability;
    the rest of the mass is spread evenly over the other classes."""
    classes = len(alphabet) + 1
    out = np.zeros((len(frames), classes))
    for t, frame in enumerate(frames):
        rest = (1.0 - sum(frame.values())) / (classes - len(frame))
        out[t, :] = rest
        for ch, p in frame.items():
            out[t, BLANK_INDEX if ch == "-" else alphabet.index(ch) + 1] = p
    return out


def clean(text: str) -> list[dict[str, float]]:
    """Frames spelling ``text`` confidently, a blank between characters."""
    frames: list[dict[str, float]] = [{"-": 0.97}]
    for ch in text:
        frames += [{ch: 0.97}, {"-": 0.97}]
    return frames


def decode_plate(probs: np.ndarray, formats: PlateFormats = ONE_LINE_READER) -> PlateDecoding:
    """The decoding of one (T, C) matrix, as the reader decodes a batch of one."""
    (decoded,) = decode_plates(probs[None], formats)
    return decoded


def test_greedy_collapses_repeats_and_blanks() -> None:
    frames = [{"A": 0.9}, {"A": 0.8}, {"-": 0.9}, {"7": 0.6}, {"-": 0.9}, {"7": 0.95}]
    decoded = decode_greedy(probs_for(frames), ALPHABET)
    assert decoded.text_latin == "A77"
    assert decoded.char_confidences == pytest.approx((0.9, 0.6, 0.95))
    assert decoded.confidence == pytest.approx(0.6)


def _reference_greedy(probs: np.ndarray) -> tuple[str, list[float], float]:
    """Best path decoding written the slow, obvious way, frame by frame."""
    text, confs, logp, prev = "", [], 0.0, BLANK_INDEX
    for frame in probs:
        k = int(np.argmax(frame))
        logp += float(np.log(frame[k]))
        if k != BLANK_INDEX and k != prev:
            text += ALPHABET[k - 1]
            confs.append(float(frame[k]))
        elif k != BLANK_INDEX:
            confs[-1] = max(confs[-1], float(frame[k]))
        prev = k
    return text, confs, logp


def test_greedy_matches_frame_by_frame_decoding() -> None:
    rng = np.random.default_rng(5)
    logits = rng.normal(0, 3, (40, 32, NUM_CLASSES))
    logits[:, ::2, BLANK_INDEX] += 2  # plenty of blanks and repeats, like a real model
    probs = (np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)).astype(np.float32)
    greedy = [decode_greedy(p, ALPHABET) for p in probs]
    for decoded, batched, matrix in zip(greedy, decode_plates(probs, ONE_LINE_READER), probs):
        text, confs, logp = _reference_greedy(matrix)
        assert decoded.text_latin == batched.raw_text_latin == text
        assert decoded.char_confidences == pytest.approx(confs)
        assert decoded.log_prob == pytest.approx(logp, rel=1e-5)
        assert batched.frames == (matrix.argmax(axis=1).tolist(), matrix.max(axis=1).tolist())


def test_clean_reading_keeps_greedy_and_format() -> None:
    result = decode_plate(probs_for(clean("C181MB190")))
    assert result.text_latin == "C181MB190"
    assert result.plate_format is PlateFormat.PRIVATE
    assert result.region == "190"
    assert len(result.char_confidences) == 9
    assert min(result.char_confidences) > 0.9


def test_constrained_decoding_fixes_letter_digit_confusion() -> None:
    # The first character looks slightly more like 0 than O: greedy reads "0181MB190",
    # which fits no format; the constrained decoder must pick O, the letter.
    frames = clean("O181MB190")
    frames[1] = {"0": 0.5, "O": 0.45}
    result = decode_plate(probs_for(frames))
    assert result.raw_text_latin == "0181MB190"
    assert result.text_latin == "O181MB190"
    assert result.plate_format is PlateFormat.PRIVATE
    # The forced character is reported with its own (lower) probability.
    assert result.char_confidences[0] == pytest.approx(0.45)
    assert result.confidence < 0.45


def test_constrained_decoding_fixes_invalid_region() -> None:
    # "290" is no region; the second-best first region digit (1) makes it 190.
    frames = clean("C181MB290")
    frames[13] = {"2": 0.5, "1": 0.4}
    result = decode_plate(probs_for(frames))
    assert result.raw_text_latin == "C181MB290"
    assert result.text_latin == "C181MB190"


def test_constrained_decoding_inserts_lost_repeat() -> None:
    # Greedy merges "77" into one 7 (no blank between): 8 chars "A123BC7" + ... here the
    # region "77" collapses to "7", which fits nothing; a blank's second-best mass lets
    # the constrained path split them.
    frames = clean("A123BC") + [{"7": 0.9}, {"7": 0.55, "-": 0.4}, {"7": 0.9}, {"-": 0.97}]
    result = decode_plate(probs_for(frames))
    assert result.raw_text_latin == "A123BC7"
    assert result.text_latin == "A123BC77"


def test_unfixable_reading_is_reported_as_not_matching() -> None:
    # Twelve confident digits: any format would need to drop three and invent letters.
    result = decode_plate(probs_for(clean("123456789012")))
    assert result.plate_format is None
    assert result.region is None
    assert result.text_latin == "123456789012"


def test_viterbi_equals_brute_force_on_a_small_lattice() -> None:
    rng = np.random.default_rng(3)
    num_frames = 4
    logits = rng.normal(size=(num_frames, NUM_CLASSES)) * 2
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    log_probs = np.log(probs)
    slots = [np.array([1, 2]), np.array([1, 3])]  # classes "0"/"1", then "0"/"2"
    lattice = viterbi_many(log_probs[None], [slots])
    score, path = float(lattice.scores[0, 0]), lattice.path(0, 0)
    best = -np.inf
    for cand in itertools.product(range(NUM_CLASSES), repeat=num_frames):
        collapsed = [k for i, k in enumerate(cand) if k != 0 and (i == 0 or cand[i - 1] != k)]
        if len(collapsed) == 2 and collapsed[0] in (1, 2) and collapsed[1] in (1, 3):
            best = max(best, float(sum(log_probs[t, k] for t, k in enumerate(cand))))
    assert score == pytest.approx(best)
    assert float(log_probs[np.arange(num_frames), path].sum()) == pytest.approx(best)


def _brute_force_best(log_probs: np.ndarray, slots: list[np.ndarray]) -> float:
    """The best score of a frame path that collapses to one class of each slot, in order."""
    num_frames, num_classes = log_probs.shape
    best = -np.inf
    for cand in itertools.product(range(num_classes), repeat=num_frames):
        collapsed = [k for i, k in enumerate(cand) if k != 0 and (i == 0 or cand[i - 1] != k)]
        if len(collapsed) == len(slots) and all(c in s for c, s in zip(collapsed, slots)):
            best = max(best, float(sum(log_probs[t, k] for t, k in enumerate(cand))))
    return best


def test_viterbi_equals_brute_force_for_sequences_of_any_length_and_slot_width() -> None:
    # Several sequences at once, of different lengths and slot widths (padded inside),
    # with a class that two neighbouring slots allow (a repeat needs a blank between).
    rng = np.random.default_rng(11)
    sequences = [[np.array([1, 2]), np.array([2])],
                 [np.array([3]), np.array([1, 3, 4]), np.array([5])],
                 [np.array([4, 5])],
                 [np.array([2]), np.array([2]), np.array([1, 2, 3, 4, 5])]]
    for _ in range(3):
        logits = rng.normal(size=(2, 5, 6)) * 2
        log_probs = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
        lattice = viterbi_many(log_probs, sequences)
        for b in range(2):
            for p, slots in enumerate(sequences):
                best = _brute_force_best(log_probs[b], slots)
                score, path = float(lattice.scores[b, p]), lattice.path(b, p)
                assert score == pytest.approx(best)
                assert float(log_probs[b][np.arange(5), path].sum()) == pytest.approx(best)


def test_viterbi_paths_stay_legal_when_every_frame_is_a_tie() -> None:
    # Every class equally likely: each state is reached by many paths of the same score,
    # and the path traced back must still spell one class per slot, a repeated class
    # with a blank between, and score what the forward pass scored.
    log_probs = np.full((1, 6, 4), np.log(0.25))
    sequences = [[np.array([1]), np.array([1]), np.array([1, 2])],
                 [np.array([2, 3]), np.array([2, 3])]]
    lattice = viterbi_many(log_probs, sequences)
    for p, slots in enumerate(sequences):
        path = lattice.path(0, p)
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        assert len(collapsed) == len(slots)
        assert all(c in s for c, s in zip(collapsed, slots))
        assert float(log_probs[0][np.arange(6), path].sum()) == pytest.approx(
            float(lattice.scores[0, p]))


def test_slot_sets_restrict_three_digit_region_start() -> None:
    private_2, private_3 = _slot_lists(ONE_LINE_READER)[:2]
    assert (len(private_2), len(private_3)) == (8, 9)
    assert {ALPHABET[i - 1] for i in private_3[6]} == {"1", "7", "9"}
    assert {ALPHABET[i - 1] for i in private_2[6]} == set("0123456789")


def test_spellings_that_allow_the_same_characters_are_searched_once() -> None:
    # A tractor and a motorcycle plate both spell NNNN LL RR.
    formats = PlateFormats(["3", "4"])
    assert len(formats.spellings) == 2
    assert len(_slot_lists(formats)) == 1


def test_moscows_977_region_is_kept_not_forced_into_another() -> None:
    result = decode_plate(probs_for(clean("A123BC977")))
    assert (result.text_latin, result.region) == ("A123BC977", "977")
    # A doubtful first region digit: the real region 977 beats the non-region 277.
    frames = clean("A123BC277")
    frames[13] = {"2": 0.5, "9": 0.4}
    assert decode_plate(probs_for(frames)).text_latin == "A123BC977"


def test_batched_decoding_equals_one_by_one() -> None:
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(6, 32, NUM_CLASSES)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    fixable = clean("O181MB190")
    fixable[1] = {"0": 0.5, "O": 0.45}
    probs = np.concatenate([probs, probs_for(fixable)[None, :32]
                            if len(fixable) >= 32 else
                            np.pad(probs_for(fixable), ((0, 32 - len(fixable)), (0, 0)),
                                   constant_values=0)[None]])
    batched = decode_plates(probs, ONE_LINE_READER)
    assert batched == [decode_plate(p) for p in probs]


def test_a_card_with_diplomatic_plates_reads_their_latin_d() -> None:
    formats = PlateFormats(["1", "10"])
    frames = clean("123D45677")
    frames[7] = {"D": 0.6, "0": 0.3}  # a D that looks a little like a 0
    result = decode_plate(probs_for(frames, formats.alphabet), formats)
    assert (result.text, result.plate_format, result.region) == (
        "123D45677", PlateFormat.DIPLOMATIC_STAFF, "77")
    # Forced into the format when the greedy reading is a 0 instead of the D.
    frames[7] = {"0": 0.5, "D": 0.4}
    assert decode_plate(probs_for(frames, formats.alphabet), formats).text == "123D45677"


def test_today_s_formats_never_read_a_d() -> None:
    result = decode_plate(probs_for(clean("123045677")))
    assert result.plate_format is None


def _blurred_plates(seed: int, texts: list[str]) -> np.ndarray:
    """(N, 32, C) outputs spelling ``texts`` under noise from faint to overwhelming: some
    read as they are, some fit a format only when forced, some are far from any plate."""
    rng = np.random.default_rng(seed)
    out = []
    for k, text in enumerate(texts):
        frames = probs_for(clean(text))
        frames = np.pad(frames, ((0, 32 - len(frames)), (0, 0)))
        frames[len(clean(text)):, BLANK_INDEX] = 1.0
        noise = rng.dirichlet(np.full(NUM_CLASSES, 0.3), size=32)
        share = (k + 1) / (len(texts) + 1)
        out.append((1 - share) * frames + share * noise)
    return np.array(out)


PLATE_TEXTS = ["A123BC77", "E777KX177", "O001OO99", "M55TT5", "B404HK150", "X999XX999",
               "T300PE02", "K111AM71", "H707YC750", "C181MB190"] * 3


@pytest.mark.parametrize("formats", [ONE_LINE_READER, PlateFormats(["1", "1А", "3", "22"])])
def test_no_reading_that_fits_a_format_beats_the_bound_on_its_penalty(
        formats: PlateFormats) -> None:
    probs = _blurred_plates(11, PLATE_TEXTS)
    bounds = fit_penalty_bound(probs, formats)
    greedy = np.log(np.maximum(probs.astype(np.float32), 1e-30)).max(axis=2).sum(axis=1)
    fitted = decode_constrained_many(probs, formats)
    assert sum(found is not None for found in fitted) >= 10  # the bound is put to the test
    for bound, best, found in zip(bounds, greedy, fitted):
        if found is not None:
            assert best - found[0].log_prob >= bound - 1e-3


def test_readings_that_cannot_be_sure_enough_are_left_unfitted_and_the_rest_kept() -> None:
    probs = _blurred_plates(12, PLATE_TEXTS)
    everything = decode_plates(probs, ONE_LINE_READER)
    kept = decode_plates(probs, ONE_LINE_READER, min_confidence=0.5)
    unfitted = 0
    for full, spared in zip(everything, kept):
        if spared != full:
            unfitted += 1
            assert spared.plate_format is None and spared.text_latin == spared.raw_text_latin
            assert full.plate_format is None or full.confidence < 0.5
    assert unfitted > 0
    # A C held for two frames, the second of which looks more like a 0: forced into the
    # format, it is sure enough to be kept.
    frames = clean("A123BC77")
    frames[12] = {"0": 0.6, "C": 0.35}
    (forced,) = decode_plates(probs_for(frames)[None], ONE_LINE_READER, min_confidence=0.5)
    assert (forced.raw_text_latin, forced.text_latin) == ("A123BC077", "A123BC77")
    assert forced.confidence >= 0.5
