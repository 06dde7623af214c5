"""The synthetic plate generator: deterministic per seed, valid texts, plausible images."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from plate_service.recognition import plate_lines
from plate_service.recognition.plate_format import PlateFormats
from plate_service.recognition.plate_types import by_name, plate_types
from plate_service.recognition.preprocess import preprocess_crop
from plate_service.recognition.types import PlateFormat
from training.ocr.data import augment_real, drawn_types
from training.synth import plate as synth_plate
from training.synth.plate import (FORMAT_WEIGHTS, PROVIDER_SIZE, TYPE_1_SHARE, format_weights,
                                  make_sample, make_samples, random_text, rotate_points)
from training.synth.plate_layout import reading_order_text
from training.synth.scene import render_car_scene

# The formats of the types the synthetic data draws, in the card's order.
DRAWN = PlateFormats([by_name(plate_format.value).gost_type for plate_format in FORMAT_WEIGHTS])


def test_same_seed_same_sample() -> None:
    a, b = make_sample((7, 3)), make_sample((7, 3))
    assert a.text_latin == b.text_latin
    assert np.array_equal(a.image, b.image)


def test_different_seeds_differ() -> None:
    a, b = make_sample((7, 3)), make_sample((7, 4))
    assert a.text_latin != b.text_latin or not np.array_equal(a.image, b.image)


def test_chunks_match_one_run() -> None:
    whole = make_samples(5, 6)
    parts = make_samples(5, 3) + make_samples(5, 3, start=3)
    assert [s.text_latin for s in whole] == [s.text_latin for s in parts]
    assert all(np.array_equal(x.image, y.image) for x, y in zip(whole, parts))


@pytest.mark.parametrize("plate_format", list(FORMAT_WEIGHTS))
def test_random_text_fits_its_format(plate_format: PlateFormat) -> None:
    row = by_name(plate_format.value)
    rng = np.random.default_rng(0)
    for _ in range(50):
        text = reading_order_text(row, random_text(rng, plate_format))
        assert PlateFormats([row.gost_type]).match(text) is not None, text


def test_the_data_draws_every_type_of_the_table_and_type_1_most() -> None:
    assert [by_name(f.value) for f in FORMAT_WEIGHTS] == list(plate_types())
    assert sum(FORMAT_WEIGHTS.values()) == pytest.approx(1.0)
    assert max(FORMAT_WEIGHTS, key=FORMAT_WEIGHTS.__getitem__) is PlateFormat.PRIVATE
    assert FORMAT_WEIGHTS[PlateFormat.PRIVATE] == TYPE_1_SHARE


def test_every_type_appears_in_a_few_hundred_samples() -> None:
    drawn = Counter(s.plate_format for s in make_samples(21, 300))
    assert set(drawn) == set(FORMAT_WEIGHTS)
    assert drawn.most_common(1)[0][0] is PlateFormat.PRIVATE


def test_the_alphabet_holds_the_latin_d_of_diplomatic_plates() -> None:
    alphabet = PlateFormats([row.gost_type for row in drawn_types()]).alphabet
    assert alphabet == DRAWN.alphabet
    assert "D" in alphabet and "T" in alphabet


def test_a_mix_of_some_types_draws_only_those_in_their_relative_shares() -> None:
    weights = format_weights(("1", "20"))
    assert [row.gost_type for row in drawn_types(weights)] == ["1", "20"]
    assert weights[PlateFormat.PRIVATE] / weights[PlateFormat.POLICE] == \
        FORMAT_WEIGHTS[PlateFormat.PRIVATE] / FORMAT_WEIGHTS[PlateFormat.POLICE]
    drawn = {make_sample((5, i), weights=weights).plate_format for i in range(60)}
    assert drawn == {PlateFormat.PRIVATE, PlateFormat.POLICE}


def test_a_two_line_sample_has_its_lines_side_by_side_as_the_service_cuts_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The image is what ``plate_lines.side_by_side`` made of the two-line crop (the
    function the service cuts with), and the label reads the top line first: on type 4А
    the region, printed on the top line, comes before the digits."""
    made: list[tuple[np.ndarray, int]] = []

    def spy(plate: np.ndarray, lines: int) -> np.ndarray:
        made.append((plate_lines.side_by_side(plate, lines), lines))
        return made[-1][0]

    monkeypatch.setattr(synth_plate, "side_by_side", spy)
    monkeypatch.setattr(synth_plate, "random_text", lambda rng, f: "AB123477")
    sample = make_sample((4, 0), weights={PlateFormat.OFFROAD_MOTORCYCLE: 1.0})
    assert sample.lines == 2 and made[-1][1] == 2
    assert sample.image is made[-1][0]
    assert sample.text_latin == "AB771234"
    h, w = sample.image.shape[:2]
    assert w / h > 2 * by_name("offroad_motorcycle").aspect  # two lines, end to end


def test_samples_are_valid_crops_of_both_styles() -> None:
    samples = make_samples(11, 40)
    styles = {s.style for s in samples}
    assert styles == {"provider", "photo"}
    for s in samples:
        assert DRAWN.only(s.lines).match(s.text_latin) is not None, s.text_latin
        assert s.image.dtype == np.uint8
        h, w = s.image.shape[:2]
        if s.style == "provider":
            assert (w, h) == PROVIDER_SIZE and s.image.ndim == 2
        else:
            assert 12 <= h <= 250 and 1.2 < w / h < 8.0, (h, w)
        # The plate is not blank: there is ink on it.
        assert float(s.image.std()) > 5
        assert preprocess_crop(s.image).shape == (1, 32, 128)


def test_rotate_points_turns_about_the_centre() -> None:
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2]], dtype=np.float64)
    turned = rotate_points(square, 90)
    assert np.allclose(turned.mean(axis=0), [1, 1])
    # Image coordinates (y down): +90 degrees takes the top-left corner to the top-right.
    assert np.allclose(turned[0], [2, 0])
    assert np.allclose(rotate_points(square, 0), square)


def test_real_crop_augmentation_keeps_a_readable_plate_of_any_tilt() -> None:
    """Every augmented copy (tilted, clipped, darkened or not) is a non-empty uint8 image
    that preprocesses to the model input; the tilted ones grow to hold the turned plate."""
    plate = next(s.image for s in make_samples(3, 10) if s.image.ndim == 3)  # BGR, as loaded
    rng = np.random.default_rng(0)
    copies = [augment_real(rng, plate) for _ in range(60)]
    for copy in copies:
        assert copy.dtype == np.uint8 and copy.size > 0
        assert float(copy.std()) > 5
        assert preprocess_crop(copy).shape == (1, 32, 128)
    aspects = [c.shape[1] / c.shape[0] for c in copies]
    assert min(aspects) < 0.8 * float(np.median(aspects))  # some copies were turned


def test_the_docs_car_scene_is_fixed_by_its_seed_and_holds_its_plate() -> None:
    image, corners = render_car_scene(seed=3)
    again, _ = render_car_scene(seed=3)
    assert image.shape == (600, 800, 3) and np.array_equal(image, again)
    assert (corners >= 0).all() and (corners[:, 0] < 800).all() and (corners[:, 1] < 600).all()
    x1, y1 = corners.min(axis=0).astype(int)
    x2, y2 = corners.max(axis=0).astype(int)
    plate = image[y1 + 8:y2 - 8, x1 + 8:x2 - 8]
    bumper = image[y1 + 8:y2 - 8, x1 - 60:x1 - 20]  # beside the plate
    assert plate.mean() > bumper.mean() + 40  # the light plate, on the dark red bumper
    assert plate.std() > 30  # with dark characters on it
