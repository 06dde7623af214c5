"""Fitting the confidence calibration: knots where the held-out plates meet the targets."""

from __future__ import annotations

from plate_service.recognition.calibration import TARGETS
from training.calibrate import Sample, fit, format_table, lowest_threshold, table_data


def _samples(*pairs: tuple[float, bool]) -> list[Sample]:
    return [Sample(raw, right, "crop") for raw, right in pairs]


def test_the_threshold_is_the_lowest_that_keeps_the_share_and_skips_known_misses() -> None:
    samples = _samples(*[(0.5 + i / 100, True) for i in range(40)], (0.45, False),
                       (0.40, True))
    # 41 of 42 right from 0.40 up would pass 95%, but a miss sits among the least sure.
    assert lowest_threshold(samples, 0.95) == 0.5
    assert lowest_threshold(_samples((0.9, False), (0.8, True)), 0.95) is None


def test_the_fitted_map_meets_both_targets_on_the_samples() -> None:
    samples = _samples(*[(0.3 + i / 200, i % 12 != 0) for i in range(140)])
    calibration = fit(samples, "sha")
    for level, share in TARGETS:
        kept = [s for s in samples if calibration.apply(s.raw) >= level]
        assert sum(s.right for s in kept) >= share * len(kept)
    assert calibration.table["plates"] == 140
    assert all(b > a for a, b in zip(calibration.raw, calibration.raw[1:]))


def test_the_table_counts_plates_of_rotated_scenes_and_rendered_crops_apart() -> None:
    samples = [Sample(0.99, True, "crop"), Sample(0.95, True, "scene"),
               Sample(0.97, False, "rotated"), Sample(0.98, True, "rotated"),
               Sample(0.96, True, "rendered")]
    table = table_data(samples, lambda raw: raw)
    assert (table["crops"], table["scene_plates"], table["rotated_plates"],
            table["rendered_plates"]) == (1, 1, 2, 1)
    assert ("1 from crops, 1 from scenes, 2 from rotated scenes, 1 from rendered crops"
            in format_table(table))
