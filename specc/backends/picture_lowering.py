"""The picture back-end's table: how each op is drawn by `specc graph`, one row per op.

    PICTURE["conv"] == "conv"        # the family whose colour the box takes
    family(layer) == "activation"    # for a relu; "custom" for a declared op

A family groups ops a reader tells apart at a glance (weights that mix
channels, normalisation, activation, pooling, ...); `picture/dot.py` and
`picture/mermaid.py` give each family its colour. Plain data, registered in
`backends.LOWERINGS`, so `tests/test_op_tables.py` fails when an op has no
row.
"""

from __future__ import annotations

FAMILIES = ("conv", "linear", "norm", "activation", "pool", "regularise", "reshape", "resample", "custom")

PICTURE: dict[str, str] = {
    "conv": "conv",
    "conv_transpose": "conv",
    "linear": "linear",
    "batchnorm": "norm",
    "groupnorm": "norm",
    "instancenorm": "norm",
    "layernorm": "norm",
    "layernorm2d": "norm",
    "local_response_norm": "norm",
    "celu": "activation",
    "elu": "activation",
    "gelu": "activation",
    "hardsigmoid": "activation",
    "hardswish": "activation",
    "hardtanh": "activation",
    "leaky_relu": "activation",
    "log_softmax": "activation",
    "mish": "activation",
    "prelu": "activation",
    "relu": "activation",
    "relu6": "activation",
    "selu": "activation",
    "sigmoid": "activation",
    "silu": "activation",
    "softmax": "activation",
    "softplus": "activation",
    "tanh": "activation",
    "adaptive_avgpool": "pool",
    "adaptive_maxpool": "pool",
    "avgpool": "pool",
    "global_avgpool": "pool",
    "global_maxpool": "pool",
    "maxpool": "pool",
    "dropout": "regularise",
    "dropout2d": "regularise",
    "dropout3d": "regularise",
    "stochastic_depth": "regularise",
    "center_crop": "reshape",
    "channel_shuffle": "reshape",
    "flatten": "reshape",
    "identity": "reshape",
    "unflatten": "reshape",
    "pixel_shuffle": "resample",
    "pixel_unshuffle": "resample",
    "upsample": "resample",
}


def family(layer) -> str:
    """The family of an IR layer: its op's row, or `custom` for a declared op (the user's own module)."""
    return "custom" if layer.declared is not None else PICTURE[layer.op]
