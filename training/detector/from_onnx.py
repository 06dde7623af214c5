"""A trainable PlateNet holding the weights of an exported ``detector.onnx``.

Only the ONNX graph is committed (``models/detector``), so a new stage of the recipe can
start from the shipped detector only through it. The export folds every batch norm into
the convolution before it; here each folded convolution goes back into its torch
convolution, and its batch norm becomes the identity plus the folded bias. The batch
norms then hold no statistics of their own, so a run from such weights keeps them
frozen (``freeze_norms``): batch statistics would change what the net computes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from training.detector.model import PlateNet


def _convs_in_order(model: PlateNet) -> list[nn.Conv2d]:
    """The net's convolutions in the order its forward pass runs them (the ONNX graph's
    node order)."""
    order: list[nn.Conv2d] = []
    hooks = [m.register_forward_hook(lambda m, *_: order.append(m))
             for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, 64, 64))
    for hook in hooks:
        hook.remove()
    return order


def _norm_after(model: PlateNet) -> dict[nn.Conv2d, nn.BatchNorm2d]:
    """Each convolution that a batch norm follows in its ``nn.Sequential``, and that norm."""
    pairs = {}
    for module in model.modules():
        if isinstance(module, nn.Sequential):
            layers = list(module)
            for first, second in zip(layers, layers[1:]):
                if isinstance(first, nn.Conv2d) and isinstance(second, nn.BatchNorm2d):
                    pairs[first] = second
    return pairs


def plate_net_from_onnx(path: Path) -> PlateNet:
    """A PlateNet computing what the ONNX detector at ``path`` computes."""
    graph = onnx.load(str(path)).graph
    weights = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    onnx_convs = [node for node in graph.node if node.op_type == "Conv"]
    model = PlateNet()
    convs, norms = _convs_in_order(model), _norm_after(model)
    if len(convs) != len(onnx_convs):
        raise ValueError(f"{path}: {len(onnx_convs)} convolutions, PlateNet has {len(convs)}")
    with torch.no_grad():
        for conv, node in zip(convs, onnx_convs):
            weight = np.array(weights[node.input[1]])
            bias = (np.array(weights[node.input[2]]) if len(node.input) > 2
                    else np.zeros(weight.shape[0], np.float32))
            if tuple(weight.shape) != tuple(conv.weight.shape):
                raise ValueError(f"{path}: a {weight.shape} kernel where PlateNet has "
                                 f"{tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(weight))
            norm = norms.get(conv)
            if norm is None:
                assert conv.bias is not None
                conv.bias.copy_(torch.from_numpy(bias))
                continue
            norm.weight.fill_(1.0)
            norm.bias.copy_(torch.from_numpy(bias))
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
    return model.eval()


def freeze_norms(model: nn.Module) -> None:
    """Keep every batch norm on its stored statistics while the rest trains (call after
    ``model.train()``); their scale and shift still learn."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()
