"""Layers torch.nn lacks, defined once for both torch back-ends.

A row of the lowering table with `home="torch_layers"` names a class here:
`specc.build` instantiates it from this module, and `specc build` copies its
source into the generated file (only when a layer uses it; see
`python_source/definitions.py`), which so still imports only torch. A class
here may therefore use only `torch` and `nn`, as the generated file imports
them, and no other name of this module; its name is reserved in
`reserved.GENERATED_NAMES`, so no block's class can take it.

    LayerNorm2d(64)(torch.randn(1, 64, 7, 7))      # normalises the 64 channels of each position
    StochasticDepth(0.2, "row")                    # as torchvision.ops.StochasticDepth(0.2, "row")
    CenterCrop((56, 56))(torch.randn(1, 64, 64, 64))  # [1, 64, 56, 56]: 4 rows and columns off each side
"""

import torch
from torch import nn


class LayerNorm2d(nn.LayerNorm):
    """torchvision's LayerNorm2d (ConvNeXt): a layer norm over the channels of each position of [N, C, H, W]."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = torch.nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class CenterCrop(nn.Module):
    """Crops the spatial dims of [N, C, *spatial] to `size` around the centre: (in - size) // 2 dropped before."""

    def __init__(self, size):
        super().__init__()
        self.size = size  # an int for every spatial dim, or one per dim

    def forward(self, x):
        sizes = self.size if isinstance(self.size, tuple) else (self.size,) * (x.dim() - 2)
        for dim, size in enumerate(sizes, start=2):
            x = x.narrow(dim, (x.shape[dim] - size) // 2, size)
        return x

    def extra_repr(self):
        return f"size={self.size}"


class StochasticDepth(nn.Module):
    """torchvision's StochasticDepth: while training, zeroes its input with probability p, per sample ("row")
    or for the whole batch ("batch"), and scales what it keeps by 1 / (1 - p)."""

    def __init__(self, p, mode):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        survival_rate = 1.0 - self.p
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(survival_rate)
        if survival_rate > 0.0:
            noise.div_(survival_rate)
        return x * noise

    def extra_repr(self):
        return f"p={self.p}, mode={self.mode}"
