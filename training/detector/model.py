"""The tiny CenterNet-style plate net, its training targets and its loss (torch)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

STRIDE = 4
# Corner offsets are regressed in units of this many input pixels.
CORNER_SCALE = 32.0
# Heat target inside a plate that is present but unlabelled: below a peak (1.0), high
# enough that the focal loss's negative term ((1 - target)^4) ignores the region.
UNKNOWN_HEAT = 0.99


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class _Block(nn.Module):
    """Depthwise 3x3 + pointwise, residual."""

    def __init__(self, ch: int, dilation: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, 1, dilation, dilation=dilation, groups=ch, bias=False),
            nn.BatchNorm2d(ch), nn.ReLU(inplace=True),
            nn.Conv2d(ch, ch, 1, bias=False), nn.BatchNorm2d(ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


class PlateNet(nn.Module):
    """Input float BGR 0..255 (N,3,H,W); outputs heat (N,1,H/4,W/4) in 0..1, corners (N,8,...)."""

    def __init__(self) -> None:
        super().__init__()
        c1, c2, c3, c4, c5 = 16, 24, 40, 64, 96
        self.stem = nn.Sequential(_conv(3, c1, 2), _conv(c1, c2, 2), _Block(c2))   # /4
        self.s3 = nn.Sequential(_conv(c2, c3, 2), _Block(c3), _Block(c3))          # /8
        self.s4 = nn.Sequential(_conv(c3, c4, 2), _Block(c4), _Block(c4, 2))       # /16
        self.s5 = nn.Sequential(_conv(c4, c5, 2), _Block(c5), _Block(c5, 2))       # /32
        d = 32
        self.l5 = nn.Conv2d(c5, d, 1)
        self.l4 = nn.Conv2d(c4, d, 1)
        self.l3 = nn.Conv2d(c3, d, 1)
        self.l2 = nn.Conv2d(c2, d, 1)
        self.smooth = nn.Sequential(_Block(d), _Block(d))
        self.head = nn.Sequential(_conv(d, d), nn.Conv2d(d, 9, 1))
        last = self.head[1]
        assert isinstance(last, nn.Conv2d) and last.bias is not None
        nn.init.constant_(last.bias[:1], -4.0)  # heat starts near 0 (focal loss)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = x / 127.5 - 1.0
        f2 = self.stem(x)
        f3 = self.s3(f2)
        f4 = self.s4(f3)
        f5 = self.s5(f4)
        p = self.l5(f5)
        p = F.interpolate(p, size=f4.shape[2:], mode="nearest") + self.l4(f4)
        p = F.interpolate(p, size=f3.shape[2:], mode="nearest") + self.l3(f3)
        p = F.interpolate(p, size=f2.shape[2:], mode="nearest") + self.l2(f2)
        out = self.head(self.smooth(F.relu(p)))
        return torch.sigmoid(out[:, :1]), out[:, 1:]


def encode_targets(quads: list[np.ndarray], height: int, width: int,
                   boxes_only: Sequence[np.ndarray] = (), unknown: Sequence[np.ndarray] = (),
                   unknown_heat: float = UNKNOWN_HEAT) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heatmap (1,h,w), corner offsets (8,h,w) and their per-cell weight (1,h,w).

    Each plate peaks at the cell of its box centre with an elliptic Gaussian shaped like
    the plate; corners are supervised on the cells near the centre, each relative to its
    own cell centre, weighted by 1/plate width so small plates count as much as big ones.
    Plates in ``boxes_only`` (a box, not their quad) get the peak but no corner targets;
    the cells of ``unknown`` plates (present, unlabelled) are raised to ``unknown_heat``
    so that the focal loss neither rewards nor punishes a peak there.
    """
    h, w = height // STRIDE, width // STRIDE
    heat = np.zeros((1, h, w), np.float32)
    reg = np.zeros((8, h, w), np.float32)
    weight = np.zeros((1, h, w), np.float32)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for quad in unknown:
        x1, y1 = np.floor(quad.min(axis=0) / STRIDE).astype(int)
        x2, y2 = np.ceil(quad.max(axis=0) / STRIDE).astype(int)
        if x2 < 0 or y2 < 0 or x1 >= w or y1 >= h:
            continue
        region = heat[0, max(y1, 0):max(y2, 0) + 1, max(x1, 0):max(x2, 0) + 1]
        region[...] = np.maximum(region, unknown_heat)
    for quad, corners_known in [(q, True) for q in quads] + [(q, False) for q in boxes_only]:
        x1, y1 = quad[:, 0].min(), quad[:, 1].min()
        x2, y2 = quad[:, 0].max(), quad[:, 1].max()
        cx, cy = (x1 + x2) / 2 / STRIDE, (y1 + y2) / 2 / STRIDE
        bw, bh = (x2 - x1) / STRIDE, (y2 - y1) / STRIDE
        ix, iy = int(np.clip(cx, 0, w - 1)), int(np.clip(cy, 0, h - 1))
        sx, sy = max(0.6, bw / 8), max(0.6, bh / 5)
        g = np.exp(-((xs - ix) ** 2 / (2 * sx ** 2) + (ys - iy) ** 2 / (2 * sy ** 2)))
        heat[0] = np.maximum(heat[0], g)
        heat[0, iy, ix] = 1.0
        if not corners_known:
            continue
        near = (g > 0.6) & (weight[0] == 0)
        near[iy, ix] = True
        cell_x = (xs[near] + 0.5) * STRIDE
        cell_y = (ys[near] + 0.5) * STRIDE
        for k in range(4):
            reg[2 * k][near] = (quad[k, 0] - cell_x) / CORNER_SCALE
            reg[2 * k + 1][near] = (quad[k, 1] - cell_y) / CORNER_SCALE
        weight[0][near] = float(np.clip(CORNER_SCALE / max(x2 - x1, 8.0), 0.1, 4.0))
    return heat, reg, weight


def focal_loss(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss on the heatmap."""
    pred = pred.clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    neg = 1 - pos
    pos_loss = torch.log(pred) * (1 - pred) ** 2 * pos
    neg_loss = torch.log(1 - pred) * pred ** 2 * (1 - gt) ** 4 * neg
    num_pos = pos.sum().clamp(min=1)
    return -(pos_loss.sum() + neg_loss.sum()) / num_pos


def detector_loss(heat: torch.Tensor, corners: torch.Tensor, gt_heat: torch.Tensor,
                  gt_corners: torch.Tensor, gt_weight: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """(heatmap loss, corner loss); corners as smooth L1 over supervised cells."""
    h_loss = focal_loss(heat, gt_heat)
    mask = gt_weight > 0
    per = F.smooth_l1_loss(corners, gt_corners, reduction="none", beta=0.05) * gt_weight
    c_loss = (per * mask).sum() / (mask.sum().clamp(min=1) * 8)
    return h_loss, c_loss
