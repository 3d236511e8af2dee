"""Naming: give every module of the elaborated draft its attribute name and dotted path.

The rule, shared by the shapes report and both back-ends:

- A named statement (`fc = linear(10)`) is an attribute with exactly that name.
- In a module whose body is a plain sequence of unnamed children (it compiles
  to `nn.Sequential(a, b, c)`), children are numbered by position, as
  `nn.Sequential` numbers them: `0`, `1`, `2`, ...
- Otherwise (the module has a `concat` or `add`, or some children are named)
  its children are attributes of a hand-written-looking class, so unnamed
  ones are named for what they are: `conv1`, `bn1`, `relu`, `fc`,
  `residual2`; numbered when the module has several of a kind.
- `concat`, `add` and `identity` are not modules: their branches' layers are
  children of the enclosing module, and their own path is that module's path.

    graph = assign(elaborate(program))    # the pipeline's `name` stage
"""

from __future__ import annotations

import re
from collections import Counter

from . import reserved
# Attribute base names (`fc`, `bn`, `pool`) come from the torch back-end's table: module paths, in
# `specc shapes --json` too, are by contract the `named_modules()` paths of the built torch module.
from .backends.torch_lowering import attribute_name
from .diagnostics import SpecError
from .elaborate import IMPLICIT_INPUT, Draft
from .ir import Graph, attributes, make_combine, make_layer, make_module, make_value
from .ops import OPS


def assign(draft: Draft) -> Graph:
    """The named, frozen IR of an elaborated model (the pipeline's `name` stage)."""
    # A model with named inputs or an `output` computes a forward of its own: no nn.Sequential.
    several = draft.outputs is not None or any(name != IMPLICIT_INPUT for name, _ in draft.inputs)
    sequential = is_sequential(draft.body) and not several
    nodes, total_params, total_macs = _build(draft.body, "", sequential, {})
    definition = draft.definition
    return Graph(
        model=definition.name, file=definition.span.file, params_values=dict(draft.params),
        overrides=dict(draft.overrides), input=draft.input, output=draft.output, body=nodes, sequential=sequential,
        span=definition.where, total_params=total_params, total_macs=total_macs,
        name_span=definition.name_span.to_diagnostic(), inputs=draft.inputs, outputs=draft.outputs,
        sizes=draft.sizes)


def is_sequential(body: list) -> bool:
    """Whether a body compiles to an `nn.Sequential`: a plain sequence, each child applied once in turn.

    A shared layer applied again counts as a child again when the children are numbered (as in
    `nn.Sequential(a, fc, b, fc)`); among named children it is one attribute, called twice by a forward.
    """
    for node in body:
        if node.kind in ("combine", "value"):
            return False
    children = list(attributes(body))
    again = any(c.shared is not None and c is not c.shared.first for c in children)
    return not (again and any(c.name for c in children))


def _names(body: list, sequential: bool) -> dict[int, str]:
    children = list(attributes(body))
    taken = _given_names(children)
    if sequential and not taken:
        # As nn.Sequential numbers its arguments: a shared layer at each of its positions.
        return {id(c): c.name or str(i) for i, c in enumerate(children)}
    # A shared layer is one attribute, named after its `let` where it is first applied.
    later = [c for c in children if c.shared is not None and c is not c.shared.first]
    children = [c for c in children if c.shared is None or c is c.shared.first]
    bases = [None if c.name else _base(c) for c in children]
    counts = Counter(b for b in bases if b)
    numbers: Counter = Counter()
    names = {}
    for child, base in zip(children, bases):
        if child.name:
            names[id(child)] = child.name
            continue
        name = base if counts[base] == 1 and base not in taken else None
        while name is None or name in taken:
            numbers[base] += 1
            name = f"{base}{numbers[base]}"
        taken.add(name)
        names[id(child)] = name
    for child in later:
        names[id(child)] = names[id(child.shared.first)]
    return names


def _given_names(children: list) -> set[str]:
    """The names the spec gives; `check` refuses a written name used twice, a computed one is refused here."""
    taken: dict[str, object] = {}
    for child in children:
        if not child.name:
            continue
        first = taken.setdefault(child.name, child)
        if first is not child:
            raise SpecError("E0206", f"the name `{child.name}` is given twice in one module", child.span,
                            label=f"first given at line {first.span.line}",
                            help="each named layer becomes an attribute: compute a different name for each, "
                                 "e.g. from the loop variable (`\"layer{i}\" = ...`)")
    return set(taken)


def _base(node) -> str:
    if node.shared is not None:
        return node.shared.name
    if node.kind != "module":
        if node.declared is not None:  # a declared op: its own name, unless nn.Module has it (`eval`)
            return (node.op.lstrip("_") or "op") + "_layer" if reserved.clobbers_module(node.op) else node.op
        return attribute_name(node.op)
    if reserved.clobbers_module(node.cls):
        # A block may be called `eval` or `_x`; as an attribute that would shadow nn.Module's own.
        return (node.cls.lstrip("_") or "block") + "_block"
    return node.cls


def _build(body: list, prefix: str, sequential: bool, memo: dict[int, dict[int, str]]) -> tuple[tuple, int, int]:
    """The IR nodes of a draft body under `prefix`, with their parameter and mult-add totals."""
    # Elaboration shares the body of identical block calls: name each body once (`memo`,
    # by the body's id, lives for one `assign`, while every body does).
    names = memo.get(id(body))
    if names is None:
        names = memo[id(body)] = _names(body, sequential)
    nodes = tuple([_node(node, prefix, names, memo) for node in body])
    return (nodes, *_totals((nodes,)))


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _node(node, prefix: str, names: dict[int, str], memo: dict[int, dict[int, str]]):
    kind = node.kind
    if kind == "layer":
        if node.op == "identity":
            return make_layer(node.op, node.args, "", prefix, node.in_shape, node.out_shape, 0, 0, node.span)
        name = names[id(node)]
        return make_layer(node.op, node.args, name, _join(prefix, name), node.in_shape, node.out_shape,
                          node.params, node.macs, node.span, declared=node.declared, **_sharing(node, prefix, names),
                          **_init(node))
    if kind == "value":
        return make_value(node.op, node.name, prefix, node.in_shape, node.out_shape, node.span)
    if kind == "combine":
        branches = tuple([tuple([_node(n, prefix, names, memo) for n in branch]) for branch in node.branches])
        return make_combine(node.op, branches, prefix, node.in_shape, node.out_shape, node.span, node.parts)
    name = names[id(node)]
    path = _join(prefix, name)
    # A block taking tensors or returning values of its own computes a forward of its own.
    sequential = is_sequential(node.body) and not node.inputs and not node.returns
    body, params, macs = _build(node.body, path, sequential, memo)
    sharing = _sharing(node, prefix, names)
    if sharing.get("shares"):
        params = 0  # counted where the shared block was first applied
    return make_module(name, path, node.cls, node.block, node.args, body, sequential, node.in_shape,
                       node.out_shape, node.span, params=params, macs=macs, inputs=node.inputs,
                       returns=node.returns, results=node.results, **sharing)


def _sharing(node, prefix: str, names: dict[int, str]) -> dict:
    """The IR's `shared` and `shares` fields of an application of a shared layer (none otherwise)."""
    shared = node.shared
    if shared is None:
        return {}
    if node is shared.first:
        return {"shared": shared.name}
    return {"shared": shared.name, "shares": _join(prefix, names[id(shared.first)])}


def _init(node) -> dict:
    """The IR's `init` and `init_layer` fields of a layer with rules (none otherwise), in tensor order."""
    if node.init is None and node.init_layer is None:
        return {}
    order = [t.name for t in OPS[node.op].tensors]
    return {field: tuple((t, rules[t]) for t in order if t in rules)
            for field, rules in (("init", node.init), ("init_layer", node.init_layer)) if rules}


def _totals(sequences: tuple) -> tuple[int, int]:
    """Parameters and mult-adds of sequences of nodes (a body, a combine's branches).

    A module already holds its totals; a combine counts nothing itself, its branches' layers do.
    """
    params = macs = 0
    for sequence in sequences:
        for node in sequence:
            if node.kind == "combine":
                p, m = _totals(node.branches)
                params, macs = params + p, macs + m
            else:
                params, macs = params + node.params, macs + node.macs
    return params, macs


def class_name(name: str, model: str) -> str:
    """The Python class of a block or named container, in both back-ends: `resnet_block` -> `ResnetBlock`.

    CamelCase of the name, split at `_` and `-` (`Block` when nothing is left of it, as for `__`;
    `Block` before a leading digit, as for a computed `"0"`), with `Block` added
    when it would be the model's class, an `nn` base class, a name the generated file relies
    on, a keyword or a builtin (`none` -> `NoneBlock`). The source back-end numbers structural
    variants (`Residual2`).
    """
    base = "".join(part[:1].upper() + part[1:] for part in re.split(r"[_-]+", name) if part) or "Block"
    if base[0].isdigit():  # a computed name such as `"0"` or `"2x"`
        base = "Block" + base
    if base in _TORCH_CLASSES or base == model or reserved.hides_python_name(base):
        base += "Block"
    return base


# Would read as torch's own classes.
_TORCH_CLASSES = frozenset(("Module", "Sequential", "Tensor"))
