"""Follow a batch through a network, layer by layer: the quickest way to understand its shapes."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def print_shapes(net: nn.Sequential, x: Tensor) -> Tensor:
    """Run `x` through the layers of `net` one at a time, printing each output's shape.

    Returns the final output. Nested `nn.Sequential`s are followed into.
    """
    print(f"{str(tuple(x.shape)):<18} input")
    with torch.no_grad():
        for layer in _leaves(net):
            x = layer(x)
            print(f"{str(tuple(x.shape)):<18} after {layer}")
    return x


def _leaves(net: nn.Module):
    for layer in net.children() if isinstance(net, nn.Sequential) else [net]:
        yield from _leaves(layer) if isinstance(layer, nn.Sequential) else [layer]
