"""Planning: which class each module instance becomes, and what that class's constructor takes.

Instances of a block with the same structure share a class (`Residual`); a
structurally different instance gets its own (`Residual2`). Every number in
a class body is a *leaf*; a leaf equal in every instance is a literal, one
that varies (or a channel count) becomes code on constructor parameters:
the block parameter it equals (`channels`, `c2[0]`), `in_channels`,
arithmetic on them (`channels * 4`), or else a parameter of its own named
after its first use (`conv3_out_channels`).

    classes, plans = plan_classes(graph, files)
    plans[0].params   # [Param("in", "in_channels"), Param("arg", "channels")]
    plans[0].exprs    # one Code per leaf: (Param("arg", "channels"),) or ("3",)

Code is a tuple of text and `Param`s: the namespace names each parameter
when the file is rendered, so nothing is renamed after it is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union

from ...expr import is_int
from ...ir import Graph, Module, attributes
from ...naming import class_name
from ..torch_lowering import REQUIRED, lower_layer
from .literals import literal, writable
from .namespace import Namespace


@dataclass(frozen=True)
class Param:
    """A constructor parameter of a generated class."""

    kind: str       # "in" (the incoming channels), "arg" (a block parameter), "derived" (a number per instance)
    name: str       # the name it asks the namespace for
    leaf: int = -1  # derived: the leaf it stands for


Code = tuple  # of str (code) and Param (a parameter, named when rendered)


@dataclass
class Leaf:
    """One number of the generated code, as it stands in one instance."""

    value: Any
    channel_like: bool
    slot: str  # `conv1_out_channels`: what a parameter of its own would be called


@dataclass
class LayerExpr:
    cls: str
    args: list[int]          # leaf indices
    kwargs: dict[str, int]   # keyword -> leaf index
    defaults: dict           # keyword -> torch's default, for those that have one
    home: str = "nn"         # `nn.<cls>`, or a class the file defines itself ("torch_layers")
    module: Optional[str] = None  # home "user": a declared op's class, from this import path


@dataclass
class ClassExpr:
    plan: "ClassPlan"
    args: list[int]


@dataclass
class SeqExpr:
    children: list[tuple[str, Any, Any]]


@dataclass
class SharedExpr:
    """A shared layer applied again: the module its first application (`owner`, a sibling) made."""

    owner: str


Expr = Union[LayerExpr, ClassExpr, SeqExpr, SharedExpr]


@dataclass(eq=False)
class ClassPlan:
    name: str
    base: str                     # "Module" or "Sequential"
    block: Optional[str]
    instances: list = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    exprs: list[Code] = field(default_factory=list)          # one per leaf of the template
    derived: dict[Param, list] = field(default_factory=dict)  # a derived parameter's value per instance
    names: Optional[Namespace] = None                         # the constructor's scope

    def value(self, param: Param, node: Module) -> Any:
        """What `param` is in the instance `node`."""
        if param.kind == "in":
            return node.in_shape[1]
        if param.kind == "arg":
            return node.args.get(param.name)
        return self.derived[param][self.instances.index(node)]


# ---------------------------------------------------------------- describing a body


def describe(body, leaves: list[Leaf], classes: dict, prefix: str = "") -> list[tuple[str, Expr, Any]]:
    """The attributes of a module as expressions whose numbers are indices into `leaves`."""
    out = []
    for node in attributes(body):
        if node.shares:
            out.append((node.name, SharedExpr(node.shares.rpartition(".")[2]), node))
            continue
        name = node.name.replace("-", "_")  # a quoted name (`block1-0`) as part of a parameter's name
        path = f"{prefix}_{name}" if prefix else name
        out.append((node.name, _child_expr(node, leaves, classes, path), node))
    return out


def _child_expr(node, leaves: list[Leaf], classes: dict, path: str) -> Expr:
    label = f"layer{path}" if path[:1].isdigit() else path
    if node.kind == "layer":
        call = lower_layer(node)
        args = [_add_leaf(leaves, v, p.channels, f"{label}_{p.name}") for p, v in call.args]
        kwargs = {p.name: _add_leaf(leaves, v, p.channels, f"{label}_{p.name}") for p, v in call.kwargs}
        defaults = {p.name: p.default for p, _ in call.kwargs if p.default is not REQUIRED}
        return LayerExpr(call.cls, args, kwargs, defaults, call.home, call.module)
    plan = classes.get(id(node))
    if plan is None:  # a named sequential container: an inline nn.Sequential
        return SeqExpr(describe(node.body, leaves, classes, path))
    return ClassExpr(plan, [_add_leaf(leaves, plan.value(p, node), True, f"{label}_{plan.names.name(p)}")
                            for p in plan.params])


def _add_leaf(leaves: list[Leaf], value: Any, channel_like: bool, slot: str) -> int:
    leaves.append(Leaf(value, channel_like, slot))
    return len(leaves) - 1


# ---------------------------------------------------------------- grouping instances into classes


def plan_classes(graph: Graph, files: Namespace) -> tuple[dict[int, ClassPlan], list[ClassPlan]]:
    """Every block instance (and non-sequential named container) with its class, children first."""
    keys: dict[int, tuple] = {}
    by_key: dict[tuple, ClassPlan] = {}
    assigned: dict[int, ClassPlan] = {}

    def visit(node) -> None:
        for child in nested(node):
            visit(child)
        if node.kind == "module":
            _assign(node, keys, by_key, assigned, graph.model, files)

    for node in graph.body:
        visit(node)
    plans = list(by_key.values())
    for plan in plans:
        parametrise(plan, assigned, files)
    return assigned, plans


def _assign(node: Module, keys: dict, by_key: dict, assigned: dict, model: str, files: Namespace) -> None:
    body_sig = tuple(_signature(n, keys) for n in node.body)
    if node.block is None and node.sequential:  # an inline nn.Sequential, not a class
        keys[id(node)] = ("S", body_sig)
        return
    key = keys[id(node)] = (node.block or node.cls, node.sequential, body_sig, node.inputs and
                            tuple(param for param, _ in node.inputs), node.returns)
    plan = by_key.get(key)
    if plan is None:
        plan = by_key[key] = ClassPlan("", "Sequential" if node.sequential else "Module", node.block)
        plan.name = files.create_name(class_name(node.block or node.cls, model), plan)
    plan.instances.append(node)
    assigned[id(node)] = plan


def _signature(node, keys: dict) -> tuple:
    if node.kind == "value":
        return ("V", node.op, node.name)
    if node.module and node.shares:
        return ("S", node.name, node.shares.rpartition(".")[2])
    if node.kind == "layer":
        call = lower_layer(node)
        return ("L", node.name, node.op, (call.module, call.cls) if call else "", len(call.args) if call else 0,
                tuple(sorted(call.keywords())) if call else ())
    if node.kind == "combine":
        return ("C", node.op, slicing(node), tuple(tuple(_signature(n, keys) for n in b) for b in node.branches))
    return ("M", node.name, keys[id(node)])


def slicing(node) -> object:
    """How a combine cuts its input for the forward: `None`, a number of equal slices, or the sizes.

    Equal slices are written `x.chunk(n, dim=1)`, whatever the channels; other sizes are
    numbers in the forward, so instances that cut differently get classes of their own.
    """
    parts = node.parts
    if parts is None:
        return None
    return len(parts) if len(set(parts)) == 1 else tuple(parts)


def nested(node) -> list:
    """The nodes directly inside `node`: a module's body, a combine's branches one after another."""
    if node.kind == "module":
        return node.body
    if node.kind == "combine":
        return [n for b in node.branches for n in b]
    return []


# ---------------------------------------------------------------- parameters of a class


def parametrise(plan: ClassPlan, classes: dict, files: Namespace) -> None:
    """Decide, for every leaf of the class body, a literal or code on constructor parameters."""
    per_instance = []
    for node in plan.instances:
        leaves: list[Leaf] = []
        describe(node.body, leaves, classes)
        per_instance.append(leaves)
    template = plan.instances[0]
    # A block argument the file cannot write as a literal (VGG's `[64, "M", 128, "M"]`: user
    # strings never reach the file) is not a constructor parameter: its numbers are folded per
    # instance, as literals or derived parameters.
    block_params = [Param("arg", name) for name in template.args
                    if all(writable(node.args.get(name)) for node in plan.instances)] if template.block else []
    used: dict[Param, None] = {}  # an ordered set
    for index, leaf in enumerate(per_instance[0]):
        values = [leaves[index].value for leaves in per_instance]
        plan.exprs.append(_leaf_code(index, leaf, values, plan, block_params, used))
    in_channels = [p for p in used if p.kind == "in"]
    plan.params = in_channels + [p for p in block_params if p in used] + [p for p in used if p.kind == "derived"]
    plan.names = _constructor_names(plan, files)


def _constructor_names(plan: ClassPlan, files: Namespace) -> Namespace:
    """The parameters' names: a block's own first (they keep theirs), then `in_channels`, then derived ones."""
    names = files.scope()
    for kind in ("arg", "in", "derived"):
        for param in plan.params:
            if param.kind == kind:
                names.create_name(param.name, param)
    return names


def _leaf_code(index: int, leaf: Leaf, values: list, plan: ClassPlan, block_params: list[Param],
               used: dict) -> Code:
    varying = any(v != values[0] for v in values)
    if not varying and not leaf.channel_like:
        return (literal(values[0]),)
    for param in block_params:
        match = match_arg(param, values, plan)
        if match:
            used[param] = None
            return match
    if all(v == node.in_shape[1] for v, node in zip(values, plan.instances)) and len(plan.instances[0].in_shape) > 1:
        param = Param("in", "in_channels")
        used[param] = None
        return (param,)
    if not varying:
        return (literal(values[0]),)
    code = affine(values, plan, block_params, used) if leaf.channel_like else None
    if code:
        return code
    param = Param("derived", leaf.slot, index)
    plan.derived[param] = values
    used[param] = None
    return (param,)


def affine(values: list, plan: ClassPlan, block_params: list[Param], used: dict) -> Optional[Code]:
    """`channels * 4`, `in_channels // 2` or `in_channels + 3 * growth`, when that fits every instance.

    Tried only for sizes that vary between instances, where a coincidence is
    unlikely; this is how a dense block's growing channel counts or a
    bottleneck's expansion read as the arithmetic a person would write.
    """
    if not all(is_int(v) for v in values):
        return None
    for _, code, candidate in sorted(_affine_forms(_scalars(plan, block_params)), key=lambda form: form[0]):
        if candidate == values:
            for part in code:
                if isinstance(part, Param):
                    used[part] = None
            return code
    return None


def _scalars(plan: ClassPlan, block_params: list[Param]) -> dict[Param, list]:
    """The int-valued parameters a size could be arithmetic on, with their value per instance."""
    scalars: dict[Param, list] = {}
    if len(plan.instances[0].in_shape) > 1:
        scalars[Param("in", "in_channels")] = [node.in_shape[1] for node in plan.instances]
    for param in block_params:
        args = [node.args.get(param.name) for node in plan.instances]
        if all(is_int(a) for a in args):
            scalars[param] = args
    return scalars


def _affine_forms(scalars: dict[Param, list]) -> list[tuple[int, Code, list]]:
    """(coefficient, code, values) of every form tried: small coefficients are the likelier reading."""
    forms = []
    for p, ps in scalars.items():
        forms += [(k, (p, f" * {k}"), [a * k for a in ps]) for k in range(2, 9)]
        forms += [(k, (p, f" // {k}"), [a // k for a in ps]) for k in range(2, 9)]
    for p, ps in scalars.items():
        for q, qs in scalars.items():
            if p != q:
                forms += [(k, (p, " + ", q) if k == 1 else (p, f" + {k} * ", q), [a + k * b for a, b in zip(ps, qs)])
                          for k in range(1, 9)]
    return forms


def match_arg(param: Param, values: list, plan: ClassPlan) -> Optional[Code]:
    """`param`, or an item of it (`c2[0]`), when it equals `values` in every instance."""
    args = [node.args.get(param.name) for node in plan.instances]
    if all(_same(v, a) for v, a in zip(values, args)):
        return (param,)
    first = args[0]
    if isinstance(first, (list, tuple)):
        for i in range(len(first)):
            if all(isinstance(a, (list, tuple)) and len(a) > i and _same(v, a[i]) for v, a in zip(values, args)):
                return (param, f"[{i}]")
    return None


def _same(value: Any, arg: Any) -> bool:
    if isinstance(value, bool) != isinstance(arg, bool):
        return False
    if isinstance(arg, list):
        arg = tuple(arg)
    return type(value) in (int, float, tuple, str) and value == arg
