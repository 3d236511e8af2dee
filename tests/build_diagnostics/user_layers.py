"""A user's own layers, for the goldens of `specc.build`'s checks of declared ops (E08xx)."""

import torch
from torch import nn


class Dense(nn.Module):
    """d2l 5.4's MyLinear without the relu: weight [in_units, units], bias [units]."""

    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units))

    def forward(self, x):
        return x @ self.weight + self.bias


class Conv3(nn.Module):
    """A 3x3 convolution that keeps the size (padding 1)."""

    def __init__(self, in_channels, channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, channels, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


class Grouped(nn.Module):
    def __init__(self, in_channels, channels, groups):
        super().__init__()
        if in_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) must be divisible by groups ({groups})")
        self.conv = nn.Conv2d(in_channels, channels, 1, groups=groups)

    def forward(self, x):
        return self.conv(x)


class Blur(nn.Module):
    def forward(self, x):
        if x.dim() != 4:
            raise ValueError(f"Blur expects images [N, C, H, W], got {x.dim()} dims")
        return nn.functional.avg_pool2d(x, 3, stride=1, padding=1)


def helper(x):
    return x
