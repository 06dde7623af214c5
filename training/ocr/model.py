"""A compact CNN + CTC plate recogniser: gray 32x128 in, 32 x ``subframes`` frames of 23
class scores out.

Convolutions only (no recurrence): plates are short, position-structured strings, a wide
receptive field of stacked 3x3 convs sees a whole character and its neighbours, and a
pure-conv graph runs fastest under onnxruntime on a CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from plate_service.recognition.plate_format import NUM_CLASSES


PADDING_MODES = ("zeros", "replicate", "halo")
# Input pixels each side that the width-unpadded ("halo") conv stack consumes: 1 (first
# conv) + 2 (second, at 1/2 width) + 3 x 4 (three convs at 1/4 width).
HALO = 15


def _block(cin: int, cout: int, padding_mode: str = "zeros") -> nn.Sequential:
    if padding_mode == "halo":
        conv = nn.Conv2d(cin, cout, 3, padding=(1, 0), bias=False)
    else:
        conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False, padding_mode=padding_mode)
    return nn.Sequential(conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class PlateOcrNet(nn.Module):
    """(N, 1, 32, 128) -> (N, 32 * subframes, NUM_CLASSES) softmax probabilities over CTC
    classes.

    The backbone sees the plate in 32 columns of 4 input pixels, but a region digit is only
    ~8 pixels wide at this input size, and CTC must put a blank between two equal
    characters: "777" needs at least 5 frames where its digits span ~6 columns, and the
    region "77" or "777" can come out one digit short. With ``subframes`` > 1 the head emits
    that many frames per column (a 1x1 conv with ``subframes`` x the classes, unfolded
    along time), which costs almost nothing and gives CTC room for repeats. It learnt
    slower in 3,400 steps than the single-frame head (models/README.md), so the shipped
    model uses 1.

    ``padding_mode`` decides what the convolutions see beyond the left and right edges.
    Zero padding ("zeros") tells a conv net where the image border is, and about half of
    the trainings with it came out position-tied: the first letter emitted at frame 0
    wherever it stands, misread on loose crops (models/README.md "Session 7").
    "replicate" pads every convolution with edge pixels; neither of two seeds came out
    tied, but each Pad node breaks onnxruntime's blocked-layout conv chain (a layout
    reorder around every conv): about 20 % fewer crops/s at batch 64. "halo" (the
    default recipe since session 8) gives the same blindness to the border for ~7 % more
    conv work and no reorders: the input is padded once with
    ``HALO`` edge columns each side and the 2-D convs pad only in height, so each conv
    eats one column each side at its scale and the stack ends at exactly 32 columns; only
    the small 1-D context conv at the end pads with edge columns.

    Softmax is inside the graph so the ONNX output is directly usable for decoding; the
    training loss uses ``logits`` instead for numerical stability.
    """

    def __init__(self, width: int = 1, subframes: int = 1, padding_mode: str = "zeros") -> None:
        super().__init__()
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, not {padding_mode!r}")
        self.subframes = subframes
        self.halo = HALO if padding_mode == "halo" else 0
        c1, c2, c3, c4 = 16 * width, 32 * width, 64 * width, 96 * width
        self.features = nn.Sequential(
            _block(1, c1, padding_mode), nn.MaxPool2d(2),         # 16 x 64
            _block(c1, c2, padding_mode), nn.MaxPool2d(2),        # 8 x 32
            _block(c2, c3, padding_mode), _block(c3, c3, padding_mode),
            nn.MaxPool2d((2, 1)),                                 # 4 x 32
            _block(c3, c4, padding_mode),
            nn.Dropout2d(0.1),
        )
        # Collapse the remaining 4 rows into one column descriptor per frame.
        self.collapse = nn.Sequential(nn.Conv2d(c4, 128, (4, 1), bias=False),
                                      nn.BatchNorm2d(128), nn.ReLU(inplace=True))
        # The 1-D context runs on 32 columns outside the runtime's blocked-layout conv
        # chain, where a Pad node is cheap: "halo" pads it with edge columns.
        context_padding = "replicate" if padding_mode == "halo" else padding_mode
        self.context = nn.Sequential(nn.Conv1d(128, 128, 5, padding=2, bias=False,
                                               padding_mode=context_padding),
                                     nn.BatchNorm1d(128), nn.ReLU(inplace=True))
        self.head = nn.Conv1d(128, NUM_CLASSES * subframes, 1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, H, W) -> (N, T, C) unnormalised scores, T = columns x subframes."""
        if self.halo:
            x = F.pad(x, (self.halo, self.halo, 0, 0), mode="replicate")
        # [:, :, 0] rather than squeeze(2): after a Pad the exporter cannot prove that
        # axis is 1 and wraps squeeze in an If node.
        f = self.collapse(self.features(x))[:, :, 0]     # N, 128, columns
        f = f + self.context(f)
        out = self.head(f)                               # N, subframes * C, columns
        if self.subframes == 1:
            return out.transpose(1, 2)
        n, _, columns = out.shape
        out = out.view(n, self.subframes, NUM_CLASSES, columns)
        return out.permute(0, 3, 1, 2).reshape(n, columns * self.subframes, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(x), dim=-1)
