"""A compact CNN + CTC plate recogniser: gray 32x128 in, 32 frames of class scores out.

Convolutions only (no recurrence): plates are short, position-structured strings, a wide
receptive field of stacked 3x3 convs sees a whole character and its neighbours, and a
pure-conv graph runs fastest under onnxruntime on a CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from plate_service.recognition.plate_format import NUM_CLASSES

# Input pixels each side that the width-unpadded conv stack consumes: 1 (first conv)
# + 2 (second, at 1/2 width) + 3 x 4 (three convs at 1/4 width).
HALO = 15


def _block(cin: int, cout: int) -> nn.Sequential:
    # Padded in height only: in width each conv eats one column each side (see HALO).
    conv = nn.Conv2d(cin, cout, 3, padding=(1, 0), bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class PlateOcrNet(nn.Module):
    """(N, 1, 32, 128) -> (N, 32, num_classes) softmax probabilities over CTC classes
    (the blank and the alphabet of the types it reads).

    The net must not know where the image's left and right edges are. A conv net with
    zero padding does, and can learn to emit the first letter at frame 0 wherever it
    stands, which misreads plates cut with a loose margin (``python -m
    training.ocr.position_probe`` tells such a net). So the input is padded once with
    ``HALO`` edge columns each side and the 2-D convs pad only in height: each eats one
    column each side at its scale and the stack ends at exactly 32 columns; only the small
    1-D context conv at the end pads with edge columns. Padding every conv with edge
    pixels would do the same, but each Pad node breaks onnxruntime's blocked-layout conv
    chain (a layout reorder around every conv) and costs about 20% of the throughput.

    Softmax is inside the graph so the ONNX output is directly usable for decoding; the
    training loss uses ``logits`` instead for numerical stability.
    """

    def __init__(self, width: int = 1, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        c1, c2, c3, c4 = 16 * width, 32 * width, 64 * width, 96 * width
        self.features = nn.Sequential(
            _block(1, c1), nn.MaxPool2d(2),                       # 16 x 64
            _block(c1, c2), nn.MaxPool2d(2),                      # 8 x 32
            _block(c2, c3), _block(c3, c3),
            nn.MaxPool2d((2, 1)),                                 # 4 x 32
            _block(c3, c4),
            nn.Dropout2d(0.1),
        )
        # Collapse the remaining 4 rows into one column descriptor per frame.
        self.collapse = nn.Sequential(nn.Conv2d(c4, 128, (4, 1), bias=False),
                                      nn.BatchNorm2d(128), nn.ReLU(inplace=True))
        # The 1-D context runs on 32 columns outside the runtime's blocked-layout conv
        # chain, where a Pad node is cheap.
        self.context = nn.Sequential(nn.Conv1d(128, 128, 5, padding=2, bias=False,
                                               padding_mode="replicate"),
                                     nn.BatchNorm1d(128), nn.ReLU(inplace=True))
        self.head = nn.Conv1d(128, num_classes, 1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, H, W) -> (N, T, C) unnormalised scores, one frame per column."""
        x = F.pad(x, (HALO, HALO, 0, 0), mode="replicate")
        # [:, :, 0] rather than squeeze(2): after a Pad the exporter cannot prove that
        # axis is 1 and wraps squeeze in an If node.
        f = self.collapse(self.features(x))[:, :, 0]     # N, 128, columns
        f = f + self.context(f)
        return self.head(f).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(x), dim=-1)
