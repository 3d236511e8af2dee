"""The torch back-end's table: how each op of the registry becomes a `torch.nn` module.

The op registry (`specc/ops.py`) knows what an op means; this table knows
torch: the `nn` class, its positional and keyword arguments with torch's
defaults, which of them are channel counts, and the attribute name an
unnamed layer gets. Both torch back-ends read it: `torch_module.py` calls
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

from ..ops import Shape, square

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
    """One row: `nn.<cls>(*args, **kwargs)`; `cls` may depend on the input shape (batchnorm's rank).

    A declared op (`op my_linear = pkg.mod.MyLinear(...)`) brings its own row, whose class
    comes from `module` (an import path) instead of `torch.nn`: `declared.DeclaredOp.torch`.
    """

    cls: Union[str, Callable[[Shape], str]]
    args: tuple[Param, ...] = ()
    kwargs: tuple[Param, ...] = ()
    attribute: Optional[str] = None  # the base name of an unnamed attribute (`bn1`); the op's name if None
    module: Optional[str] = None     # where `cls` is imported from; None: `torch.nn`


@dataclass(frozen=True)
class Call:
    """A lowered layer: the class and each argument's value, in order."""

    cls: str
    args: tuple[tuple[Param, Any], ...]
    kwargs: tuple[tuple[Param, Any], ...]
    module: Optional[str] = None  # a declared op's class is imported from here; None: `torch.nn`

    def positional(self) -> list:
        return [value for _, value in self.args]

    def keywords(self) -> dict:
        return {param.name: value for param, value in self.kwargs}


# ---------------------------------------------------------------- value sources


def _arg(name: str) -> Callable[[dict, Shape], Any]:
    """The op's argument `name`; a square pair as one int, as torch code writes a kernel."""
    return lambda a, shape: square(a[name])


def _in_size(a: dict, shape: Shape) -> int:
    return shape[1]


def _pool_stride(a: dict, shape: Shape) -> Any:
    # Written out even when it equals the kernel, as the seeds and torchvision do.
    return square(a["stride"] or a["kernel"])


def _batchnorm_class(shape: Shape) -> str:
    return "BatchNorm2d" if len(shape) == 4 else "BatchNorm1d"


_KERNEL = Param("kernel_size", _arg("kernel"))
_PADDING = Param("padding", _arg("padding"), 0)
_CEIL = Param("ceil_mode", _arg("ceil_mode"), False)

# ---------------------------------------------------------------- the table


TORCH: dict[str, Optional[Lowering]] = {
    "conv": Lowering(
        "Conv2d",
        (Param("in_channels", _in_size, channels=True), Param("out_channels", _arg("channels"), channels=True)),
        (_KERNEL, Param("stride", _arg("stride"), 1), _PADDING, Param("dilation", _arg("dilation"), 1),
         Param("groups", _arg("groups"), 1), Param("bias", _arg("bias"), True))),
    "linear": Lowering(
        "Linear",
        (Param("in_features", _in_size, channels=True), Param("out_features", _arg("features"), channels=True)),
        (Param("bias", _arg("bias"), True),), attribute="fc"),
    "batchnorm": Lowering(
        _batchnorm_class, (Param("num_features", _in_size, channels=True),),
        (Param("eps", _arg("eps"), 1e-5), Param("momentum", _arg("momentum"), 0.1),
         Param("affine", _arg("affine"), True)), attribute="bn"),
    "relu": Lowering("ReLU"),
    "sigmoid": Lowering("Sigmoid"),
    "tanh": Lowering("Tanh"),
    "maxpool": Lowering(
        "MaxPool2d", (),
        (_KERNEL, Param("stride", _pool_stride), _PADDING, Param("dilation", _arg("dilation"), 1), _CEIL),
        attribute="pool"),
    "avgpool": Lowering(
        "AvgPool2d", (),
        (_KERNEL, Param("stride", _pool_stride), _PADDING, _CEIL,
         Param("count_include_pad", _arg("count_include_pad"), True)),
        attribute="pool"),
    "adaptive_avgpool": Lowering("AdaptiveAvgPool2d", (Param("output_size", _arg("size")),), attribute="pool"),
    "global_avgpool": Lowering("AdaptiveAvgPool2d", (Param("output_size", lambda a, shape: (1, 1)),),
                               attribute="pool"),
    "flatten": Lowering("Flatten"),
    "dropout": Lowering("Dropout", (), (Param("p", _arg("p"), 0.5),)),
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
                tuple((p, p.value(args, in_shape)) for p in row.kwargs), row.module)


def attribute_name(op: str) -> str:
    """The name an unnamed layer of this op gets as an attribute, before numbering: `conv`, `fc`, `bn`."""
    row = TORCH.get(op)
    return row.attribute if row is not None and row.attribute else op
