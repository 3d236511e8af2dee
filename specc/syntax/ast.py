"""The typed AST: what both front-ends (the DSL and YAML) produce.

Every node is a frozen pydantic model with a `kind` tag and the `span` of
source it came from. Node unions are discriminated on `kind`, so a dumped
AST validates back into the same nodes (`specc schema` is built on that).

    conv(6, k=5) -> sigmoid

is `Chain(items=[Call(name="conv", args=[Int(6)], kwargs=[Keyword("k", Int(5))]),
Call(name="sigmoid", bare=True)])`.
"""

from __future__ import annotations

from typing import Annotated, Callable, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from ..diagnostics import Span as SpanData


_MISSING = object()
_LAYOUTS: dict[type, tuple[dict, tuple[str, ...]]] = {}

# pydantic keeps a model's state in four slots; frozen models refuse
# `setattr`, so nodes built without validation fill them through the slots.
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def construct(cls, **fields):
    """`cls(**fields)` without validation: the constructor of the YAML front-end.

    The grammar (or the YAML form's models) already guarantee the types, and
    this is several times cheaper than `model_construct`, which runs
    pydantic's field machinery per node. An unknown field fails here; a
    missing one fails validation, and `tests/test_parse.py` validates whole
    parsed ASTs, so the shortcut cannot drift from the models. The DSL's
    tree builder uses `factory`, cheaper again.
    """
    template, lists = _LAYOUTS.get(cls) or _layout(cls)
    values = template.copy()
    values.update(fields)
    for name in lists:  # never share one mutable default between nodes
        if name not in fields:
            values[name] = []
    if len(values) != len(template):
        raise TypeError(f"{cls.__name__} has no field among {sorted(set(values) - set(template))}")
    node = _new(cls)
    _set_dict(node, values)
    _set_fields_set(node, set(fields))
    _set_extra(node, None)
    _set_private(node, None)
    return node


def factory(cls, *names: str):
    """A positional constructor for `cls` taking `names`, without validation: the DSL tree builder's.

        make_int = factory(Int, "span", "value")
        make_int(span, 3) == Int(span=span, value=3)

    The same node `construct` makes, at half the cost again: the function is
    compiled for the class (as `dataclasses` and `namedtuple` compile theirs),
    so it builds the field dict in one literal. Fields not named keep their
    defaults; a required field left out is refused here.
    """
    template, lists = _LAYOUTS.get(cls) or _layout(cls)
    unknown = [name for name in names if name not in template]
    missing = [name for name, value in template.items() if value is _MISSING and name not in names]
    if unknown or missing:
        raise TypeError(f"{cls.__name__}: unknown fields {unknown}, required fields left out {missing}")
    defaults = {name: value for name, value in template.items() if name not in names}
    items = ", ".join(f"{name!r}: {name if name in names else f'_defaults[{name!r}]'}"
                      + ("[:]" if name in lists and name not in names else "") for name in template)
    source = (f"def make({', '.join(names)}):\n"
              f"    node = _new(_cls)\n"
              f"    _set_dict(node, {{{items}}})\n"
              f"    _set_fields_set(node, _fields_set)\n"
              f"    _set_extra(node, None)\n"
              f"    _set_private(node, None)\n"
              f"    return node\n")
    # One set of field names serves every node the function makes: pydantic
    # copies a model's set before it adds to it (`model_copy`), and a frozen
    # model never does otherwise; 200 bytes a node add up over a long spec.
    scope = {"_new": _new, "_cls": cls, "_defaults": defaults, "_fields_set": set(names), "_set_dict": _set_dict,
             "_set_fields_set": _set_fields_set, "_set_extra": _set_extra, "_set_private": _set_private}
    exec(compile(source, f"<factory of {cls.__name__}>", "exec"), scope)  # noqa: S102 - built from field names only
    make = scope["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    return make


def _layout(cls) -> tuple[dict, tuple[str, ...]]:
    """Every field in declaration order with its default (or `_MISSING`), and the fields defaulting to `[]`."""
    template = {name: _MISSING if info.is_required() else info.default for name, info in cls.model_fields.items()}
    lists = tuple(name for name, value in template.items() if isinstance(value, list))
    _LAYOUTS[cls] = template, lists
    return _LAYOUTS[cls]


class Span(SpanData):
    """Where a node came from: a diagnostics span, so errors point at nodes at no cost.

    A named tuple rather than a model: a parse makes one for nearly every
    token, and a tuple costs a quarter of a model to build and a third of
    its memory. pydantic validates and dumps it all the same (as a tuple).
    """

    __slots__ = ()

    def to_diagnostic(self) -> SpanData:
        return self


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    span: Span

    @property
    def where(self) -> SpanData:
        return self.span.to_diagnostic()


# ---------------------------------------------------------------- expressions


class Int(Node):
    kind: Literal["int"] = "int"
    value: int


class Float(Node):
    kind: Literal["float"] = "float"
    value: float


class Bool(Node):
    kind: Literal["bool"] = "bool"
    value: bool


class Str(Node):
    kind: Literal["str"] = "str"
    value: str


class Name(Node):
    kind: Literal["name"] = "name"
    id: str


ShapeAttr = Literal["c", "h", "w", "hw", "shape"]


class InShape(Node):
    """`in.c`, `in.h`, `in.w`, `in.hw` or `in.shape`: the shape flowing into the statement."""

    kind: Literal["in"] = "in"
    attr: ShapeAttr


class ValueShape(Node):
    """`image.hw`, `skip.c`: the shape of a named value (an input, or a value named with `as`)."""

    kind: Literal["value_shape"] = "value_shape"
    name: str
    attr: ShapeAttr


class DictExpr(Node):
    """`{"out": out, "aux": aux}`: a model's outputs by name."""

    kind: Literal["dict"] = "dict"
    keys: list["Expr"]
    values: list["Expr"]


class ListExpr(Node):
    kind: Literal["list"] = "list"
    items: list["Expr"]


class TupleExpr(Node):
    kind: Literal["tuple"] = "tuple"
    items: list["Expr"]


class Index(Node):
    kind: Literal["index"] = "index"
    value: "Expr"
    index: "Expr"


class Slice(Node):
    """`value[lower:upper:step]`, each bound optional, with Python's semantics."""

    kind: Literal["slice"] = "slice"
    value: "Expr"
    lower: Optional["Expr"] = None
    upper: Optional["Expr"] = None
    step: Optional["Expr"] = None


BinaryOp = Literal["+", "-", "*", "/", "//", "%", "**"]
CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]


class BinOp(Node):
    kind: Literal["binop"] = "binop"
    op: BinaryOp
    left: "Expr"
    right: "Expr"


class UnaryOp(Node):
    kind: Literal["unary"] = "unary"
    op: Literal["-", "+", "not"]
    operand: "Expr"


class Compare(Node):
    """A comparison chain, as in Python: `a < b <= c`."""

    kind: Literal["compare"] = "compare"
    first: "Expr"
    ops: list[CompareOp]
    rest: list["Expr"]


class BoolOp(Node):
    kind: Literal["boolop"] = "boolop"
    op: Literal["and", "or"]
    values: list["Expr"]


class IfExp(Node):
    kind: Literal["ifexp"] = "ifexp"
    body: "Expr"
    test: "Expr"
    orelse: "Expr"


class Keyword(Node):
    kind: Literal["keyword"] = "keyword"
    name: str
    value: "Expr"


class Call(Node):
    """`f(args, k=v)`, or a bare `f` in layer position (`bare=True`).

    In an expression it calls a builtin function (`len`, `min`, ...); in a
    chain it is an op or block call. `name_span` locates the callee.
    """

    kind: Literal["call"] = "call"
    name: str
    name_span: Span
    args: list["Expr"] = []
    kwargs: list[Keyword] = []
    bare: bool = False


Expr = Annotated[
    Union[Int, Float, Bool, Str, Name, InShape, ValueShape, DictExpr, ListExpr, TupleExpr, Index, Slice,
          BinOp, UnaryOp, Compare, BoolOp, IfExp, Call],
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- layers


class LayerIf(Node):
    """`a if cond else b` in a chain: one of two layers, chosen at elaboration."""

    kind: Literal["layer_if"] = "layer_if"
    body: "Layer"
    test: Expr
    orelse: "Layer"


Layer = Annotated[Union[Call, LayerIf], Field(discriminator="kind")]


# ---------------------------------------------------------------- statements


BATCH = "N"  # `input N x 3 x 16 x 112 x 112`: the name of the symbolic batch


class Input(Node):
    """`input C x H x W`; a leading fourth (or second) dimension is the batch.

    A leading `N` names the symbolic batch, and the sample may then have any rank from 1 to 4
    (`input N x 3 x 100` is [N, 3, 100]); `N` is a variable instead where one is in scope.

    `input image: 3 x H x W` names it: a model may take several named inputs.
    """

    kind: Literal["input"] = "input"
    dims: list[Expr]
    name: Optional[str] = None
    name_span: Optional[Span] = None

    def names_batch(self, bound: Callable[[str], bool]) -> bool:
        """Whether the first dim is the batch `N` (given whether a name is a variable in scope)."""
        first = self.dims[0] if self.dims else None
        return first is not None and first.kind == "name" and first.id == BATCH and not bound(BATCH)

    def symbols(self, bound: Callable[[str], bool]) -> list[tuple[int, str, "Name"]]:
        """The symbolic sizes (`input 3 x H x W`): (index in the shape, batch first; name; dim) of each bare
        name that is no variable in scope. Only a spatial size (index 2 on) may be one: `check` says so.
        """
        batch = self.names_batch(bound)
        # Where the sample starts in the shape: after `N`, after a batch size (2 or 4 sizes), else at 1.
        offset = 0 if batch or len(self.dims) in (2, 4) else 1
        return [(i + offset, d.id, d) for i, d in enumerate(self.dims)
                if d.kind == "name" and not (batch and i == 0) and not bound(d.id)]


class Output(Node):
    """`output logits`, `output (a, b)`, `output {"out": out, "aux": aux}`: what the model returns."""

    kind: Literal["output"] = "output"
    value: Expr


class Let(Node):
    kind: Literal["let"] = "let"
    name: str
    name_span: Span
    value: Expr


class Chain(Node):
    """`a -> b -> c`: layers applied in turn (a single layer is a chain of one).

    A chain may start from a named value (`skip -> conv(64)`: its first item names it) and
    name its result (`... as skip`, `capture`), or unpack the several results of a block
    (`... as (out, aux)`: `unpack`, one span per name).
    """

    kind: Literal["chain"] = "chain"
    items: list[Layer]
    capture: Optional[str] = None
    capture_span: Optional[Span] = None
    unpack: Optional[list[str]] = None
    unpack_spans: Optional[list[Span]] = None


class Combine(Node):
    """`concat:`, `add:`, `mul:`, `chunk n:` or `split sizes:`; every statement of the body is one branch.

    `concat`, `add` and `mul` give every branch the whole input; `chunk` and
    `split` (channel routing) give each branch its own slice of the channels,
    `parts` saying how many equal slices (`chunk`) or their sizes (`split`),
    and concatenate the branches' outputs.
    """

    kind: Literal["combine"] = "combine"
    op: Literal["concat", "add", "mul", "chunk", "split"]
    body: list["Stmt"]
    parts: Optional[Expr] = None


class Seq(Node):
    """`seq:`: an indented sequence that counts as one statement (one branch).

    `sequential:` (`module=True`) makes the sequence a submodule of its own,
    an `nn.Sequential`, where `seq:` only groups.
    """

    kind: Literal["seq"] = "seq"
    body: list["Stmt"]
    module: bool = False


class Repeat(Node):
    kind: Literal["repeat"] = "repeat"
    count: Expr
    body: list["Stmt"]


class Unpack(Node):
    """`(w, d)` among the targets of a `for`: the item there is unpacked in turn, as in Python."""

    kind: Literal["unpack"] = "unpack"
    targets: list[Union[str, "Unpack"]]
    target_spans: list[Span]


def target_text(targets: list) -> str:
    """The targets of a `for` as written: `i, (w, d)`."""
    return ", ".join(t if isinstance(t, str) else
                     "(" + target_text(t.targets) + ("," if len(t.targets) == 1 else "") + ")" for t in targets)


def target_names(targets: list, spans: list) -> list[tuple[str, Span]]:
    """Every name a `for` binds, nested groups flattened, with its span."""
    out = []
    for target, span in zip(targets, spans):
        if isinstance(target, str):
            out.append((target, span))
        else:
            out.extend(target_names(target.targets, target.target_spans))
    return out


class For(Node):
    """`for i, (w, d) in items:`; one target binds each item whole, several unpack it.

    `targets` holds names and nested `Unpack` groups; `target_spans` the span
    of each. A lone group of several (`for (a, b) in ...`) is the same loop
    as `for a, b in ...`, and both front-ends build it that way.
    """

    kind: Literal["for"] = "for"
    targets: list[Union[str, Unpack]]
    target_spans: list[Span]
    iter: Expr
    body: list["Stmt"]


class IfBranch(Node):
    kind: Literal["if_branch"] = "if_branch"
    test: Expr
    body: list["Stmt"]


class If(Node):
    """`if/elif/else`; `branches` holds the `if` and each `elif` in order."""

    kind: Literal["if"] = "if"
    branches: list[IfBranch]
    orelse: Optional[list["Stmt"]] = None


class Default(Node):
    """`default batchnorm(momentum=0.01)`: the op's defaults from here to the end of the body.

    They reach every later call of the op in this body and in the blocks it
    calls (dynamic scope); an inner `default` overrides an outer one, and a
    call's own arguments override both.
    """

    kind: Literal["default"] = "default"
    op: str
    op_span: Span
    kwargs: list[Keyword] = []


class Init(Node):
    """`init conv, linear: weight=xavier_uniform, bias=zeros`: how later layers of those ops are initialised.

    Each rule is a keyword: the tensor it initialises (`weight`), and the rule,
    a name (`zeros`) or a call (`normal(std=0.01)`) of the catalogue
    (`specc/initializers.py`). Rules by op reach later layers in this body and
    in the blocks it calls (dynamic scope, as `default`), an inner rule
    overriding an outer one tensor by tensor. `init layer fc: ...` (`layer`
    set, `ops` empty) sets the rules of the one layer named `fc` (by `fc = ...`
    or `let fc = ...`) of this module, over any rule by op.
    """

    kind: Literal["init"] = "init"
    ops: list[str] = []
    op_spans: list[Span] = []
    layer: Optional[str] = None
    layer_span: Optional[Span] = None
    rules: list[Keyword]

    def target_text(self) -> str:
        """`conv, linear` or `layer fc`: what stands between `init` and `:`."""
        return f"layer {self.layer}" if self.layer is not None else ", ".join(self.ops)


class Named(Node):
    """`name = statement`: the layer or container gets a stable attribute name.

    A quoted name (`"block{i}-0" = ...`) may hold characters other than an
    identifier's and `{expression}`s computed at elaboration
    (`syntax/templates.py`); `name` is its text without the quotes.
    """

    kind: Literal["named"] = "named"
    name: str
    name_span: Span
    stmt: Annotated[Union[Chain, Combine, Seq, Repeat], Field(discriminator="kind")]


Stmt = Annotated[
    Union[Input, Let, Chain, Combine, Seq, Repeat, For, If, Named, Default, Output, Init],
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- definitions


class Param(Node):
    """A parameter of a block or model: `channels`, `stride=1`, or `skip: tensor`.

    A tensor parameter (`tensor`) is a named value inside the block, given by a value of the caller.
    """

    kind: Literal["param"] = "param"
    name: str
    default: Optional[Expr] = None
    tensor: bool = False


class BlockDef(Node):
    kind: Literal["block"] = "block"
    name: str
    name_span: Span
    params: list[Param]
    body: list[Stmt]

    def param(self, name: str) -> Optional[Param]:
        return next((p for p in self.params if p.name == name), None)


class ModelDef(Node):
    """`model Name(params): body`, or `model Name = Base(k=v)`: `Base` with other defaults.

    A derived model (`extends` set) has no params or body of its own;
    `resolve.Program.model` gives it the base's, with `defaults` as the new
    defaults of the parameters they name.
    """

    kind: Literal["model"] = "model"
    name: str
    name_span: Span
    params: list[Param]
    body: list[Stmt]
    extends: Optional[str] = None
    extends_span: Optional[Span] = None
    defaults: list[Keyword] = []


class OpArg(Node):
    """One argument of a declared op: `units: channels`, `scale: float = 1.0`, `k=3`.

    `type` is its kind (`declared.KINDS`: `int`, `channels`, `size`, ...), None
    for any value; `kind` is taken by the node's tag.
    """

    kind: Literal["op_arg"] = "op_arg"
    name: str
    type: Optional[str] = None
    type_span: Optional[Span] = None
    default: Optional[Expr] = None


class OpDef(Node):
    """`op name(args) = pkg.mod.Class(call args): rules`: an op that the user's own torch module implements.

        op my_linear(units: channels) = examples.seeds.layers.MyLinear(in.c, units):
            shape: [in.shape[0], units]
            params: in.c * units + units

    `target` is the class's dotted import path; `call_args` and `call_kwargs`
    say what its constructor gets, as expressions over the op's arguments and
    `in`. The rules are expressions over the same: `shape` (the output shape;
    None keeps the input's), `params` (the parameter count; None is 0) and
    `macs` (mult-adds per sample; None is 0).
    """

    kind: Literal["op"] = "op"
    name: str
    name_span: Span
    args: list[OpArg] = []
    target: str
    target_span: Span
    call_args: list[Expr] = []
    call_kwargs: list[Keyword] = []
    shape: Optional[Expr] = None
    params: Optional[Expr] = None
    macs: Optional[Expr] = None


OP_RULES = ("shape", "params", "macs")  # the rules of an `op` declaration, in the order they are written


class Use(Node):
    """`use d2l` (a bundled library, `is_path=False`) or `use "blocks.spec"`."""

    kind: Literal["use"] = "use"
    target: str
    is_path: bool


class Module(Node):
    """One spec file: its `use` lines, declared ops, blocks and models, in source order."""

    kind: Literal["module"] = "module"
    file: str
    uses: list[Use] = []
    blocks: list[BlockDef] = []
    models: list[ModelDef] = []
    ops: list[OpDef] = []
