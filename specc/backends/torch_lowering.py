"""The torch back-end's table: how each op of the registry becomes a `torch.nn` module.

The op registry (`specc/ops.py`) knows what an op means; this table knows
torch: the `nn` class (or one of specc's own in `torch_layers.py`), its
positional and keyword arguments with torch's defaults, which of them are
channel counts, and the attribute name an unnamed layer gets. Both torch back-ends read it: `torch_module.py` calls
the class, `python_source/` writes the call. A row per op, as sqlglot's
generators keep a `TRANSFORMS` row per expression for their dialect; a
missing row fails `tests/test_op_tables.py`.

    >>> call = lower("conv", {"channels": 64, "kernel": (3, 3), "stride": (1, 1), "padding": (1, 1),
    ...                       "dilation": (1, 1), "groups": 1, "bias": True}, ("N", 3, 32, 32))
    >>> call.cls, call.positional(), call.keywords()
    ('Conv2d', [3, 64], {'kernel_size': 3, 'stride': 1, 'padding': 1, 'dilation': 1, 'groups': 1, 'bias': True})

Data and small functions only: no `import torch`, because `specc shapes`
and `specc check` never import it (naming reads the attribute names here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from ..ops import Shape, normalized_shape, square

REQUIRED = object()  # a torch argument without a default: always written


@dataclass(frozen=True)
class Param:
    """One argument of the torch call: torch's name for it and where its value comes from."""

    name: str                              # torch's keyword: `in_channels`, `kernel_size`
    value: Callable[[dict, Shape], Any]    # from the op's bound arguments and the input shape
    default: Any = REQUIRED                # torch's default; an argument equal to it is not written
    channels: bool = False                 # a channel count: a generated class takes it as a parameter


@dataclass(frozen=True)
class Lowering:
    """One row: `<home>.<cls>(*args, **kwargs)`; `cls` may depend on the input shape (`Conv2d` from the rank).

    `home` says where the class is: `"nn"` for `torch.nn`, or `"torch_layers"` for a class specc
    defines itself in `backends/torch_layers.py` (one torch lacks, such as torchvision's
    `LayerNorm2d`): the in-memory module uses that class, and the generated file carries its
    source, so that the file still imports only torch.

    A declared op (`op my_linear = pkg.mod.MyLinear(...)`) brings its own row, whose home is
    `"user"`: its class is the user's, imported from `module` (`declared.DeclaredOp.torch`).
    """

    cls: Union[str, Callable[[Shape], str]]
    args: tuple[Param, ...] = ()
    kwargs: tuple[Param, ...] = ()
    attribute: Optional[str] = None  # the base name of an unnamed attribute (`bn1`); the op's name if None
    home: str = "nn"
    module: Optional[str] = None     # home "user": the import path of the user's class


HOMES = ("nn", "torch_layers")  # the table's; a declared op's row is at home "user"


@dataclass(frozen=True)
class Call:
    """A lowered layer: the class, where it lives, and each argument's value, in order."""

    cls: str
    args: tuple[tuple[Param, Any], ...]
    kwargs: tuple[tuple[Param, Any], ...]
    home: str = "nn"
    module: Optional[str] = None  # home "user": the import path of the user's class

    def positional(self) -> list:
        return [value for _, value in self.args]

    def keywords(self) -> dict:
        return {param.name: value for param, value in self.kwargs}


# ---------------------------------------------------------------- value sources


def _arg(name: str) -> Callable[[dict, Shape], Any]:
    """The op's argument `name`; equal sizes as one int, as torch code writes a square kernel."""
    return lambda a, shape: square(a[name])


def _in_size(a: dict, shape: Shape) -> int:
    return shape[1]


def _pool_stride(a: dict, shape: Shape) -> Any:
    # Written out even when it equals the kernel, as the seeds and torchvision do.
    return square(a["stride"] or a["kernel"])


def _ones(a: dict, shape: Shape) -> Any:
    """A global pool's output size: `(1, 1)` for images as torchvision writes it, `1` for 1d, `(1, 1, 1)`."""
    return (1,) * (len(shape) - 2) if len(shape) > 3 else 1


def _normalized_shape(a: dict, shape: Shape) -> Any:
    sizes = normalized_shape(a, shape)
    return sizes[0] if len(sizes) == 1 else sizes


def _per_channel(a: dict, shape: Shape) -> int:
    return shape[1] if a["per_channel"] else 1


def _by_rank(pattern: str) -> Callable[[Shape], str]:
    """`Conv{}d` -> `Conv1d`, `Conv2d` or `Conv3d` from the input's spatial rank."""
    return lambda shape: pattern.format(len(shape) - 2)


def _batchnorm_class(shape: Shape) -> str:
    return "BatchNorm1d" if len(shape) <= 3 else f"BatchNorm{len(shape) - 2}d"


_KERNEL = Param("kernel_size", _arg("kernel"))
_PADDING = Param("padding", _arg("padding"), 0)
_CEIL = Param("ceil_mode", _arg("ceil_mode"), False)
_EPS = Param("eps", _arg("eps"), 1e-5)
_IN_OUT = (Param("in_channels", _in_size, channels=True), Param("out_channels", _arg("channels"), channels=True))


def _simple(cls: str, *kwargs: tuple[str, str, Any], attribute: Optional[str] = None) -> Lowering:
    """A row whose keywords are the op's arguments: (torch's name, the op's name, torch's default)."""
    return Lowering(cls, (), tuple(Param(name, _arg(arg), default) for name, arg, default in kwargs),
                    attribute=attribute)


# ---------------------------------------------------------------- the table


TORCH: dict[str, Optional[Lowering]] = {
    "conv": Lowering(
        _by_rank("Conv{}d"), _IN_OUT,
        (_KERNEL, Param("stride", _arg("stride"), 1), _PADDING, Param("dilation", _arg("dilation"), 1),
         Param("groups", _arg("groups"), 1), Param("bias", _arg("bias"), True))),
    "conv_transpose": Lowering(
        _by_rank("ConvTranspose{}d"), _IN_OUT,
        (_KERNEL, Param("stride", _arg("stride"), 1), _PADDING, Param("output_padding", _arg("output_padding"), 0),
         Param("groups", _arg("groups"), 1), Param("bias", _arg("bias"), True),
         Param("dilation", _arg("dilation"), 1)), attribute="deconv"),
    "linear": Lowering(
        "Linear",
        (Param("in_features", _in_size, channels=True), Param("out_features", _arg("features"), channels=True)),
        (Param("bias", _arg("bias"), True),), attribute="fc"),
    "batchnorm": Lowering(
        _batchnorm_class, (Param("num_features", _in_size, channels=True),),
        (Param("eps", _arg("eps"), 1e-5), Param("momentum", _arg("momentum"), 0.1),
         Param("affine", _arg("affine"), True)), attribute="bn"),
    "groupnorm": Lowering(
        "GroupNorm", (Param("num_groups", _arg("groups")), Param("num_channels", _in_size, channels=True)),
        (_EPS, Param("affine", _arg("affine"), True)), attribute="norm"),
    "instancenorm": Lowering(
        _by_rank("InstanceNorm{}d"), (Param("num_features", _in_size, channels=True),),
        (_EPS, Param("momentum", _arg("momentum"), 0.1), Param("affine", _arg("affine"), False),
         Param("track_running_stats", _arg("track_running_stats"), False)), attribute="norm"),
    "layernorm": Lowering(
        "LayerNorm", (Param("normalized_shape", _normalized_shape, channels=True),),
        (_EPS, Param("elementwise_affine", _arg("affine"), True), Param("bias", _arg("bias"), True)),
        attribute="norm"),
    "layernorm2d": Lowering(
        "LayerNorm2d", (Param("normalized_shape", _in_size, channels=True),),
        (_EPS, Param("elementwise_affine", _arg("affine"), True), Param("bias", _arg("bias"), True)),
        attribute="norm", home="torch_layers"),
    "local_response_norm": Lowering(
        "LocalResponseNorm", (Param("size", _arg("size")),),
        (Param("alpha", _arg("alpha"), 1e-4), Param("beta", _arg("beta"), 0.75), Param("k", _arg("k"), 1.0)),
        attribute="norm"),
    "relu": _simple("ReLU"),
    "relu6": _simple("ReLU6", attribute="relu"),  # `relu6` numbered would read `relu61`
    "leaky_relu": _simple("LeakyReLU", ("negative_slope", "slope", 0.01)),
    "elu": _simple("ELU", ("alpha", "alpha", 1.0)),
    "selu": _simple("SELU"),
    "celu": _simple("CELU", ("alpha", "alpha", 1.0)),
    "gelu": _simple("GELU", ("approximate", "approximate", "none")),
    "silu": _simple("SiLU"),
    "mish": _simple("Mish"),
    "hardswish": _simple("Hardswish"),
    "hardsigmoid": _simple("Hardsigmoid"),
    "hardtanh": _simple("Hardtanh", ("min_val", "min", -1.0), ("max_val", "max", 1.0)),
    "softplus": _simple("Softplus", ("beta", "beta", 1.0), ("threshold", "threshold", 20.0)),
    "prelu": Lowering("PReLU", (), (Param("num_parameters", _per_channel, 1), Param("init", _arg("init"), 0.25))),
    "sigmoid": _simple("Sigmoid"),
    "tanh": _simple("Tanh"),
    "softmax": _simple("Softmax", ("dim", "dim", REQUIRED)),
    "log_softmax": _simple("LogSoftmax", ("dim", "dim", REQUIRED)),
    "maxpool": Lowering(
        _by_rank("MaxPool{}d"), (),
        (_KERNEL, Param("stride", _pool_stride), _PADDING, Param("dilation", _arg("dilation"), 1), _CEIL),
        attribute="pool"),
    "avgpool": Lowering(
        _by_rank("AvgPool{}d"), (),
        (_KERNEL, Param("stride", _pool_stride), _PADDING, _CEIL,
         Param("count_include_pad", _arg("count_include_pad"), True)),
        attribute="pool"),
    "adaptive_avgpool": Lowering(_by_rank("AdaptiveAvgPool{}d"), (Param("output_size", _arg("size")),),
                                 attribute="pool"),
    "adaptive_maxpool": Lowering(_by_rank("AdaptiveMaxPool{}d"), (Param("output_size", _arg("size")),),
                                 attribute="pool"),
    "global_avgpool": Lowering(_by_rank("AdaptiveAvgPool{}d"), (Param("output_size", _ones),), attribute="pool"),
    "global_maxpool": Lowering(_by_rank("AdaptiveMaxPool{}d"), (Param("output_size", _ones),), attribute="pool"),
    "upsample": _simple("Upsample", ("size", "size", None), ("scale_factor", "scale", None),
                        ("mode", "mode", "nearest"), ("align_corners", "align_corners", None)),
    "pixel_shuffle": Lowering("PixelShuffle", (Param("upscale_factor", _arg("factor")),)),
    "pixel_unshuffle": Lowering("PixelUnshuffle", (Param("downscale_factor", _arg("factor")),)),
    "channel_shuffle": Lowering("ChannelShuffle", (Param("groups", _arg("groups")),)),
    "flatten": _simple("Flatten", ("start_dim", "start", 1), ("end_dim", "end", -1)),
    "unflatten": Lowering("Unflatten", (Param("dim", _arg("dim")),
                                        Param("unflattened_size", lambda a, shape: a["sizes"]))),
    "dropout": _simple("Dropout", ("p", "p", 0.5)),
    "dropout2d": _simple("Dropout2d", ("p", "p", 0.5), attribute="dropout"),
    "dropout3d": _simple("Dropout3d", ("p", "p", 0.5), attribute="dropout"),
    "stochastic_depth": Lowering("StochasticDepth", (Param("p", _arg("p")), Param("mode", _arg("mode"))),
                                 home="torch_layers"),
    "center_crop": Lowering("CenterCrop", (Param("size", _arg("size")),), home="torch_layers"),
    "identity": None,  # passes data through: no module at all
}


def lower(op: str, args: dict, in_shape: Shape) -> Optional[Call]:
    """The torch call for one layer, or None for an op that is no module (`identity`)."""
    return _call(TORCH[op], args, in_shape)


def lower_layer(layer) -> Optional[Call]:
    """The torch call for a layer of the IR (or of a draft): its op's row, or a declared op's own."""
    declared = layer.declared
    if declared is not None:
        return _call(declared.torch, layer.args, layer.in_shape)
    return _call(TORCH[layer.op], layer.args, layer.in_shape)


def _call(row: Optional[Lowering], args: dict, in_shape: Shape) -> Optional[Call]:
    if row is None:
        return None
    cls = row.cls if isinstance(row.cls, str) else row.cls(in_shape)
    return Call(cls, tuple((p, p.value(args, in_shape)) for p in row.args),
                tuple((p, p.value(args, in_shape)) for p in row.kwargs), row.home, row.module)


def attribute_name(op: str) -> str:
    """The name an unnamed layer of this op gets as an attribute, before numbering: `conv`, `fc`, `bn`."""
    row = TORCH.get(op)
    return row.attribute if row is not None and row.attribute else op
