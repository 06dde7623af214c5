"""What the recogniser's padding modes let it see of the image border."""

from __future__ import annotations

from tests.requirements import require_module

torch = require_module("torch")

from training.ocr.model import PlateOcrNet  # noqa: E402

SHIFT = 4  # input pixels per output frame
CONTEXT_REACH = 2  # frames each side that the 1-D context conv reads


def _edge_shifted(x: "torch.Tensor") -> "torch.Tensor":
    """The image moved SHIFT pixels right, the gap filled with its own left column."""
    return torch.cat([x[..., :1].expand(-1, -1, -1, SHIFT), x[..., :-SHIFT]], dim=3)


def _frames(padding_mode: str, x: "torch.Tensor") -> "torch.Tensor":
    torch.manual_seed(0)
    net = PlateOcrNet(padding_mode=padding_mode).eval()
    with torch.no_grad():
        return net.logits(x)


def test_the_halo_net_cannot_tell_an_edge_widened_plate_from_a_shifted_one() -> None:
    x = torch.randn(2, 1, 32, 128, generator=torch.Generator().manual_seed(1))
    before, after = _frames("halo", x), _frames("halo", _edge_shifted(x))
    # Exact from frame CONTEXT_REACH on: the conv stack never sees where the image ends;
    # only the last 1-D conv pads its first frames with edge copies.
    assert torch.allclose(after[:, 1 + CONTEXT_REACH:16], before[:, CONTEXT_REACH:15], atol=1e-6)


def test_a_zero_padded_net_sees_the_border() -> None:
    x = torch.randn(2, 1, 32, 128, generator=torch.Generator().manual_seed(1))
    before, after = _frames("zeros", x), _frames("zeros", _edge_shifted(x))
    assert not torch.allclose(after[:, 1 + CONTEXT_REACH:16], before[:, CONTEXT_REACH:15],
                              atol=1e-6)


def test_halo_keeps_the_frame_count() -> None:
    x = torch.zeros(3, 1, 32, 128)
    assert _frames("halo", x).shape == _frames("zeros", x).shape
