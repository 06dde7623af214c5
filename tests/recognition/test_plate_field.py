"""A crop with no blue in it is read as no blue plate, a dark plate's rows come first on a
dark plate and a light plate's on a light one; a grey crop may be any colour; only a cut
filled with blue is mostly blue."""

from __future__ import annotations

import cv2
import numpy as np

from plate_service.recognition.plate_field import (
    ANY_FIELD,
    LIGHT_FIELDS,
    NOT_BLUE,
    mostly_blue,
    possible_fields,
)

# BGR fields and inks of the table's colours, as a camera by day shows them.
# White film is a little warm in daylight; a perfectly grey crop is judged as grey.
WHITE, BLACK_INK = (222, 232, 240), (30, 30, 30)
POLICE_BLUE, WHITE_INK = (160, 70, 20), (240, 240, 240)
YELLOW = (30, 200, 235)
MILITARY_BLACK = (30, 28, 25)
CAR_BLUE = (170, 90, 30)


def plate(field: tuple[int, int, int], ink: tuple[int, int, int], h: int = 56,
          w: int = 260) -> np.ndarray:
    """A plate crop: ``field`` with four characters' worth of ``ink`` strokes."""
    image = np.full((h, w, 3), field, np.uint8)
    for k in range(6):
        x = 20 + k * 38
        cv2.rectangle(image, (x, 12), (x + 8, h - 12), ink, -1)
        cv2.rectangle(image, (x, 12), (x + 24, 18), ink, -1)
    return image


def test_white_and_yellow_plates_cannot_be_blue_ones_and_are_light_first() -> None:
    for field in (WHITE, YELLOW):
        fields = possible_fields(plate(field, BLACK_INK))
        assert set(fields) == set(NOT_BLUE)
        assert set(fields[:2]) == LIGHT_FIELDS == {"white", "yellow"}
    assert set(ANY_FIELD) - set(NOT_BLUE) == {"blue"}


def test_a_black_plate_is_dark_first() -> None:
    # Black film is as grey as a grey camera's frame: blue is not ruled out.
    fields = possible_fields(plate(MILITARY_BLACK, WHITE_INK))
    assert set(fields[-2:]) == LIGHT_FIELDS and "black" in fields[:3]


def test_a_blue_plate_may_be_blue_by_day_at_dusk_and_dirty() -> None:
    day = plate(POLICE_BLUE, WHITE_INK)
    dirt = np.linspace(1.0, 0.5, day.shape[1], dtype=np.float32)[None, :, None]
    for seen in (day, (day * 0.3).astype(np.uint8), (day * dirt).astype(np.uint8)):
        fields = possible_fields(seen)
        assert set(fields) == set(ANY_FIELD) and "white" not in fields[:3]


def test_a_grey_crop_may_be_any_plate_light_or_dark_first_as_it_looks() -> None:
    for field, ink, first in ((POLICE_BLUE, WHITE_INK, "blue"), (WHITE, BLACK_INK, "white")):
        grey = cv2.cvtColor(plate(field, ink), cv2.COLOR_BGR2GRAY)
        for seen in (grey, cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)):
            fields = possible_fields(seen)
            assert set(fields) == set(ANY_FIELD) and fields[0] == first


def test_a_white_plate_cut_loose_from_a_blue_car_is_still_no_blue_plate() -> None:
    car = np.full((90, 330, 3), CAR_BLUE, np.uint8)
    car[17:73, 35:295] = plate(WHITE, BLACK_INK)
    assert possible_fields(car)[:2] == ("white", "yellow")
    assert "blue" not in possible_fields(car)


def test_a_police_plate_is_mostly_blue_by_day_and_at_dusk() -> None:
    day = plate(POLICE_BLUE, WHITE_INK)
    assert mostly_blue(day) and mostly_blue((day * 0.3).astype(np.uint8))


def test_white_plates_grey_crops_and_a_blue_car_round_a_white_plate_are_not_mostly_blue(
        ) -> None:
    car = np.full((90, 330, 3), CAR_BLUE, np.uint8)
    car[17:73, 35:295] = plate(WHITE, BLACK_INK)
    grey = cv2.cvtColor(plate(POLICE_BLUE, WHITE_INK), cv2.COLOR_BGR2GRAY)
    for cut in (plate(WHITE, BLACK_INK), plate(YELLOW, BLACK_INK), car, grey,
                cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)):
        assert not mostly_blue(cut)
    assert not mostly_blue(np.zeros((2, 2, 3), np.uint8))  # too small to judge
