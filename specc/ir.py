"""The layer graph IR: concrete ops with every shape known. The one input of every back-end.

A `Graph` is a tree of modules; data flows along it, splitting in the
combinators (`concat`, `add`, `mul`, `chunk`, `split`), which join again right
after, and across it through named values (`Value` nodes, a block's `inputs`
and `results`), which make it a DAG:

    Graph(model="LeNet", input=("N", 1, 28, 28), body=(
        Layer(op="conv", name="0", path="0", out_shape=("N", 6, 28, 28), ...),
        Layer(op="sigmoid", name="1", path="1", ...), ...))

- `Layer`: one primitive op with concrete arguments. It is a module of its
  own (`module=True`) except `identity`, which only passes data through.
  A layer of a declared op (`op name = pkg.mod.Class(...)`) carries the
  declaration as an op (`declared`), in place of an entry of `ops.OPS`.
- `Combine`: `concat`, `add` or `mul` of branches that each read the whole
  input, or `chunk`/`split`, whose branches each read a slice of the
  channels (`parts`) and are concatenated; not a module: its branch layers
  are children of the enclosing module, which computes the combination.
- `Module`: a submodule: a block instance, a named chain or a named container.
  `sequential` says its body is a plain sequence (it compiles to
  `nn.Sequential`). A block instance may read named values of its caller
  (`inputs`) and return several values (`returns`, unpacked into `results`).
- `Value`: a named value written (`... as skip`) or read (`skip -> ...`).

`path` is the dotted path of `named_modules()` in the built module; for the
nodes that are not modules it is the path of the module that computes them.
The IR knows no back-end: each back-end lowers a `Layer` through its own
table (`backends/torch_lowering.py`).
The IR uses frozen dataclasses rather than pydantic: it is built once per
layer on the hot path of `specc shapes`, which must stay fast on ResNet-152.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Union

from .diagnostics import Span
from .ops import OPS, Shape


@dataclass(frozen=True, slots=True)
class Layer:
    op: str
    args: dict
    name: str
    path: str
    in_shape: Shape
    out_shape: Shape
    params: int
    macs: int
    span: Span
    kind: str = "layer"
    # `let fc = linear(8)` applied here: `shared` is its name; `shares` the path of the module it is,
    # on every application after the first (which owns it and counts its parameters).
    shared: Optional[str] = None
    shares: Optional[str] = None
    # `init` rules, ((tensor, initializers.Rule), ...) in the op's tensor order: by op (`init linear:
    # ...` in force where the layer was made), and for this layer (`init layer fc: ...`), which win.
    init: tuple = ()
    init_layer: tuple = ()
    # A declared op (`op my_linear = pkg.mod.MyLinear(...)`): its `declared.DeclaredOp`, which stands
    # in for the op's entry in `ops.OPS` and its row of the torch table. None for the built-in ops.
    declared: Optional[Any] = None

    @property
    def module(self) -> bool:
        return self.op != "identity"

    def rules(self) -> dict:
        """The rule each tensor is initialised by, tensor -> Rule (those without one keep torch's default)."""
        return {**dict(self.init), **dict(self.init_layer)}

    def short_args(self) -> str:
        return (self.declared or OPS[self.op]).short(self.args)


@dataclass(frozen=True, slots=True)
class Combine:
    op: str  # "concat", "add", "mul", or "chunk"/"split" (each branch a slice of the channels, then concat)
    branches: tuple[tuple["Node", ...], ...]
    path: str
    in_shape: Shape
    out_shape: Shape
    span: Span
    parts: Optional[tuple[int, ...]] = None  # `chunk`/`split`: the channels of each branch's slice
    kind: str = "combine"
    params: int = 0
    macs: int = 0
    module: bool = False


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    path: str
    cls: str  # the block's name, or the statement's name for a named container
    block: Optional[str]  # the block definition it instantiates, if any
    args: dict  # the block's evaluated arguments
    body: tuple["Node", ...]
    sequential: bool
    in_shape: Shape
    out_shape: Shape
    span: Span
    params: int = 0
    macs: int = 0
    kind: str = "module"
    module: bool = True
    shared: Optional[str] = None
    shares: Optional[str] = None
    # A block's tensor parameters, ((parameter, the caller's value it is given), ...): its forward takes
    # them after its input (`self.up(x, skip)`). `returns`: the values inside it that it returns (its
    # `output`; empty: what flows out of its body); `results`: the caller's names for them when it
    # returns several (`as (out, aux)`), after which no data flows on: the next chain reads a value.
    inputs: tuple = ()
    returns: tuple = ()
    results: tuple = ()


@dataclass(frozen=True, slots=True)
class Value:
    """A named value: `... as skip` writes the data flowing here into `skip`; `skip -> ...` reads it back.

    Not a module; `path` is the module whose forward holds the value.
    """

    op: str  # "write" or "read"
    name: str
    path: str
    in_shape: Shape
    out_shape: Shape
    span: Span
    kind: str = "value"
    params: int = 0
    macs: int = 0
    module: bool = False
    shared: Optional[str] = None
    shares: Optional[str] = None


Node = Union[Layer, Combine, Module, Value]


def builder(cls):
    """A constructor for the frozen, slotted IR class `cls`, several times cheaper than `cls(...)`.

        make_layer = builder(Layer)
        make_layer("relu", {}, "relu", "relu", shape, shape, 0, 0, span) == Layer("relu", {}, ...)

    A frozen dataclass's `__init__` sets each field through `object.__setattr__`,
    ~0.1 us a field. This fills a twin class with the same slots and no frozen
    `__setattr__` (plain attribute stores), then makes the node the frozen class:
    Python allows assigning `__class__` between classes whose instances have
    the same layout. The function is compiled for the class, as `dataclasses`
    compiles its own, and takes the same arguments with the same defaults.
    Naming builds one IR node per layer of every block call.
    """
    fields = dataclasses.fields(cls)
    params = ", ".join(f.name if f.default is dataclasses.MISSING else f"{f.name}=_default_{f.name}"
                       for f in fields)
    lines = [f"def make({params}):", "    node = _new(_twin)"]
    lines += [f"    node.{f.name} = {f.name}" for f in fields]
    lines += ["    node.__class__ = _cls", "    return node"]
    twin = type(f"_Mutable{cls.__name__}", (), {"__slots__": cls.__slots__})
    scope = {"_new": object.__new__, "_cls": cls, "_twin": twin}
    for f in fields:
        if f.default is not dataclasses.MISSING:
            scope[f"_default_{f.name}"] = f.default
    exec(compile("\n".join(lines) + "\n", f"<builder of {cls.__name__}>", "exec"), scope)  # noqa: S102
    return scope["make"]


make_layer = builder(Layer)
make_combine = builder(Combine)
make_module = builder(Module)
make_value = builder(Value)


@dataclass(frozen=True)
class Graph:
    model: str
    file: str
    params_values: dict[str, Any]
    overrides: dict[str, Any]
    input: Shape
    output: Shape
    body: tuple[Node, ...]
    sequential: bool
    span: Span
    total_params: int = 0
    total_macs: int = 0
    extra: dict = field(default_factory=dict)
    # The model's inputs in order, (name, shape): ("x", input) unless `input` names them; and what
    # `output` returns (a tree, see `elaborate._outputs`), None when the model returns its flow.
    inputs: tuple = ()
    outputs: Optional[tuple] = None
    name_span: Optional[Span] = None  # the model's name, where a diagnostic about the whole model points
    # An input with symbolic sizes (`input 3 x H x W`): their description (`sizes.Sizes`: each row's
    # sizes as expressions, the valid inputs); the graph itself is elaborated at the smallest valid input.
    sizes: Optional[Any] = None

    def _repr_html_(self) -> str:
        """In Jupyter, the shapes table with every column, as HTML (`report.to_html`)."""
        from .report import to_html  # the report reads the IR: imported here, not at the top

        return to_html(self)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a shapes report: a node with its nesting depth (blocks) and indent (display)."""

    node: Node
    depth: int
    indent: int


def walk(body: tuple[Node, ...], depth: int = 0, indent: int = 0) -> Iterator[Row]:
    """Every node in forward order: a module before its contents, a combine after its branches."""
    for node in body:
        if node.kind == "module":
            yield Row(node, depth, indent)
            yield from walk(node.body, depth + 1, indent + 1)
        elif node.kind == "combine":
            for branch in node.branches:
                yield from walk(branch, depth, indent + 1)
            yield Row(node, depth, indent)
        else:
            yield Row(node, depth, indent)


def attributes(body) -> Iterator:
    """The nodes of `body` that are attributes of the module owning it, in forward order.

    A combine is no module: its branches' nodes belong to the enclosing one; `identity` is
    none either. Reads only `kind`, `op` and `branches`, so naming's drafts walk the same way.
    """
    for node in body:
        if node.kind == "combine":
            for branch in node.branches:
                yield from attributes(branch)
        elif node.kind == "module" or node.kind == "layer" and node.op != "identity":
            yield node


def leaves(body: tuple[Node, ...]) -> Iterator[Node]:
    """Layers and combines, the rows whose counts add up to the totals."""
    for row in walk(body):
        if row.node.kind != "module":
            yield row.node


def modules(body: tuple[Node, ...]) -> Iterator[Node]:
    for row in walk(body):
        if row.node.kind == "module":
            yield row.node
