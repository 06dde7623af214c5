"""The recogniser cannot see where the image's left and right edges are."""

from __future__ import annotations

from tests.requirements import require_module

torch = require_module("torch")

from plate_service.recognition.plate_format import NUM_CLASSES  # noqa: E402
from training.ocr.model import PlateOcrNet  # noqa: E402

SHIFT = 4  # input pixels per output frame
CONTEXT_REACH = 2  # frames each side that the 1-D context conv reads


def _edge_shifted(x: "torch.Tensor") -> "torch.Tensor":
    """The image moved SHIFT pixels right, the gap filled with its own left column."""
    return torch.cat([x[..., :1].expand(-1, -1, -1, SHIFT), x[..., :-SHIFT]], dim=3)


def _frames(x: "torch.Tensor") -> "torch.Tensor":
    torch.manual_seed(0)
    net = PlateOcrNet().eval()
    with torch.no_grad():
        return net.logits(x)


def test_the_net_cannot_tell_an_edge_widened_plate_from_a_shifted_one() -> None:
    x = torch.randn(2, 1, 32, 128, generator=torch.Generator().manual_seed(1))
    before, after = _frames(x), _frames(_edge_shifted(x))
    # Exact from frame CONTEXT_REACH on: the conv stack never sees where the image ends;
    # only the last 1-D conv pads its first frames with edge copies.
    assert torch.allclose(after[:, 1 + CONTEXT_REACH:16], before[:, CONTEXT_REACH:15], atol=1e-6)


def test_one_frame_per_four_input_columns() -> None:
    assert _frames(torch.zeros(3, 1, 32, 128)).shape == (3, 32, NUM_CLASSES)
