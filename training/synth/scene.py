"""A drawn car photo carrying one of our rendered plates: pictures for the docs, no real data.

``python -m training.synth.scene OUT.png`` writes one; ``make docs-images`` reads it with
the bundled models and draws what they found (docs/example-car.jpg, shown in docs/api.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from plate_service.recognition.types import PlateFormat
from training.synth.plate import render_plate

DEFAULT_TEXT = "A521MP97"
DEFAULT_SIZE = (800, 600)


def _vertical_gradient(height: int, width: int, top: tuple[int, int, int],
                       bottom: tuple[int, int, int]) -> np.ndarray:
    weights = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = (1 - weights) * np.array(top, np.float32) + weights * np.array(bottom, np.float32)
    return np.repeat(column, width, axis=1)


def render_car_scene(seed: int = 3, text_latin: str = DEFAULT_TEXT,
                     size: tuple[int, int] = DEFAULT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """A BGR photo of a car's front (street, body, lights, grille) and its plate's corners.

    The plate is ``render_plate``'s, warped onto the bumper with a little yaw, as a
    camera to one side of the car would see it. Corners run TL, TR, BR, BL.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    horizon = int(height * 0.45)
    scene = np.empty((height, width, 3), np.float32)
    scene[:horizon] = _vertical_gradient(horizon, width, (235, 205, 170), (215, 200, 190))
    scene[horizon:] = _vertical_gradient(height - horizon, width, (110, 110, 112), (70, 72, 75))
    for x in range(0, width, 90):  # a fence behind the car
        cv2.rectangle(scene, (x, horizon - 70), (x + 12, horizon), (90, 100, 105), -1)
    cv2.rectangle(scene, (0, horizon - 60), (width, horizon - 52), (90, 100, 105), -1)

    cx = width // 2
    body = (40, 40, 150)  # dark red, BGR
    roof = np.array([[cx - 170, int(height * 0.22)], [cx + 170, int(height * 0.22)],
                     [cx + 245, int(height * 0.42)], [cx - 245, int(height * 0.42)]], np.int32)
    cv2.fillConvexPoly(scene, roof, body, cv2.LINE_AA)
    glass = np.array([[cx - 150, int(height * 0.25)], [cx + 150, int(height * 0.25)],
                      [cx + 215, int(height * 0.40)], [cx - 215, int(height * 0.40)]], np.int32)
    cv2.fillConvexPoly(scene, glass, (70, 60, 50), cv2.LINE_AA)
    top, bottom = int(height * 0.42), int(height * 0.78)
    for wheel_x in (cx - 235, cx + 235):
        cv2.rectangle(scene, (wheel_x - 38, bottom - 20), (wheel_x + 38, bottom + 45),
                      (25, 25, 25), -1)
    cv2.rectangle(scene, (cx - 290, top), (cx + 290, bottom), body, -1)
    cv2.rectangle(scene, (cx - 300, bottom - 75), (cx + 300, bottom), (35, 35, 120), -1)
    for side in (-1, 1):  # headlights
        x0 = cx + side * 215
        cv2.ellipse(scene, (x0, top + 55), (58, 26), 0, 0, 360, (215, 225, 230), -1,
                    cv2.LINE_AA)
        cv2.ellipse(scene, (x0, top + 55), (58, 26), 0, 0, 360, (60, 60, 60), 3, cv2.LINE_AA)
    cv2.rectangle(scene, (cx - 130, top + 30), (cx + 130, top + 90), (30, 30, 30), -1)
    for y in range(top + 38, top + 90, 10):  # grille slats
        cv2.line(scene, (cx - 125, y), (cx + 125, y), (85, 85, 85), 3)
    cv2.circle(scene, (cx, top + 60), 13, (190, 190, 190), -1, cv2.LINE_AA)

    plate = render_plate(rng, text_latin, PlateFormat.PRIVATE, scale=0.5)
    plate_h, plate_w = plate.shape[:2]
    left, right = cx - 118, cx + 118
    y_top, y_bottom = bottom - 64, bottom - 12
    yaw = 5  # px: the right edge is a little nearer, so a little taller
    corners = np.array([[left, y_top + 2], [right, y_top - yaw + 2],
                        [right, y_bottom + yaw - 2], [left, y_bottom - 2]], np.float32)
    frame = corners + np.array([[-5, -5], [5, -5], [5, 5], [-5, 5]], np.float32)
    cv2.fillConvexPoly(scene, frame.astype(np.int32), (20, 20, 20), cv2.LINE_AA)
    source = np.array([[0, 0], [plate_w, 0], [plate_w, plate_h], [0, plate_h]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(plate, matrix, (width, height), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((plate_h, plate_w), np.float32), matrix,
                               (width, height))[..., None]
    scene = scene * (1 - mask) + warped * mask

    scene = cv2.GaussianBlur(scene, (3, 3), 0.8)
    scene += rng.normal(0, 3.0, scene.shape).astype(np.float32)
    return np.clip(scene, 0, 255).astype(np.uint8), corners


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="image file to write (PNG keeps it lossless)")
    parser.add_argument("--text", default=DEFAULT_TEXT, help="Latin plate text (private)")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    image, _ = render_car_scene(args.seed, args.text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.out), image):
        parser.error(f"cannot write {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
