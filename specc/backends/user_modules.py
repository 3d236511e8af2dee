"""The user's own torch modules: imported when a declared op is built in memory, and checked against it.

    op my_linear(units: channels) = examples.seeds.layers.MyLinear(in.c, units):
        shape: [in.shape[0], units]
        params: in.c * units + units

`specc.build` (and `specc build --weights`, which builds on the meta device)
imports `examples.seeds.layers` with importlib, as Python would from the
caller's `sys.path`, and takes `MyLinear` from it. Nothing else in specc
imports the user's code: `check`, `shapes` and the source back-end read the
declaration only.

Each layer is built with the constructor arguments its declaration computes,
then checked by a dry run before the model is handed over: a second
instance, built on torch's meta device (no memory, and no random numbers
drawn, so the real layer's weights are the ones the generated file's would
be), runs on a meta tensor of the layer's input shape, and its output shape
and parameter count must be what the declaration says. A module whose
forward cannot run on the meta device (it reads values: `.item()`) is run
instead on zeros on the CPU, the random generator's state saved and restored
around it. One check per class, arguments and input shape.

Every failure is a located diagnostic, never a traceback: E0801 when the
import fails (at the declaration's import path), E0802 when the class is no
`nn.Module` or building or running it raises (at the use), E0803 when its
output shape or parameter count differs from the declaration (at the use).
"""

from __future__ import annotations

import importlib
from typing import Any

import torch
from torch import nn

from .. import ir
from ..diagnostics import SpecError, suggest
from ..expr import show
from ..ops import format_shape
from ..syntax.unparse import unparse_expr
from .torch_lowering import Call

PROBE_BATCH = 2  # the batch of a dry run when the model's batch is symbolic (`N`)

_CHECKED: dict[tuple, Any] = {}  # what passed a dry run: (class, arguments, input shape) -> the class


def build(node: ir.Layer, call: Call) -> nn.Module:
    """The module of a declared op's layer: its class imported, built, and checked by a dry run."""
    cls = load_class(node)
    args, kwargs = call.positional(), call.keywords()
    try:
        module = cls(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the user's code may raise anything; it is reported, located
        raise _failed(node, call, "building", error) from None
    key = (cls, _frozen(args), _frozen(sorted(kwargs.items())), node.in_shape, node.out_shape, node.params)
    if key not in _CHECKED:
        dry_run(node, call, cls)
        _CHECKED[key] = cls  # (holds the class, so that its id is not reused while the entry stands)
    return module


def load_class(node: ir.Layer) -> type:
    """The class a declaration names, imported now (E0801 at its import path when that fails)."""
    definition = node.declared.definition
    module_path, _, name = definition.target.rpartition(".")
    where = definition.target_span.to_diagnostic()
    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError as error:
        missing = error.name or module_path
        raise SpecError("E0801", f"cannot import `{module_path}` for op `{definition.name}`: no module named "
                        f"`{missing}`", where, label="imported when the model is built",
                        help="`specc.build` imports it as Python would, from `sys.path`: install the package, or "
                             "put the folder that holds it on PYTHONPATH (`specc check`, `specc shapes` and "
                             "`specc build` without `--weights` never import it)") from None
    except Exception as error:  # noqa: BLE001 - importing runs the user's code
        raise SpecError("E0801", f"cannot import `{module_path}` for op `{definition.name}`: importing it raised "
                        f"{_exception(error)}", where, label="imported when the model is built",
                        help="fix the module so that `import " + module_path + "` works in Python") from None
    found = getattr(module, name, None)
    if found is None:
        classes = sorted(n for n, v in vars(module).items()
                         if isinstance(v, type) and issubclass(v, nn.Module) and not n.startswith("_"))
        listed = ", ".join(f"`{n}`" for n in classes[:8]) + (", ..." if len(classes) > 8 else "")
        raise SpecError("E0801", f"expected a class `{name}` in `{module_path}` for op `{definition.name}`, "
                        "found none", where, label="not in the module",
                        help=suggest(name, classes) or (f"its torch modules: {listed}" if classes else
                                                        f"`{module_path}` defines no torch module"))
    if not (isinstance(found, type) and issubclass(found, nn.Module)):
        raise SpecError("E0802", f"expected `{definition.target}` to be a subclass of `nn.Module` for op "
                        f"`{definition.name}`, found {_what(found)}", where, label="not a torch module",
                        help="a declared op names the torch module class that implements it")
    return found


def dry_run(node: ir.Layer, call: Call, cls: type) -> None:
    """Run the layer on the meta device (or on zeros) and compare it with its declaration (E0802, E0803)."""
    shape = [PROBE_BATCH if size == "N" else size for size in node.in_shape]
    args, kwargs = call.positional(), call.keywords()
    with torch.random.fork_rng(devices=[]):
        try:
            with torch.device("meta"):
                probe = cls(*args, **kwargs)
                out = probe(torch.empty(shape))
        except Exception:  # noqa: BLE001 - not every forward runs without values: try it on real zeros
            try:
                with torch.device("cpu"), torch.no_grad():
                    probe = cls(*args, **kwargs)
                    out = probe(torch.zeros(shape))
            except Exception as error:  # noqa: BLE001
                raise _failed(node, call, "running", error) from None
    _compare(node, call, probe, out)


def _compare(node: ir.Layer, call: Call, probe: nn.Module, out: Any) -> None:
    definition = node.declared.definition
    made = _call_text(call)
    if not isinstance(out, torch.Tensor):
        raise SpecError("E0803", f"expected a tensor from `{made}`, as op `{definition.name}` declares, found "
                        f"{_what(out)}", node.span, label=f"input here is {format_shape(node.in_shape)}",
                        help=f"a declared op is one layer: its forward returns one tensor\n{_declared(node)}")
    found = tuple("N" if i == 0 and node.in_shape[0] == "N" and size == PROBE_BATCH else size
                  for i, size in enumerate(out.shape))
    if found != tuple(node.out_shape):
        raise SpecError("E0803", f"expected output {format_shape(node.out_shape)} from `{made}`, as op "
                        f"`{definition.name}` declares, found {format_shape(found)} in a dry run",
                        node.span, label=f"input here is {format_shape(node.in_shape)}",
                        help=_rule_help(node, "shape"))
    params = sum(p.numel() for p in probe.parameters())
    if params != node.params:
        raise SpecError("E0803", f"expected {node.params:,} parameters in `{made}`, as op `{definition.name}` "
                        f"declares, found {params:,}", node.span, label=f"input here is {format_shape(node.in_shape)}",
                        help=_rule_help(node, "params"))


def _failed(node: ir.Layer, call: Call, doing: str, error: Exception) -> SpecError:
    definition = node.declared.definition
    return SpecError("E0802", f"{doing} `{_call_text(call)}` for op `{definition.name}` raised {_exception(error)}",
                     node.span, label=f"input here is {format_shape(node.in_shape)}", help=_declared(node))


def _rule_help(node: ir.Layer, rule: str) -> str:
    definition = node.declared.definition
    expr = getattr(definition, rule)
    said = (f"its `{rule}` rule is `{unparse_expr(expr)}`, at {expr.where}" if expr is not None else
            "it has no `shape` rule, so its output has the input's shape" if rule == "shape" else
            "it has no `params` rule, so it declares no parameters")
    return f"fix the declaration or the module: {said}"


def _declared(node: ir.Layer) -> str:
    definition = node.declared.definition
    return f"op `{definition.name}` is declared at {definition.span.to_diagnostic()}"


def _call_text(call: Call) -> str:
    parts = [show(v) for v in call.positional()] + [f"{k}={show(v)}" for k, v in call.keywords().items()]
    return f"{call.module}.{call.cls}({', '.join(parts)})"


def _exception(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > 160:
        first = first[:157] + "..."
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _what(value: Any) -> str:
    if isinstance(value, type):
        return f"the class `{value.__name__}`"
    return f"a `{type(value).__name__}`"


def _frozen(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *(_frozen(v) for v in value))
    return (type(value).__name__, value)
