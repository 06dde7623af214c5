"""A trainable torch net holding the weights of its exported ONNX graph.

Only the ONNX graphs are committed (``models/``), so a run can start from a shipped model
only through its graph. The exports fold every batch norm into the convolution before
it; here each folded convolution goes back into its torch convolution, and its batch norm
becomes the identity plus the folded bias. The batch norms then hold no statistics of
their own, so a run from such weights keeps them frozen (``freeze_norms``): batch
statistics would change what the net computes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

Net = TypeVar("Net", bound=nn.Module)
_CONVS = (nn.Conv1d, nn.Conv2d)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


def _convs_in_order(model: nn.Module, example: torch.Tensor) -> list[nn.Module]:
    """The net's convolutions in the order its forward pass on ``example`` runs them (the
    ONNX graph's node order)."""
    order: list[nn.Module] = []
    hooks = [m.register_forward_hook(lambda m, *_: order.append(m))
             for m in model.modules() if isinstance(m, _CONVS)]
    with torch.no_grad():
        model.eval()(example)
    for hook in hooks:
        hook.remove()
    return order


def _norm_after(model: nn.Module) -> dict[nn.Module, nn.Module]:
    """Each convolution that a batch norm follows in its ``nn.Sequential``, and that norm."""
    pairs = {}
    for module in model.modules():
        if isinstance(module, nn.Sequential):
            layers = list(module)
            for first, second in zip(layers, layers[1:]):
                if isinstance(first, _CONVS) and isinstance(second, _NORMS):
                    pairs[first] = second
    return pairs


def load_onnx_weights(model: Net, path: Path, example: torch.Tensor) -> Net:
    """``model`` (freshly built, of the graph's architecture) made to compute what the
    ONNX graph at ``path`` computes; ``example`` is an input its forward pass takes."""
    graph = onnx.load(str(path)).graph
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    onnx_convs = [node for node in graph.node if node.op_type == "Conv"]
    convs, norms = _convs_in_order(model, example), _norm_after(model)
    name = type(model).__name__
    if len(convs) != len(onnx_convs):
        raise ValueError(f"{path}: {len(onnx_convs)} convolutions, {name} has {len(convs)}")
    with torch.no_grad():
        for conv, node in zip(convs, onnx_convs):
            weight = np.array(weights[node.input[1]])
            bias = (np.array(weights[node.input[2]]) if len(node.input) > 2
                    else np.zeros(weight.shape[0], np.float32))
            kernel = conv.weight
            assert isinstance(kernel, torch.Tensor)
            if tuple(weight.shape) != tuple(kernel.shape):
                raise ValueError(f"{path}: a {weight.shape} kernel where {name} has "
                                 f"{tuple(kernel.shape)}")
            kernel.copy_(torch.from_numpy(weight))
            norm = norms.get(conv)
            if norm is None:
                assert isinstance(conv.bias, torch.Tensor)
                conv.bias.copy_(torch.from_numpy(bias))
                continue
            assert isinstance(norm, _NORMS)
            norm.weight.fill_(1.0)
            norm.bias.copy_(torch.from_numpy(bias))
            assert norm.running_mean is not None and norm.running_var is not None
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
    return model.eval()


def freeze_norms(model: nn.Module) -> None:
    """Keep every batch norm on its stored statistics while the rest trains (call after
    ``model.train()``); their scale and shift still learn."""
    for module in model.modules():
        if isinstance(module, _NORMS):
            module.eval()
