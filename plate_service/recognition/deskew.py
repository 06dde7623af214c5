"""The slant left on a plate cut from a photo: how far its upright strokes lean.

A plate seen from the side, or rolled, is cut by four detected corners; when those are a
little off (the detector learnt real plates' corners from axis-aligned boxes), the cut
plate comes out italic: its digits lean by up to 20-25 degrees, and the OCR, trained on
upright glyphs, reads a leaning 8 as 9 and X as Y. A plate's glyphs are mostly upright
strokes, so the shear that makes them upright is the one under which the columns of the
cut are most unequal in vertical-edge strength (strokes stacked in few columns, gaps in
the others). The rectify stage folds the opposite shear into its cut (``rectify.cut_plate``).
"""

from __future__ import annotations

import cv2
import numpy as np

from plate_service.recognition.geometry import shear_matrix

# Shears tried, as horizontal shift per unit of height from the middle line (+-0.5 is
# +-26.6 degrees), and the smallest worth undoing: below it the cut is left as it is.
SHEARS = tuple(float(s) for s in np.linspace(-0.5, 0.5, 11))
MIN_SHEAR = 0.05
# The cut is measured at this size (half the rectified plate): enough for the strokes,
# and the 11 trials cost 0.3-0.5 ms per plate on 1 thread (under half of one OCR read).
PROBE_SIZE = (130, 28)
# Rows left out at the top and bottom of the probe: the plate's frame, not its glyphs.
PROBE_MARGIN = 3


def upright_shear(cut: np.ndarray) -> float:
    """The shear (one of SHEARS) that makes the cut's strokes upright; 0.0 when that is
    under MIN_SHEAR. Apply it with ``geometry.shear_matrix`` (it is the correction, not the
    slant)."""
    gray = cv2.cvtColor(cut, cv2.COLOR_BGR2GRAY) if cut.ndim == 3 else cut
    probe = cv2.resize(gray, PROBE_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
    height = PROBE_SIZE[1]
    # A shear only slides rows sideways, so it moves the horizontal gradient with them:
    # the edges are found once and sheared, not found again per shear. OpenCV's own
    # reductions: this runs for every plate found, where numpy's per-call cost shows.
    edges = np.abs(cv2.Sobel(probe, cv2.CV_32F, 1, 0, ksize=3))
    best_shear, best_spread = 0.0, -1.0
    for shear, matrix in zip(SHEARS, _PROBE_SHEARS):
        sheared = cv2.warpAffine(edges, matrix, PROBE_SIZE,
                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        columns = cv2.reduce(sheared[PROBE_MARGIN:height - PROBE_MARGIN], 0, cv2.REDUCE_SUM)
        spread = float(cv2.meanStdDev(columns)[1][0, 0])
        if spread > best_spread:
            best_shear, best_spread = shear, spread
    return best_shear if abs(best_shear) >= MIN_SHEAR else 0.0


_PROBE_SHEARS = [shear_matrix(shear, PROBE_SIZE[1])[:2] for shear in SHEARS]
