"""Custom layers from the seed notes: 004_cf91baba0d3bb9c5.txt, section "自定义层" (d2l 5.4, Custom Layers).

The classes are copied from the notes as written there. `specs/seeds/centered.spec`
and `specs/seeds/mylinear.spec` declare them as ops:

    op centered = examples.seeds.layers.CenteredLayer()
    op my_linear(units: channels) = examples.seeds.layers.MyLinear(in.c, units): ...

`specc check` and `specc shapes` never import this file; `specc.build` does,
and so does the file `specc build` writes.
"""

import torch
import torch.nn.functional as F
from torch import nn


# * 构造一个不带参数的层 (a layer without parameters)
class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


# * 带参数的层 (a layer with parameters)
class MyLinear(nn.Module):
    def __init__(self, in_units, units):  # 输入数和输出数 (inputs and outputs)
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)
