"""Elaboration: AST -> layer graph IR, inferring every shape on the way.

Evaluates model parameters (defaults, then `--set` overrides), expressions,
`let`, `repeat`, `for` and `if`; expands block calls; binds every op call to
concrete arguments and runs its shape rule on the shape flowing in. The
result is a `Draft`: a mutable tree that the pipeline's next stage,
`naming.assign`, turns into the named, frozen IR.

    draft = elaborate(program, model="VGG11", overrides={"ratio": 4})
    draft.output   # ('N', 10)

Bounded by `LIMITS` (`specc/limits.py`): steps of work, nesting, block
recursion, repeat counts, layer and instance counts, sizes and parameter
totals all end in a diagnostic, never a hang or an out-of-memory.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional, Union

from . import reserved
from .backends.torch_lowering import lower_layer
from .check import INPUT_HELP, default_arguments, init_ops, init_rule, rank_help, unpacking
from .declared import DeclaredOp
from .diagnostics import Span, SpecError, suggest
from .expr import Env, brief, charging, describe, evaluate, is_int
from .initializers import CATALOGUE, Initializer, Rule, RuleProblem, bind_rule
from .limits import LIMITS, Budget, with_room
from .ops import OPS, SPATIAL_LETTERS, Op, OpProblem, Shape, accepts, coerce, format_shape
from .resolve import Program
from .syntax import ast, templates
from .syntax.ast import BATCH
from .syntax.visit import StatementVisitor

SEQUENTIAL = "sequential"  # the class of an unnamed `sequential:`: a plain nn.Sequential
IMPLICIT_INPUT = "x"  # the name of a model's one input when `input` names none (`forward(self, x)`)


# ---------------------------------------------------------------- draft nodes


@dataclass
class DraftLayer:
    op: str
    args: dict
    in_shape: Shape
    out_shape: Shape
    params: int
    macs: int
    span: Span
    name: Optional[str] = None
    shared: Optional["SharedLayer"] = None  # an application of `let name = ...`
    kind: str = "layer"
    # `init` rules, tensor -> Rule: by op (`init linear: ...` in force where the layer is made, for the
    # tensors it has) and for this layer (`init layer fc: ...`), which win.
    init: Optional[dict] = None
    init_layer: Optional[dict] = None
    declared: Optional[DeclaredOp] = None   # a declared op's layer (`op name = pkg.mod.Class(...)`)


@dataclass
class DraftCombine:
    op: str
    branches: list[list]
    in_shape: Shape
    out_shape: Shape
    span: Span
    parts: Optional[tuple[int, ...]] = None  # `chunk`/`split`: the channels each branch receives
    kind: str = "combine"


@dataclass
class DraftModule:
    cls: str
    block: Optional[str]
    args: dict
    body: list
    in_shape: Shape
    out_shape: Shape
    span: Span
    name: Optional[str] = None
    shared: Optional["SharedLayer"] = None
    kind: str = "module"
    # A block's tensor parameters, ((parameter, the caller's value), ...); the values inside it that it
    # returns (`output`; none: its flow); and the caller's names for them when several (`as (a, b)`).
    inputs: tuple = ()
    returns: tuple = ()
    results: tuple = ()
    result_shapes: tuple = ()  # the shapes of `returns`


@dataclass(eq=False)
class SharedLayer:
    """`let fc = linear(8)`: one module, applied wherever `fc` stands in a chain of the same module.

    Its first application builds it (`first`: that draft node, named as the module's child);
    every later one must need the same module (`construction`), and counts no parameters.
    """

    name: str
    call: ast.Call
    env: Env                         # where the call's arguments are evaluated
    owner: object                    # the module body it belongs to (`_Elaborator.module`)
    first: Optional[object] = None
    construction: Any = None


@dataclass
class DraftValue:
    """A named value at a point of a body: `... as skip` writes it, `skip -> ...` reads it."""

    op: str  # "write" or "read"
    name: str
    in_shape: Shape
    out_shape: Shape
    span: Span
    kind: str = "value"
    written: Optional[int] = None  # a read: the line where the value was made, for messages about it


@dataclass
class Draft:
    """One elaborated model: its body as draft nodes, every shape known, nothing named yet.

    `inputs` names the model's inputs in order (`x` when it declares one unnamed input);
    `outputs` is what `output` returns (None: what flows out of the body), see `_outputs`.
    """

    definition: ast.ModelDef
    body: list
    input: Shape
    output: Shape
    params: dict[str, Any]
    overrides: dict[str, Any]
    inputs: tuple[tuple[str, Shape], ...] = ()
    outputs: Any = None
    sizes: Any = None  # a `sizes.Sizes` when the input has symbolic sizes (elaborated at the smallest valid)


@dataclass(frozen=True)
class OpDefaults:
    """What is in force for ops here: `default` statements' `{op: {argument: value}}`, values normalised,
    and `init` statements' rules `{op: {tensor: Rule}}`.

    Held by the `Env` of each scope (both are dynamically scoped); `key` identifies them in the
    block-body cache.
    """

    by_op: dict
    key: tuple
    inits: dict = field(default_factory=dict)

    @staticmethod
    def merged(outer: Optional["OpDefaults"], op: str, values: dict) -> "OpDefaults":
        """`outer` with `values` set for `op`: the new values win, argument by argument."""
        by_op = dict(outer.by_op) if outer is not None else {}
        by_op[op] = {**by_op.get(op, {}), **values}
        return OpDefaults._made(by_op, outer.inits if outer is not None else {})

    @staticmethod
    def with_rules(outer: Optional["OpDefaults"], ops: list[str], rules: dict) -> "OpDefaults":
        """`outer` with the init `rules` set for each of `ops`: the new rules win, tensor by tensor."""
        inits = dict(outer.inits) if outer is not None else {}
        for op in ops:
            inits[op] = {**inits.get(op, {}), **rules}
        return OpDefaults._made(outer.by_op if outer is not None else {}, inits)

    @staticmethod
    def _made(by_op: dict, inits: dict) -> "OpDefaults":
        key = tuple((name, _frozen(tuple(sorted(args.items(), key=_first)))) for name, args in sorted(by_op.items()))
        if inits:
            rules_key = tuple((op, tuple(sorted(rules.items(), key=_first))) for op, rules in sorted(inits.items()))
            key += (("init", rules_key),)
        return OpDefaults(by_op, key, inits)


class _ModuleScope:
    """The module whose body is being elaborated: its named layers, and the `init layer` rules for them.

    A token too: a shared layer is applied only in the module that makes it (`SharedLayer.owner`).
    """

    __slots__ = ("named", "overrides")

    def __init__(self) -> None:
        self.named: dict[str, object] = {}  # name -> the draft node with that attribute name
        self.overrides: list[tuple[ast.Init, dict]] = []  # `init layer name: ...`, with its bound rules


@dataclass
class _State:
    layers: int = 0
    params: int = 0
    nodes: int = 0  # block instances and combinator branches (`LIMITS["nodes"]`)
    depth: int = 0  # block calls under way
    nesting: int = 0  # bodies under way, across blocks (`LIMITS["nesting"]`)
    stack: list[str] = field(default_factory=list)
    budget: Budget = field(default_factory=Budget)


# ---------------------------------------------------------------- entry point


def elaborate(program: Program, model: Optional[str] = None, overrides: Optional[dict] = None,
              input_shape: Optional[tuple] = None, steps: Optional[Budget] = None,
              every_size: bool = False) -> Draft:
    """Elaborate one model of `program` (see the module docstring); its steps count towards `steps` too.

    An input with symbolic sizes (`input 3 x H x W`, `--input 3xHxW`; with `every_size`, every spatial
    size of the input) is described by `sizes.describe`, and the model elaborated at its smallest valid
    input; the description rides along as `Draft.sizes`.
    """
    definition = program.model(model)
    overrides = overrides or {}
    pattern = input_pattern(program, definition, overrides, input_shape, every_size)
    if pattern is None:
        return _Elaborator(program, steps).model(definition, overrides, input_shape)
    from .sizes import describe  # (the engine runs trial elaborations: it imports this module)

    sizes = describe(program, definition, overrides, pattern, steps)
    draft = _Elaborator(program, steps).model(definition, overrides, sizes.smallest_input)
    draft.sizes = sizes
    return draft


def input_pattern(program: Program, definition: ast.ModelDef, overrides: dict, given: Optional[tuple],
                  every_size: bool = False) -> Optional[Shape]:
    """The model's first input as a shape whose symbolic sizes are names (`("N", 3, "H", "W")`), or None.

    From `--input` when given, else from the model's `input`; with `every_size`, each spatial size is
    a name (`H`, `W`; `L`; `D`, `H`, `W`) whatever was written.
    """
    if given is not None:
        # A name in `--input` (or the API's `input=`) is a symbolic size; any other text is no size (E0401).
        sizes = [Symbol(d) if isinstance(d, str) and d != BATCH and d.isidentifier() else d for d in given]
        shape = _shape_from_sizes(sizes, definition.name_span.to_diagnostic(), "--input", symbols=True)
        if isinstance(shape[0], str) and shape[0] != BATCH or len(shape) > 1 and isinstance(shape[1], str):
            raise SpecError("E0502", f"expected numbers for the batch and channels of `--input`, found "
                            f"{format_shape(shape)}", definition.name_span.to_diagnostic(),
                            help="only spatial sizes may be symbolic: (3, \"H\", \"W\") or (\"N\", 3, \"H\", \"W\")")
    else:
        stmt = declared_input(definition)
        if stmt is None:
            return None
        elaborator = _Elaborator(program)
        with charging(elaborator.state.budget):
            env = Env(elaborator._model_params(definition, overrides))
            shape = _shape_from_sizes(_input_sizes(stmt, env), stmt.where, "input", symbols=True)
    if every_size:
        letters = SPATIAL_LETTERS.get(len(shape), "")
        shape = (*shape[:len(shape) - len(letters)], *letters)
    shape = tuple(str(d) if isinstance(d, Symbol) else d for d in shape)
    return shape if any(isinstance(d, str) and i > 0 for i, d in enumerate(shape)) else None


class Symbol(str):
    """A symbolic size's name (`H` of `input 3 x H x W`), told apart from a string a spec computes."""


def _input_sizes(stmt: ast.Input, env: Env) -> list:
    """The sizes an `input` writes, evaluated; `N` for the batch, and a symbolic size as its name."""
    bound = lambda name: env.get(name) is not None  # noqa: E731
    batch = stmt.names_batch(bound)
    symbolic = {id(dim) for _, _, dim in stmt.symbols(bound)}
    return [BATCH if batch and i == 0 else Symbol(d.id) if id(d) in symbolic else evaluate(d, env)
            for i, d in enumerate(stmt.dims)]


def declared_input(definition: ast.ModelDef) -> Optional[ast.Input]:
    """The model's `input` statement, or None: a model without one elaborates only with `--input`."""
    return next((stmt for stmt in definition.body if stmt.kind == "input"), None)


def parameters(program: Program, definition: ast.ModelDef, overrides: dict) -> dict:
    """The model's parameter values: defaults, then `overrides`, each checked (E0501) as elaboration checks it."""
    return _Elaborator(program)._model_params(definition, overrides)


class _Elaborator(StatementVisitor):
    def __init__(self, program: Program, steps: Optional[Budget] = None) -> None:
        self.program = program
        self.state = _State(budget=Budget(parent=steps))
        self.input_sizes: Optional[tuple[str, list]] = None  # how the input was written, for E0304's help
        # A block body is a function of (block, arguments, incoming shape) alone (blocks see
        # only their parameters), so identical calls share one elaborated body: ResNet-152's
        # 36 bottlenecks of stage 3 are elaborated once. Keyed by depth too, so that the
        # recursion limit still applies where the call is. Each entry holds the body and
        # what it counts towards the model's limits: layers, parameters, nodes.
        self._bodies: dict[tuple, tuple[list, int, int, int]] = {}
        self.outputs: Optional[tuple] = None  # what the model's `output` returns (`_outputs`)
        # The module whose body is being elaborated: shared layers are applied in their own.
        self.module = _ModuleScope()
        # Each `op` declaration as an op, made when first called (by the declaration's id; it holds it).
        self._declared: dict[int, DeclaredOp] = {}
        # Where each named value was made, by (id of its module's values, name): messages about a
        # join name the producers. (Each module's values dict lives as long as its body's elaboration.)
        self._written: dict[tuple[int, str], int] = {}
        self.suggest = True  # whether an error looks for input sizes that fit (not in a trial of a search)

    # -- the model

    @with_room
    def model(self, definition: ast.ModelDef, overrides: dict, input_shape: Optional[tuple]) -> Draft:
        with charging(self.state.budget):
            return self._model(definition, overrides, input_shape)

    def _model(self, definition: ast.ModelDef, overrides: dict, input_shape: Optional[tuple]) -> Draft:
        env = Env(self._model_params(definition, overrides))
        inputs = self._inputs(definition, env, input_shape)
        shape = inputs[0][1]
        self.outputs = None
        try:
            body = self.body(definition.body, self._model_env(env, inputs), shape)
            self._settle(self.module)
        except SpecError as error:
            # A search re-elaborates the model up to ~130 times (`Search` bounds the work of all the
            # trials together): only for a model of modest size up to the error.
            budget = self.state.budget
            modest = (self.suggest and self.state.layers <= SEARCH_LAYERS
                      and budget.total - budget.left <= SEARCH_STEPS)
            if error.code == "E0303" and error.axis and modest:
                _add_smallest_input(error, self.program, definition, overrides, shape)
            elif error.code in JOINS and getattr(error, "axis", None) and modest:
                _add_nearest_inputs(error, self.program, definition, overrides, shape)
            _add_call_stack(error)
            raise
        out = body[-1].out_shape if body else shape
        if self.outputs is not None:
            out = first_output(self.outputs, eval_mode=True)
        return Draft(definition, body, shape, out, dict(env.vars), dict(overrides), tuple(inputs), self.outputs)

    def fits(self, definition: ast.ModelDef, overrides: dict, input_shape: tuple, axis: str) -> bool:
        """Whether the model elaborates from `input_shape` without a size reaching zero along `axis`."""
        with charging(self.state.budget):
            env = Env(self._model_params(definition, overrides))
            inputs = self._inputs(definition, env, input_shape)
            try:
                self.body(definition.body, self._model_env(env, inputs), inputs[0][1])
            except SpecError as error:
                return not (error.code in ("E0303", *JOINS) and getattr(error, "axis", None) == axis)
            return True

    @staticmethod
    def _model_env(env: Env, inputs: list) -> Env:
        """The scope of a model's body: its parameters, the first input flowing in, every named input a value."""
        body = env.module_child(inputs[0][1])
        body.values.update((name, shape) for name, shape in inputs if name != IMPLICIT_INPUT)
        return body

    def _model_params(self, definition: ast.ModelDef, overrides: dict) -> dict:
        values: dict[str, Any] = {}
        known = {p.name: p for p in definition.params}
        for name in overrides:
            if name not in known:
                help = suggest(name, known) or (
                    "parameters of this model: " + ", ".join(f"`{p}`" for p in known) if known
                    else "this model has no parameters")
                raise SpecError("E0501", f"`--set {name}=...`: `{definition.name}` has no parameter `{name}`",
                                definition.name_span.to_diagnostic(), label="the model", help=help)
        for param in definition.params:
            default = evaluate(param.default, Env(dict(values))) if param.default is not None else None
            values[param.name] = default
            if param.name in overrides:
                values[param.name] = _check_override(param, default, overrides[param.name])
        return values

    def _inputs(self, definition: ast.ModelDef, env: Env, given: Optional[tuple]) -> list[tuple[str, Shape]]:
        """The model's inputs in order, (name, shape); `--input` gives the first one's shape."""
        inputs = []
        for stmt in (s for s in definition.body if s.kind == "input"):
            sizes = _input_sizes(stmt, env)
            if not inputs:
                self.input_sizes = ("input", sizes)
            # A symbolic size stands only where `--input` (the sizes engine's trial) gives the shape.
            symbols = given is not None and not inputs
            inputs.append((stmt.name or IMPLICIT_INPUT, _shape_from_sizes(sizes, stmt.where, "input", symbols)))
        if given is not None:
            self.input_sizes = ("--input", list(given))
            shape = _shape_from_sizes(list(given), definition.name_span.to_diagnostic(), "--input")
            # A batch given for the first input is every input's batch: they enter one forward together.
            others = [(name, (shape[0], *rest[1:]) if rest[0] == "N" else rest) for name, rest in inputs[1:]]
            return [(inputs[0][0] if inputs else IMPLICIT_INPUT, shape), *others]
        if inputs:
            return inputs
        raise SpecError("E0309", f"expected an input shape for `{definition.name}`, found none",
                        definition.name_span.to_diagnostic(), label="this model declares no `input`",
                        help="add `input C x H x W` as the first line of the model, or pass `--input CxHxW`")

    # -- statements

    def body(self, stmts, env: Env, shape: Shape) -> list:
        """Elaborate a sequence of statements from `shape`; returns the draft nodes in order."""
        self._enter(stmts)
        try:
            nodes: list = []
            unpacked = None  # the call whose several results were just unpacked: no data flows on from it
            for stmt in stmts:
                produced = self.visit(stmt, env, shape)
                if produced:
                    if unpacked is not None and not _reads_first(produced):
                        raise _no_flow(stmt, unpacked)
                    nodes.extend(produced)
                    shape = produced[-1].out_shape
                    env = env.after(shape)
                    unpacked = produced[-1] if produced[-1].kind == "module" and produced[-1].results else None
            if unpacked is not None and (not stmts or stmts[-1].kind != "output"):
                raise SpecError("E0321", f"expected `output` after unpacking the results of `{unpacked.cls}`, found "
                                "the end of the body", unpacked.span, label="no data flows on from here",
                                help="say what the body returns: `output (" + ", ".join(unpacked.results) + ")` or "
                                     "one of them")
            return nodes
        finally:
            self.state.nesting -= 1

    def _enter(self, stmts) -> None:
        """Start a body: its statements are steps (so are loop iterations), and it nests one level deeper."""
        state = self.state
        state.budget.spend(len(stmts), stmts[0].where if stmts else None)
        if state.nesting >= LIMITS["nesting"]:
            raise self._too_deep(stmts)
        state.nesting += 1

    def _too_deep(self, stmts) -> SpecError:
        chain = " -> ".join(self.state.stack[-4:]) or "the model"
        return SpecError("E0406", f"expected statements and block calls nested at most {LIMITS['nesting']} deep "
                         f"in all, found deeper (in {chain})", stmts[0].where if stmts else None,
                         label="nested too deeply here",
                         help="each block call and each indented body adds a level; a block that calls itself "
                              "inside `if`s adds them all at every call")

    # One handler per statement kind (`self.visit(stmt, env, shape)`): the draft nodes
    # the statement produces from `shape`; none for `input` and `let`.

    def visit_input(self, stmt: ast.Input, env: Env, shape: Shape) -> list:
        return []  # read by `_input` before the body runs

    def visit_let(self, stmt: ast.Let, env: Env, shape: Shape) -> list:
        value = stmt.value
        if value.kind == "call" and (value.name in OPS or value.name in self.program.scope_of(value)
                                     or value.name in self.program.ops_of(value)):
            env.vars[stmt.name] = SharedLayer(stmt.name, value, env.child(shape), self.module)
        else:
            env.vars[stmt.name] = evaluate(value, env.child(shape))
        return []

    def visit_chain(self, stmt: ast.Chain, env: Env, shape: Shape) -> list:
        return self.chain(stmt, env, shape)

    def visit_combine(self, stmt: ast.Combine, env: Env, shape: Shape) -> list:
        return [self.combine(stmt, env, shape)]

    def visit_seq(self, stmt: ast.Seq, env: Env, shape: Shape) -> list:
        if not stmt.module:
            return self.body(stmt.body, env.child(shape), shape)
        with self._inner_module():
            nodes = self.body(stmt.body, env.module_child(shape), shape)
        # `sequential:`: the statements as a submodule of their own, as torchvision nests its nn.Sequentials.
        out = nodes[-1].out_shape if nodes else shape
        return [DraftModule(cls=SEQUENTIAL, block=None, args={}, body=nodes, in_shape=shape, out_shape=out,
                            span=stmt.where)]

    def visit_repeat(self, stmt: ast.Repeat, env: Env, shape: Shape) -> list:
        return self.repeat(stmt, env, shape)

    def visit_for(self, stmt: ast.For, env: Env, shape: Shape) -> list:
        return self.for_(stmt, env, shape)

    def visit_if(self, stmt: ast.If, env: Env, shape: Shape) -> list:
        chosen = self._choose(stmt, env.child(shape))
        return self.body(chosen, env.child(shape), shape) if chosen is not None else []

    def visit_named(self, stmt: ast.Named, env: Env, shape: Shape) -> list:
        return self.named(stmt, env, shape)

    def chain(self, stmt: ast.Chain, env: Env, shape: Shape) -> list:
        read, layers, write = self._chain_parts(stmt, env, shape)
        return [*read, *layers, *write]

    def _chain_parts(self, stmt: ast.Chain, env: Env, shape: Shape) -> tuple[list, list, list]:
        """A chain's value read (`skip -> ...`), its layers, and its value write (`... as name`)."""
        items, read, write = stmt.items, [], []
        values = env.values if env.values is not None else {}
        first = items[0] if items else None
        if first is not None and first.kind == "call" and first.bare and first.name in values:
            read = [self._read(first, values, shape)]
            shape, items = values[first.name], items[1:]
        layers = []
        for layer in items:
            node = self.layer(layer, env.child(shape), shape)
            layers.append(node)
            shape = node.out_shape
        unpacking(stmt, [(node.cls if node.kind == "module" else node.op,
                          len(node.returns) if node.kind == "module" and node.returns else 1, node.span)
                         for node in layers])
        if stmt.capture is not None:
            self._write(values, stmt.capture, shape, stmt.capture_span.line)
            write = [DraftValue("write", stmt.capture, shape, shape, stmt.capture_span.to_diagnostic())]
        if stmt.unpack is not None:
            block = layers[-1]
            block.results = tuple(stmt.unpack)
            for name, result, span in zip(stmt.unpack, block.result_shapes, stmt.unpack_spans):
                self._write(values, name, result, span.line)
        return read, layers, write

    def _write(self, values: dict, name: str, shape: Shape, line: int) -> None:
        values[name] = shape
        self._written[(id(values), name)] = line

    def _read(self, item: ast.Call, values: dict, shape: Shape) -> DraftValue:
        """`skip -> ...`: a read of the value `skip`, knowing where it was made."""
        return DraftValue("read", item.name, shape, values[item.name], item.where,
                          written=self._written.get((id(values), item.name)))

    def visit_output(self, stmt: ast.Output, env: Env, shape: Shape) -> list:
        self.outputs = _outputs(stmt.value, env.values or {})  # a model's, or the block's being elaborated
        return []

    def named(self, stmt: ast.Named, env: Env, shape: Shape) -> list:
        inner = stmt.stmt
        if inner.kind != "chain" or (inner.capture is None and not self._reads_value(inner, env)):
            return [self._named(stmt, env, shape)]
        # `head = feat -> conv(4) as aux`: the value read and written around the named module, not in it.
        read = []
        if self._reads_value(inner, env):
            first = inner.items[0]
            if len(inner.items) == 1:
                raise SpecError("E0310", f"expected a layer to name `{stmt.name}`, found only the value "
                                f"`{first.name}`", stmt.where, label="no module to name",
                                help="a named value is no module: drop the name")
            read = [self._read(first, env.values, shape)]
        core = inner.model_copy(update={"items": inner.items[len(read):], "capture": None})
        node = self._named(stmt.model_copy(update={"stmt": core}), env, read[0].out_shape if read else shape)
        write = []
        if inner.capture is not None:
            self._write(env.values, inner.capture, node.out_shape, inner.capture_span.line)
            write = [DraftValue("write", inner.capture, node.out_shape, node.out_shape,
                                inner.capture_span.to_diagnostic())]
        return [*read, node, *write]

    @staticmethod
    def _reads_value(chain: ast.Chain, env: Env) -> bool:
        first = chain.items[0] if chain.items else None
        return first is not None and first.kind == "call" and first.bare and first.name in (env.values or {})

    def _named(self, stmt: ast.Named, env: Env, shape: Shape):
        inner = stmt.stmt
        name = self._name(stmt, env.child(shape))
        if inner.kind == "chain" and len(inner.items) == 1:
            nodes = self.visit(inner, env, shape)  # the one layer or block call is the attribute itself
        else:
            with self._inner_module():
                nodes = self.visit(inner, env.module_child(shape), shape)
        if inner.kind == "chain" and len(nodes) == 1 and nodes[0].shared is not None:
            raise SpecError("E0312", f"expected a new layer to name `{name}`, found the shared layer "
                            f"`{nodes[0].shared.name}`", stmt.where, label="already has its place",
                            help=f"a shared layer is one module, placed where it is first applied: "
                                 f"apply `{nodes[0].shared.name}` without a name")
        if len(nodes) == 1 and (inner.kind == "chain" or inner.kind == "seq" and inner.module):
            nodes[0].name = name  # a single named layer, block call or `sequential:` is the attribute itself
            self.module.named.setdefault(name, nodes[0])
            return nodes[0]
        if not nodes:
            raise SpecError("E0310", f"`{name}` names nothing: its statement produced no layers",
                            stmt.where, label="empty", help="drop the name, or make sure the body produces a layer")
        node = DraftModule(cls=name, block=None, args={}, body=nodes, in_shape=shape,
                           out_shape=nodes[-1].out_shape, span=stmt.where, name=name)
        self.module.named.setdefault(name, node)
        return node

    def _name(self, stmt: ast.Named, env: Env) -> str:
        """The attribute name of a named statement; a quoted one's `{...}` computed here."""
        pieces = templates.pieces(stmt.name, stmt.name_span)
        if len(pieces) == 1 and isinstance(pieces[0], str):
            return pieces[0]
        text = []
        for piece in pieces:
            if isinstance(piece, str):
                text.append(piece)
                continue
            value = evaluate(piece, env)
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise SpecError("E0221", f"expected a number or a name in a module name, found {describe(value)} "
                                f"{brief(value)}", piece.where, label="put into the name here",
                                help="compute an int or a string, e.g. `\"layer{i + 1}\"`")
            text.append(str(value))
        name = templates.check_computed("".join(text), stmt.name_span)
        if reserved.clobbers_module(name):
            raise SpecError("E0208", f"the computed name `{name}` is reserved by nn.Module or the generated file",
                            stmt.name_span.to_diagnostic(), label="computed here",
                            help="add a prefix or suffix to the name")
        return name

    def repeat(self, stmt: ast.Repeat, env: Env, shape: Shape) -> list:
        count = evaluate(stmt.count, env.child(shape))
        if isinstance(count, bool) or not isinstance(count, int):
            raise SpecError("E0401", f"expected an int count for `repeat`, found {describe(count)} {brief(count)}",
                            stmt.count.where, label="not an int")
        if not 0 <= count <= LIMITS["repeat"]:
            code = "E0402" if count < 0 else "E0405"
            raise SpecError(code, f"expected a `repeat` count from 0 to {LIMITS['repeat']}, found {count}",
                            stmt.count.where, label="out of range")
        nodes: list = []
        for _ in range(count):
            produced = self.body(stmt.body, env.child(shape), shape)
            nodes.extend(produced)
            if produced:
                shape = produced[-1].out_shape
        return nodes

    def for_(self, stmt: ast.For, env: Env, shape: Shape) -> list:
        nodes: list = []
        for bound in self._iterations(stmt, env.child(shape)):
            inner = env.child(shape)
            inner.vars.update(bound)
            produced = self.body(stmt.body, inner, shape)
            nodes.extend(produced)
            if produced:
                shape = produced[-1].out_shape
        return nodes

    def _iterations(self, stmt: ast.For, env: Env) -> list[dict]:
        items = evaluate(stmt.iter, env)
        if not isinstance(items, (list, tuple)):
            raise SpecError("E0401", f"expected a list or tuple to loop over, found {describe(items)} {brief(items)}",
                            stmt.iter.where, label="not iterable",
                            help="loop over a list, `range(n)` or `enumerate(list)`")
        if len(stmt.targets) == 1 and isinstance(stmt.targets[0], str):
            return [{stmt.targets[0]: item} for item in items]
        bound = []
        for item in items:
            names: dict[str, Any] = {}
            _unpack(stmt, stmt.targets, ast.target_text(stmt.targets), item, names)
            bound.append(names)
        return bound

    def visit_default(self, stmt: ast.Default, env: Env, shape: Shape) -> list:
        """The op's defaults change from here to the end of the body that `env` belongs to."""
        # Checked already, unless by the API.
        op, args = default_arguments(stmt, self.program.scope_of(stmt), self.program.ops_of(stmt))
        values, scope = {}, env.child(shape)
        if isinstance(op, ast.OpDef):  # a declared op: its arguments' kinds check the values
            declared = self.declared(op)
            for keyword, arg in args:
                values[arg.name] = declared.coerce(arg, evaluate(keyword.value, scope), keyword.value.where,
                                                   f"`default {op.name}`")
            env.defaults = OpDefaults.merged(env.defaults, declared.key, values)
            return []
        for keyword, arg in args:
            try:
                values[arg.name] = coerce(op, arg, evaluate(keyword.value, scope))
            except OpProblem as problem:
                raise SpecError(problem.code, f"{problem.message} in `default {op.name}`", keyword.value.where,
                                label="this argument", help=problem.help) from None
        env.defaults = OpDefaults.merged(env.defaults, op.name, values)
        return []

    def visit_init(self, stmt: ast.Init, env: Env, shape: Shape) -> list:
        """Rules by op from here to the end of the body `env` belongs to; `init layer` for this module's layer."""
        ops = init_ops(stmt, self.program.scope_of(stmt), self.program.ops_of(stmt))  # checked, unless by the API
        scope, rules = env.child(shape), {}
        for keyword in stmt.rules:
            rules[keyword.name] = (self._bind_rule(init_rule(stmt, keyword), keyword.value, scope), keyword)
        if stmt.layer is not None:
            self.module.overrides.append((stmt, rules))
        else:
            env.defaults = OpDefaults.with_rules(env.defaults, [op.name for op in ops],
                                                 {tensor: rule for tensor, (rule, _) in rules.items()})
        return []

    @staticmethod
    def _bind_rule(initializer: Initializer, value, env: Env) -> Rule:
        if value.kind == "name":
            return bind_rule(initializer, [], {})
        args = [evaluate(node, env) for node in value.args]
        kwargs = {keyword.name: evaluate(keyword.value, env) for keyword in value.kwargs}
        try:
            return bind_rule(initializer, args, kwargs)
        except RuleProblem as problem:
            node = value
            for arg, given in zip(initializer.args, value.args):
                node = given if arg.name == problem.arg else node
            for keyword in value.kwargs:
                node = keyword.value if keyword.name == problem.arg else node
            raise SpecError(problem.code, f"{problem.message} in `{initializer.name}`", node.where,
                            label="this argument" if node is not value else "this rule", help=problem.help) from None

    def _settle(self, scope: _ModuleScope) -> None:
        """A module's body is done: give the layers `init layer name: ...` names their rules."""
        for stmt, rules in scope.overrides:
            node = scope.named.get(stmt.layer)
            where = stmt.layer_span.to_diagnostic()
            if node is None:
                raise SpecError("E0203", f"expected a layer named `{stmt.layer}` in this module for `init layer`, "
                                "found none", where, label="no layer has this name here",
                                help=suggest(stmt.layer, scope.named) or
                                "`init layer` names a layer of its own body, named by `name = ...` or "
                                "`let name = ...`")
            if node.kind == "layer" and node.declared is not None:
                raise SpecError("E0219", f"expected a layer of a built-in op for `init layer {stmt.layer}`, found "
                                f"the declared op `{node.op}`", where, label="its tensors are its module's own",
                                help=f"initialise `{node.op}`'s tensors in its own module's `__init__`")
            if node.kind != "layer":
                what = f"an instance of the block `{node.block}`" if node.kind == "module" and node.block else \
                    "a container of several layers"
                ops = sorted({n.op for n in _draft_layers(node.body)
                              if n.declared is None and OPS[n.op].tensors}) or ["linear"]
                raise SpecError("E0219", f"expected a layer for `init layer {stmt.layer}`, found {what}", where,
                                label="not one layer", help=f"set the rules of the layers inside by op, before it "
                                                            f"or in its body: `init {', '.join(ops)}: weight=...`")
            op = OPS[node.op]
            for tensor, (rule, keyword) in rules.items():
                _check_layer_tensor(stmt, op, node, tensor, rule, keyword)
            node.init_layer = {**(node.init_layer or {}), **{tensor: rule for tensor, (rule, _) in rules.items()}}

    def _choose(self, stmt: ast.If, env: Env):
        for branch in stmt.branches:
            if evaluate(branch.test, env):
                return branch.body
        return stmt.orelse

    # -- combinators

    def combine(self, stmt: ast.Combine, env: Env, shape: Shape) -> DraftCombine:
        parts = _route(stmt, env.child(shape), shape) if stmt.parts is not None else None
        inputs = _Inputs(stmt, shape, parts)
        pairs = self._branches(stmt.body, env.child(shape), inputs)
        if not pairs:
            raise SpecError("E0310", f"expected at least one branch in `{stmt.op}`, found none", stmt.where,
                            label="no branches",
                            help="give it at least one branch, one per indented line")
        inputs.check_all_taken()
        branches = [nodes for nodes, _, _ in pairs]
        self._count_nodes(stmt, 1 + len(branches))
        outs = [b[-1].out_shape if b else inputs.shapes[i] for i, b in enumerate(branches)]
        if stmt.op in ("add", "mul"):
            out = _broadcast_shape(stmt, pairs, outs)
        else:
            out = _concat_shape(stmt, branches, outs)
            self._account_channels(stmt, out)
        return DraftCombine(stmt.op, branches, shape, out, stmt.where, parts)

    def _branches(self, stmts, env: Env, inputs: "_Inputs") -> list[tuple[list, Any, Env]]:
        """Each statement is a branch; `let` binds, `for` and `if` expand into branches.

        Returns (nodes, statement, env) per branch: the statement and its scope explain a mismatch.
        Each branch takes its input from `inputs`: the whole input, or its slice of the channels.
        """
        self._enter(stmts)
        try:
            return self._branches_of(stmts, env, inputs)
        finally:
            self.state.nesting -= 1

    def _branches_of(self, stmts, env: Env, inputs: "_Inputs") -> list[tuple[list, Any, Env]]:
        branches: list[tuple[list, Any, Env]] = []
        shape = inputs.whole
        for stmt in stmts:
            if stmt.kind in ("let", "default", "init"):
                self.visit(stmt, env, shape)
            elif stmt.kind == "for":
                for bound in self._iterations(stmt, env):
                    inner = env.child(shape)
                    inner.vars.update(bound)
                    branches.extend(self._branches(stmt.body, inner, inputs))
            elif stmt.kind == "if":
                chosen = self._choose(stmt, env)
                if chosen is not None:
                    branches.extend(self._branches(chosen, env.child(shape), inputs))
            else:
                given = inputs.take(stmt)
                branches.append((self.visit(stmt, env.child(given), given), stmt, env))
        return branches

    def _account_channels(self, stmt: ast.Combine, out: Shape) -> None:
        # A concat's channels are a sum no layer has checked yet.
        if len(out) > 1 and isinstance(out[1], int) and out[1] > LIMITS["size"]:
            raise SpecError("E0405", f"expected sizes of at most {LIMITS['size']:,}, found {out[1]:,} channels "
                            f"after `{stmt.op}`", stmt.where, label="too large")

    # -- layers

    def layer(self, layer, env: Env, shape: Shape):
        if layer.kind == "layer_if":
            return self.layer(layer.body if evaluate(layer.test, env) else layer.orelse, env, shape)
        shared = env.get(layer.name) if layer.bare else None
        if isinstance(shared, SharedLayer):
            return self.shared_call(shared, layer, shape)
        if layer.name in OPS:
            return self.op_call(OPS[layer.name], layer, env, shape)
        declared = self.program.ops_of(layer).get(layer.name)
        if declared is not None:
            return self.declared_call(self.declared(declared), layer, env, shape)
        return self.block_call(layer, env, shape)

    def shared_call(self, shared: SharedLayer, use: ast.Call, shape: Shape):
        """An application of a shared layer: the same module as its first application, on `shape`."""
        if shared.owner is not self.module:
            raise SpecError("E0312", f"expected `{shared.name}` applied in the module that makes it, found it inside "
                            "another one", use.where, label="inside a named container or `sequential:`",
                            help=f"apply `{shared.name}` directly in the body where `let {shared.name} = ...` stands")
        try:
            node = self._applied(shared.call, shared.env, shape)
        except SpecError as error:
            for one in error.errors:
                one.help = "\n".join(filter(None, [one.help, f"`{shared.name}` is applied at {use.where}"]))
            raise
        node.span, node.shared = use.where, shared
        construction = _construction(node)
        if shared.first is None:
            shared.first, shared.construction = node, construction
            self.module.named.setdefault(shared.name, node)
        elif construction != shared.construction:
            first = shared.first
            raise SpecError("E0312", f"expected an input that `{shared.name}` fits, found {format_shape(shape)}: "
                            f"it was made for {format_shape(first.in_shape)} at line {first.span.line}",
                            use.where, label=f"input here is {format_shape(shape)}",
                            help=f"a shared layer is one module: every place it is applied must give it what its "
                                 f"first application (line {first.span.line}) did; to have another module, "
                                 f"write the call again")
        else:
            _no_params(node)  # its parameters are counted where it was first applied
        return node

    def _applied(self, call: ast.Call, env: Env, shape: Shape):
        if call.name in OPS:
            return self.op_call(OPS[call.name], call, env.child(shape), shape)
        declared = self.program.ops_of(call).get(call.name)
        if declared is not None:
            return self.declared_call(self.declared(declared), call, env.child(shape), shape)
        return self.block_call(call, env.child(shape), shape)

    def op_call(self, op: Op, call: ast.Call, env: Env, shape: Shape) -> DraftLayer:
        args = self._bind_op(op, call, env)
        try:
            args, out = op.apply(args, shape)
        except OpProblem as problem:
            raise self._located(problem, call, shape) from None
        params, macs = op.count(args, shape, out)
        self._account(call, out, params)
        node = DraftLayer(op.name, args, shape, out, params, macs, call.where)
        rules = env.defaults.inits.get(op.name) if env.defaults is not None else None
        if rules:
            node.init = _rules_by_op(op, rules, node, call)
        return node

    def declared(self, definition: ast.OpDef) -> DeclaredOp:
        """The op an `op` declaration declares (one object per declaration and run)."""
        op = self._declared.get(id(definition))
        if op is None:
            op = self._declared[id(definition)] = DeclaredOp(definition)
        return op

    def declared_call(self, op: DeclaredOp, call: ast.Call, env: Env, shape: Shape) -> DraftLayer:
        """A call of a declared op: its rules evaluated on `shape`, any mistake in them located at `call`."""
        defaults = env.defaults.by_op.get(op.key, {}) if env.defaults is not None else {}
        args, out, params, macs = op.apply(call, env, shape, defaults)
        self._account(call, out, params)
        return DraftLayer(op.name, args, shape, out, params, macs, call.where, declared=op)

    def _bind_op(self, op: Op, call: ast.Call, env: Env) -> dict:
        bound = dict(op.defaults)
        if env.defaults is not None:
            bound.update(env.defaults.by_op.get(op.name, ()))
        if not call.args and not call.kwargs:
            return bound
        given: dict[str, tuple[Any, ast.Node]] = {}
        for arg, node in zip(op.args, call.args):
            given[arg.name] = (evaluate(node, env), node)
        for keyword in call.kwargs:
            given[op.arg(keyword.name).name] = (evaluate(keyword.value, env), keyword.value)
        for arg in op.args:  # coerced in the op's order, so the first bad argument is the one reported
            if arg.name in given:
                value, node = given[arg.name]
                try:
                    bound[arg.name] = coerce(op, arg, value)
                except OpProblem as problem:
                    raise SpecError(problem.code, f"{problem.message} in `{op.name}`", node.where,
                                    label="this argument", help=problem.help) from None
        return bound

    def _located(self, problem: OpProblem, call: ast.Call, shape: Shape) -> SpecError:
        node = call
        if problem.arg:
            op = OPS[call.name]
            for arg, value in zip(op.args, call.args):
                if arg.name == problem.arg:
                    node = value
            for keyword in call.kwargs:
                op_arg = op.arg(keyword.name)
                if op_arg and op_arg.name == problem.arg:
                    node = keyword
        label = f"input here is {format_shape(shape)}"
        help = (_batch_help(self.input_sizes, problem, shape) if problem.code == "E0304" else None) or problem.help
        error = SpecError(problem.code, problem.message, node.where, label=label, help=help)
        error.axis = problem.axis  # for `_add_smallest_input`
        error.sizes = problem.sizes  # for `sizes.py`: (have, want) of a crop that does not fit
        return error

    @contextmanager
    def _inner_module(self) -> Iterator[None]:
        """The statements elaborated inside are the body of another module (a block, a named container)."""
        outer, self.module = self.module, _ModuleScope()
        try:
            yield
            self._settle(self.module)
        finally:
            self.module = outer

    def _account(self, call: ast.Call, out: Shape, params: int) -> None:
        self._add(call, 1, params)
        limit = LIMITS["size"]
        big = [d for d in out[1:] if isinstance(d, int) and d > limit]
        if big:
            raise SpecError("E0405", f"expected sizes of at most {LIMITS['size']:,}, found {big[0]:,} in "
                            f"{format_shape(out)}", call.where, label="too large")

    def _count_nodes(self, where, nodes: int) -> None:
        """Count block instances and combinator branches (what naming and the back-ends walk)."""
        state = self.state
        state.nodes += nodes
        if state.nodes > LIMITS["nodes"]:
            raise SpecError("E0405", f"expected at most {LIMITS['nodes']:,} block instances and branches in a "
                            "model, found more", where.where, label="the limit is reached here",
                            help="a block that calls itself twice per level makes 2^n instances: check the "
                                 "recursion, `repeat` counts and loops")

    def _add(self, call: ast.Call, layers: int, params: int) -> None:
        """Count layers and parameters into the model's totals, within the limits."""
        state = self.state
        state.layers += layers
        state.params += params
        if state.layers > LIMITS["layers"]:
            raise SpecError("E0405", f"expected at most {LIMITS['layers']:,} layers in a model, found more",
                            call.where, label="the limit is reached here", help="check `repeat` counts and loops")
        if state.params > LIMITS["params"]:
            raise SpecError("E0405", f"expected at most {LIMITS['params']:,} parameters in a model, found more",
                            call.where, label="the limit is reached here", help="check channel counts")

    def block_call(self, call: ast.Call, env: Env, shape: Shape) -> DraftModule:
        block = self._block(call)
        state = self.state
        if state.depth >= LIMITS["recursion"]:
            chain = " -> ".join(state.stack[-4:])
            raise SpecError("E0406", f"expected block calls nested at most {LIMITS['recursion']} deep, found "
                            f"deeper ({chain} -> {call.name})", call.where, label="called here",
                            help="a block that calls itself needs an `if` that stops the recursion")
        values = self._bind_block(block, call, env, shape)
        tensors = self._bind_tensors(block, call, env)
        key = _call_key(block, values, shape, state.depth, env.defaults, self._frozen_steps(call)) \
            + (tuple(t[2] for t in tensors),)
        self._count_nodes(call, 1)
        if key in self._bodies:
            body, returned, layers, params, nodes = self._bodies[key]
            self._add(call, layers, params)  # its sizes were checked when it was elaborated
            self._count_nodes(call, nodes)
        else:
            body, returned = self._block_body(block, values, tensors, call, shape, key, env.defaults)
        out = body[-1].out_shape if body else shape
        returns, shapes = _returned(returned)
        node = DraftModule(cls=block.name, block=block.name, args=values, body=body, in_shape=shape,
                           out_shape=shapes[0] if shapes else out, span=call.where,
                           inputs=tuple((param, value) for param, value, _ in tensors), returns=returns,
                           result_shapes=shapes)
        return node

    def _frozen_steps(self, call: ast.Call):
        """Charges the items of a block call's key to the budget as `_frozen` makes it."""
        budget = self.state.budget

        def spend(steps: int) -> None:
            budget.spend(steps, call.where)
        return spend

    def _block_body(self, block: ast.BlockDef, values: dict, tensors: list, call: ast.Call, shape: Shape,
                    key: tuple, defaults: Optional[OpDefaults]) -> tuple[list, Optional[tuple]]:
        """The draft of a block's body, and what its `output` returns (None: its flow)."""
        state = self.state
        layers, params, nodes = state.layers, state.params, state.nodes
        state.depth += 1
        state.stack.append(call.name)
        outer, self.outputs = self.outputs, None
        try:
            # The block sees only its parameters, but the caller's op defaults (dynamic scope).
            with self._inner_module():
                scope = Env(values, shape, None, defaults, {param: value_shape for param, _, value_shape in tensors})
                body = self.body(block.body, scope.child(shape), shape)
            returned = self.outputs
        except SpecError as error:
            if error.code != "E0406":  # its message already shows the chain of calls
                _record_call(error, block, values, call)
            raise
        finally:
            state.depth -= 1
            state.stack.pop()
            self.outputs = outer
        self._bodies[key] = (body, returned, state.layers - layers, state.params - params, state.nodes - nodes)
        return body, returned

    def _block(self, call: ast.Call) -> ast.BlockDef:
        scope = self.program.scope_of(call)
        if call.name not in scope:  # check_program reports this; guard for API users who skip it
            raise SpecError("E0201", f"expected an op or block, found `{call.name}`",
                            call.name_span.to_diagnostic(), label="not an op or a block in scope",
                            help=suggest(call.name, [*OPS, *scope, *self.program.ops_of(call)]))
        return scope[call.name]

    def _bind_tensors(self, block: ast.BlockDef, call: ast.Call, env: Env) -> list[tuple[str, str, Shape]]:
        """The block's tensor parameters, each with the caller's named value given for it and its shape."""
        given = {param.name: node for param, node in zip(block.params, call.args) if param.tensor}
        given.update((k.name, k.value) for k in call.kwargs if block.param(k.name) and block.param(k.name).tensor)
        values = env.values or {}
        tensors = []
        for param in (p for p in block.params if p.tensor):
            node = given.get(param.name)
            if node is None:
                raise SpecError("E0205", f"missing argument `{param.name}` for block `{block.name}`", call.where,
                                label="called here", help=f"give it a named value: `{call.name}(..., {param.name}=skip)`")
            if node.kind != "name" or node.id not in values:  # `check` reports these, located
                raise SpecError("E0321", f"expected a named value for the tensor parameter `{param.name}`",
                                node.where, label="not a named value")
            tensors.append((param.name, node.id, values[node.id]))
        return tensors

    def _bind_block(self, block: ast.BlockDef, call: ast.Call, env: Env, shape: Shape) -> dict:
        values: dict[str, Any] = {}
        for param, node in zip(block.params, call.args):
            if not param.tensor:
                values[param.name] = evaluate(node, env)
        for keyword in call.kwargs:
            param = block.param(keyword.name)
            if param is None or not param.tensor:
                values[keyword.name] = evaluate(keyword.value, env)
        for param in block.params:
            if param.tensor:
                continue
            if param.name not in values:
                if param.default is None:
                    raise SpecError("E0205", f"missing argument `{param.name}` for block `{block.name}`",
                                    call.where, label="called here")
                # Defaults are evaluated where the block is defined, seeing earlier parameters and `in`.
                values[param.name] = evaluate(param.default, Env(dict(values), shape))
        return {p.name: values[p.name] for p in block.params if not p.tensor}


def _draft_layers(body: list):
    for node in body:
        if node.kind == "layer":
            yield node
        elif node.kind == "module":
            yield from _draft_layers(node.body)
        elif node.kind == "combine":
            for branch in node.branches:
                yield from _draft_layers(branch)


def _rules_by_op(op: Op, rules: dict, node: DraftLayer, call: ast.Call) -> Optional[dict]:
    """The rules by op a new layer takes: for the tensors it has (`bias=zeros` passes by `linear(bias=false)`)."""
    taken = {}
    for tensor in op.tensors:
        size = tensor.shape(node.args, node.in_shape) if tensor.name in rules else None
        if size is None:
            continue
        rule = rules[tensor.name]
        if len(size) < CATALOGUE[rule.name].min_rank:  # a tensor whose dims depend on the layer (`layernorm`)
            raise SpecError("E0242", f"expected a tensor of at least {CATALOGUE[rule.name].min_rank} dims for the "
                            f"init rule `{rule.name}`, found the {tensor.name} of this `{op.name}` ({len(size)} "
                            f"dim{'s' if len(size) != 1 else ''})", call.where, label=f"its {tensor.name} is "
                            f"{format_shape(size)}", help=rank_help(rule.name))
        taken[tensor.name] = rule
    return taken or None


def _check_layer_tensor(stmt: ast.Init, op: Op, node: DraftLayer, tensor: str, rule: Rule,
                        keyword: ast.Keyword) -> None:
    """`init layer fc: bias=zeros` names one layer: it must have that tensor, and the rule must fit it."""
    found = op.tensor(tensor)
    span = keyword.where
    if found is None or found.shape(node.args, node.in_shape) is None:
        have = [t.name for t in op.tensors if t.shape(node.args, node.in_shape) is not None]
        why = f"`{op.name}` has no `{tensor}`" if found is None else f"this `{op.name}` is made without `{tensor}`"
        raise SpecError("E0241", f"expected a tensor of the layer `{stmt.layer}` in `init layer {stmt.layer}`, "
                        f"found `{tensor}`", span._replace(end_line=span.line, end_column=span.column + len(tensor)),
                        label=why, help=(suggest(tensor, have) or "the layer has " + (
                            " and ".join(f"`{t}`" for t in have) if have else "no tensors")))
    minimum, rank = CATALOGUE[rule.name].min_rank, len(found.shape(node.args, node.in_shape))
    if rank < minimum:
        raise SpecError("E0242", f"expected a tensor of at least {minimum} dims for `{rule.name}`, found the {tensor} "
                        f"of `{stmt.layer}`, a `{op.name}` ({rank} dim{'s' if rank != 1 else ''})",
                        keyword.value.where, label="needs a matrix", help=rank_help(rule.name))


# ---------------------------------------------------------------- outputs


def _outputs(node, values: dict) -> tuple:
    """What `output` returns, as a tree of shapes (the JSON and both back-ends read it).

        ("value", name, shape) | ("tuple" | "list", [tree, ...]) | ("dict", [(key, tree), ...])
        | ("training", tree when training, tree otherwise)
    """
    kind = node.kind
    if kind == "name":
        if node.id not in values:
            raise SpecError("E0203", f"unknown value `{node.id}` in `output`", node.where,
                            label="no value of this name has been made", help=suggest(node.id, set(values)) or
                            "name a value with `... as name` before `output`")
        return ("value", node.id, values[node.id])
    if kind in ("tuple", "list"):
        if not node.items:
            raise SpecError("E0320", f"expected at least one value in `output`, found an empty {kind}", node.where,
                            label="nothing to return")
        return (kind, [_outputs(item, values) for item in node.items])
    if kind == "dict":
        keys = [key.value if key.kind == "str" else None for key in node.keys]
        for key, written in zip(keys, node.keys):
            if key is None or not key.isidentifier() or not key.isascii():
                raise SpecError("E0320", "expected names as the keys of `output`, such as \"out\"", written.where,
                                label="not a name", help='write `{"out": logits, "aux": aux}`')
        if not keys:
            raise SpecError("E0320", "expected at least one value in `output`, found an empty dict", node.where,
                            label="nothing to return")
        return ("dict", [(key, _outputs(value, values)) for key, value in zip(keys, node.values)])
    if kind == "ifexp" and node.test.kind == "name" and node.test.id == "training":
        return ("training", _outputs(node.body, values), _outputs(node.orelse, values))
    raise SpecError("E0320", "expected named values in `output`", node.where, label="not a value",
                    help='write a value, a tuple of values or `{"name": value, ...}`, optionally '
                         "`... if training else ...`")


def _returned(tree: Optional[tuple]) -> tuple[tuple[str, ...], tuple[Shape, ...]]:
    """A block's `output` (a value or a tuple of values, as `check` allows) as names and shapes."""
    if tree is None:
        return (), ()
    items = [tree] if tree[0] == "value" else tree[1]
    return tuple(item[1] for item in items), tuple(item[2] for item in items)


def _reads_first(produced: list) -> bool:
    """Whether a statement's nodes start from a named value (as every statement after an unpacking must)."""
    return produced[0].kind == "value" and produced[0].op == "read"


def _no_flow(stmt, unpacked: DraftModule) -> SpecError:
    names = ", ".join(f"`{name}`" for name in unpacked.results)
    return SpecError("E0321", f"expected a chain starting from one of {names}, found a statement reading the flow, "
                     f"which ended at the call of `{unpacked.cls}` (line {unpacked.span.line})", stmt.where,
                     label="what would this read?", help=f"start it from a value: `{unpacked.results[0]} -> ...`")


def first_output(tree: tuple, eval_mode: bool) -> Shape:
    """The shape of the first value a model returns (in evaluation or training mode)."""
    kind = tree[0]
    if kind == "value":
        return tree[2]
    if kind == "training":
        return first_output(tree[2] if eval_mode else tree[1], eval_mode)
    items = tree[1]
    return first_output(items[0][1] if kind == "dict" else items[0], eval_mode)


def _construction(node) -> tuple:
    """What building the module of a draft node takes: two applications of a shared layer must agree.

    The torch call of each layer (class and arguments: in-channels, kernel, ...), the same for
    every input it fits; the shape only matters through them.
    """
    if node.kind == "layer":
        call = lower_layer(node)
        return ("layer", node.op, None if call is None else (call.module, call.cls, tuple(call.positional()),
                                                            tuple(sorted(call.keywords().items()))))
    if node.kind == "combine":
        return ("combine", node.op, tuple(tuple(_construction(n) for n in b) for b in node.branches))
    if node.kind == "value":
        return ("value", node.op, node.name)
    return ("module", node.cls, tuple(_construction(n) for n in node.body))


def _no_params(node) -> None:
    """A later application of a shared layer: its parameters are the first application's."""
    if node.kind == "layer":
        node.params = 0


def _first(pair: tuple) -> Any:
    return pair[0]


def _call_key(block: ast.BlockDef, values: dict, shape: Shape, depth: int, defaults: Optional[OpDefaults],
              spend=None) -> tuple:
    return (id(block), _frozen(tuple(values.values()), spend), shape, depth, defaults.key if defaults else ())


def _unpack(stmt: ast.For, targets: list, text: str, item: Any, names: dict) -> None:
    """Bind `targets` (names and nested groups, written `text`) to the parts of `item`, as Python's `for` does."""
    if not isinstance(item, (list, tuple)) or len(item) != len(targets):
        size = len(item) if isinstance(item, (list, tuple)) else 1
        raise SpecError("E0218", f"expected {len(targets)} value{'s' if len(targets) != 1 else ''} to unpack into "
                        f"{text}, found {size} in {brief(item)}", stmt.iter.where,
                        label="an item of this list", help="make every item a tuple of that many values")
    for target, value in zip(targets, item):
        if isinstance(target, str):
            names[target] = value
        else:
            _unpack(stmt, target.targets, ast.target_text([target]), value, names)


def _frozen(value: Any, spend=None) -> tuple:
    """A hashable stand-in that keeps types apart (`true` is not `1`, a list is not a tuple).

    `spend(n)` is told the items made: the key of a call costs as much as its arguments hold.
    """
    if isinstance(value, (list, tuple)):
        if spend is not None:
            spend(len(value))
        return (type(value).__name__, *(_frozen(v, spend) for v in value))
    if isinstance(value, dict):
        if spend is not None:
            spend(len(value))
        return ("dict", *((_frozen(k, spend), _frozen(v, spend)) for k, v in value.items()))
    if isinstance(value, str) and spend is not None:
        spend(len(value))  # each instance shows its arguments (the table, the generated file): a long string costs
    return (type(value).__name__, value)


# ---------------------------------------------------------------- shapes of combinators


def _concat_shape(stmt: ast.Combine, branches, outs: list[Shape]) -> Shape:
    first = outs[0]
    for index, out in enumerate(outs[1:], start=1):
        if len(out) != len(first) or out[0] != first[0] or out[2:] != first[2:]:
            raise _along(first, out, SpecError("E0302", "expected the branches of `concat` to agree on all but the channels, found "
                            + ", ".join(f"{format_shape(o)} (branch {i + 1}{_source(branches[i], ': ')})"
                                        for i, o in enumerate(outs)),
                            _branch_span(stmt, branches, index), label=f"this branch gives {format_shape(out)}",
                            help="give every branch the same stride and padding so the sizes match"))
    return (first[0], sum(o[1] for o in outs), *first[2:])


class _Inputs:
    """What each branch of a combinator receives: the whole input, or the next slice of its channels."""

    def __init__(self, stmt: ast.Combine, whole: Shape, parts: Optional[tuple[int, ...]]) -> None:
        self.stmt, self.whole, self.parts = stmt, whole, parts
        self.shapes: list[Shape] = []  # given out so far, one per branch

    def take(self, branch) -> Shape:
        if self.parts is None:
            shape = self.whole
        elif len(self.shapes) < len(self.parts):
            shape = (self.whole[0], self.parts[len(self.shapes)], *self.whole[2:])
        else:
            raise SpecError("E0311", f"expected {len(self.parts)} branches in `{self.stmt.op}`, one per slice "
                            f"of the channels {_slices(self.parts)}, found more", branch.where,
                            label="no slice is left for this branch", help=self._help())
        self.shapes.append(shape)
        return shape

    def check_all_taken(self) -> None:
        if self.parts is not None and len(self.shapes) < len(self.parts):
            raise SpecError("E0311", f"expected {len(self.parts)} branches in `{self.stmt.op}`, one per slice of "
                            f"the channels {_slices(self.parts)}, found {len(self.shapes)}", self.stmt.where,
                            label=f"input here is {format_shape(self.whole)}", help=self._help())

    def _help(self) -> str:
        return "give one branch per slice (`identity` passes a slice on unchanged)"


def _slices(parts: tuple[int, ...]) -> str:
    shown = ", ".join(map(str, parts[:8])) + (", ..." if len(parts) > 8 else "")
    return f"[{shown}]"


def _route(stmt: ast.Combine, env: Env, shape: Shape) -> tuple[int, ...]:
    """The channels each branch of `chunk n` / `split sizes` receives, cut as torch.chunk / torch.split cut."""
    value = evaluate(stmt.parts, env)
    where = stmt.parts.where
    if len(shape) < 2 or not isinstance(shape[1], int):
        raise SpecError("E0304", f"expected an input with channels for `{stmt.op}`, found {format_shape(shape)}",
                        stmt.where, label="nothing to slice")
    channels = shape[1]
    if _positive_int(value):
        # torch.chunk(n): slices of ceil(C / n), the last one smaller; torch.split(s): slices of s.
        size = -(-channels // value) if stmt.op == "chunk" else value
        return (size,) * (channels // size) + ((channels % size,) if channels % size else ())
    if stmt.op == "chunk":
        raise SpecError("E0401" if not is_int(value) else "E0402",
                        f"expected a positive int for `chunk`, found {describe(value)} {brief(value)}", where,
                        label="the number of slices", help="`chunk 2:` cuts the channels into two halves")
    if not isinstance(value, (list, tuple)) or not value or not all(_positive_int(v) for v in value):
        raise SpecError("E0401", f"expected a slice size or a list of slice sizes for `split`, found "
                        f"{describe(value)} {brief(value)}", where, label="not sizes",
                        help="`split [16, 48]:` gives the first branch 16 channels and the second 48")
    if sum(value) != channels:
        raise SpecError("E0311", f"expected slice sizes adding up to the {channels} input channels, found "
                        f"{brief(value)} (sum {sum(value)})", where, label=f"input here is {format_shape(shape)}",
                        help="the sizes of `split` cut all the channels, as torch.split does")
    return tuple(value)


def _positive_int(value: Any) -> bool:
    return is_int(value) and value >= 1


def _broadcast_shape(stmt: ast.Combine, pairs, outs: list[Shape]) -> Shape:
    """`add` and `mul` broadcast as torch does: sizes equal, or 1 (`[N, C, 1, 1] * [N, C, H, W]`)."""
    branches = [nodes for nodes, _, _ in pairs]
    result = outs[0]
    for index, out in enumerate(outs[1:], start=1):
        joined = broadcast(result, out)
        if joined is None:
            _, source, env = pairs[index]
            raise _along(result, out, SpecError("E0301", f"shape mismatch in `{stmt.op}`: "
                            + ", ".join(f"branch {i + 1}{_source(branches[i], ' (', ')')} gives {format_shape(o)}"
                                        for i, o in enumerate(outs)),
                            _branch_span(stmt, branches, index), label=_add_label(branches[index], stmt),
                            help=_add_help(stmt.op, outs[0], out, source, env)))
        result = joined
    return result


JOINS = ("E0301", "E0302")  # branches that do not fit their join


def _along(a: Shape, b: Shape, error: SpecError) -> SpecError:
    """`error` about a join of `a` and `b`, knowing the spatial axis where they first disagree.

    `axis` ("height", "width") is for an image; `sizes`, the two sizes there, for any rank: the valid-sizes
    engine (`sizes.py`) tells from them whether the branches will ever agree at a larger input.
    """
    if len(a) == len(b) >= 3:
        names = _SPATIAL_AXES.get(len(a), ())
        differing = [i for i in range(2, len(a)) if a[i] != b[i] and 1 not in (a[i], b[i])]
        if differing:
            error.sizes = (a[differing[0]], b[differing[0]])
        if len(a) == 4:
            error.axis = next((names[i - 2] for i in differing), None)
    return error


_SPATIAL_AXES = {3: ("length",), 4: ("height", "width"), 5: ("depth", "height", "width")}


def broadcast(a: Shape, b: Shape) -> Optional[Shape]:
    """The shape of `a + b` under torch's broadcasting rule, or None when they cannot broadcast.

    Aligned from the right, each pair of sizes is equal or one of them is 1. The symbolic batch
    `N` equals only itself (or 1): it is the same unknown size in every branch.
    """
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return tuple(reversed(out))


def _source(branch: list, before: str, after: str = "") -> str:
    """`the input`, `` `skip`, made at line 3 ``: where a branch that computes nothing takes its data."""
    if any(node.kind != "value" and not (node.kind == "layer" and node.op == "identity") for node in branch):
        return ""  # it computes: the message points at it
    reads = [node for node in branch if node.kind == "value" and node.op == "read"]
    if not reads:
        return f"{before}the input{after}"
    made = f", made at line {reads[-1].written}" if reads[-1].written is not None else ""
    return f"{before}`{reads[-1].name}`{made}{after}"


def _branch_span(stmt: ast.Combine, branches, index: int) -> Span:
    branch = branches[index]
    if branch:
        return branch[0].span if branch[0].span.line == branch[-1].span.line else branch[-1].span
    return stmt.where


def _add_label(branch, stmt) -> str:
    if branch and all(node.kind == "layer" and node.op == "identity" for node in branch):
        return "this branch keeps the input shape"
    return "this branch"


def _add_help(op: str, first: Shape, out: Shape, source, env: Env) -> str:
    """What would make branch `out` give `first`: a 1x1 conv and/or a stride, or the flag that chooses one."""
    rule = f"every branch of `{op}` must give the same shape, or size 1 where they differ" + _differ(first, out)
    if op != "add" or len(first) != 4 or len(out) != 4 or not all(isinstance(d, int) for d in (*first[1:], *out[1:])):
        return rule
    ratio = out[2] // first[2] if out[2] > first[2] and out[2] % first[2] == 0 else 1
    stride = f" with stride {ratio}" if ratio > 1 else ""
    fix = (f"a 1x1 conv to {first[1]} channels{stride}" if first[1] != out[1]
           else f"a 1x1 conv or a pool{stride}" if stride else "")
    if not fix:
        return rule
    flag = _switched_off(source, env)
    if flag:
        return f"pass `{flag}=true`, or give this branch {fix}"
    return f"give this branch {fix}"


def _differ(a: Shape, b: Shape) -> str:
    """`; here 4 and 16 differ in the channels`: the first pair of sizes that do not broadcast."""
    if len(a) != len(b):
        return f"; here the ranks differ ({len(a)} and {len(b)})"
    for axis, (x, y) in enumerate(zip(a, b)):
        if x != y and 1 not in (x, y):
            where = {0: "batch", 1: "channels"}.get(axis, f"dim {axis}")
            return f"; here {x} and {y} differ in the {where}"
    return ""


def _switched_off(source, env: Env) -> Optional[str]:
    """`x if flag else identity` as a branch with `flag` false: the name of the flag that would fix it."""
    if source is None or source.kind != "chain" or len(source.items) != 1:
        return None
    item = source.items[0]
    if item.kind != "layer_if" or item.test.kind != "name":
        return None
    try:
        value = env.lookup(item.test.id)
    except KeyError:
        return None
    return item.test.id if value is False else None


# ---------------------------------------------------------------- context for errors


MAX_FRAMES = 4


def _record_call(error: SpecError, block: ast.BlockDef, values: dict, call: ast.Call) -> None:
    """Remember, innermost first, the block calls an error happened in (see `_add_call_stack`)."""
    args = ", ".join(f"{k}={brief(v)}" for k, v in values.items())
    for one in error.errors:
        one.frames.append(f"`{block.name}({args})` at {call.where}")


def _add_call_stack(error: SpecError) -> None:
    """An error inside a block (often in a library file) says which call of the user's led there."""
    for one in error.errors:
        frames, one.frames = one.frames, []
        if not frames:
            continue
        shown = frames if len(frames) <= MAX_FRAMES else [*frames[:MAX_FRAMES - 1], "...", frames[-1]]
        lines = [f"in {frame}" if frame != "..." else frame for frame in shown]
        one.help = "\n".join([one.help or "this happened inside a block", *lines])


class SearchOver(Exception):
    """The trial elaborations of one search used up its budget: no input is suggested."""


class Search:
    """Trial elaborations of a model at other input sizes, all within a budget of their own.

    Each trial may run the whole model, past the point where the error was (a
    loop of a million steps after it): the trials share one budget of steps,
    and their layers and block instances count against one elaboration's, so
    a search costs at most about twice what the failed elaboration could.
    The sizes engine (`sizes.py`) runs its trials through a `Search` too, with
    budgets of its own (`LIMITS["sizes_steps"]`, `LIMITS["sizes_trials"]`).
    """

    def __init__(self, program: Program, definition: ast.ModelDef, overrides: dict,
                 steps: Optional[int] = None, made: Optional[int] = None,
                 what: str = "searching for an input that fits") -> None:
        self.program, self.definition, self.overrides = program, definition, overrides
        self.steps = Budget(LIMITS["search_steps"] if steps is None else steps, what=what)
        self.most = LIMITS["layers"] + LIMITS["nodes"] if made is None else made
        self.made = 0  # layers and block instances of the trials so far

    def fits(self, given: tuple, axis: str) -> bool:
        return self._run(lambda trial: trial.fits(self.definition, self.overrides, given, axis))

    def trial(self, given: tuple) -> Union[Draft, SpecError]:
        """The model elaborated at `given`, or the error it stops at (suggesting no input sizes)."""

        def run(trial: _Elaborator) -> Union[Draft, SpecError]:
            trial.suggest = False
            try:
                return trial.model(self.definition, self.overrides, given)
            except SpecError as error:
                return error

        return self._run(run)

    def _run(self, how: Callable):
        if self.made > self.most:
            raise SearchOver
        trial = _Elaborator(self.program, self.steps)
        try:
            return how(trial)
        finally:
            self.made += trial.state.layers + trial.state.nodes
            if self.steps.left < 0:  # the trial stopped for the search's budget, not for a size
                raise SearchOver


def _add_smallest_input(error: SpecError, program: Program, definition: ast.ModelDef, overrides: dict,
                        shape: Shape) -> None:
    """A size reached zero: say the smallest model input that fits (sizes only grow with the input)."""
    if len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:]):
        return
    search = Search(program, definition, overrides)
    sizes = list(shape)
    try:
        for axis, name in ((2, "height"), (3, "width")):
            # The other axis large, so that it cannot stop elaboration first.
            trial = list(shape)
            trial[5 - axis] = max(trial[5 - axis], ROOMY)
            found = _smallest_along(search, trial, axis, name)
            if found is None:
                return
            sizes[axis] = max(found, shape[axis])
        given = tuple(sizes[1:] if sizes[0] == "N" else sizes)
        if not all(search.fits(given, name) for name in ("height", "width")):
            return
    except SearchOver:
        return
    error.help += (f"\nthe model needs an input of at least {' x '.join(map(str, given))} "
                   "(`specc shapes --valid-sizes` lists every size it takes)")


def _add_nearest_inputs(error: SpecError, program: Program, definition: ast.ModelDef, overrides: dict,
                        shape: Shape) -> None:
    """A join's branches disagree along an axis: say the nearest input sizes along it at which they agree.

    (A U-Net with padded convs joins each level's skip to its upsampled path: only sizes that halve
    exactly at every level fit.) Sizes within `NEAREST` of the given one, nearest first.
    """
    if len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:]):
        return
    axis = 2 if error.axis == "height" else 3
    search = Search(program, definition, overrides)

    def fits(size: int) -> bool:
        trial = list(shape)
        # The other axis a power of two, which halves (or is cut in a join) without remainder.
        trial[axis], trial[5 - axis] = size, ROOMY
        return search.fits(tuple(trial[1:] if trial[0] == "N" else trial), error.axis)

    try:
        above = next((n for n in range(shape[axis] + 1, shape[axis] + NEAREST) if fits(n)), None)
        if above is None:  # no larger input fits (branches with different strides): no size to suggest
            return
        below = next((n for n in range(shape[axis] - 1, max(shape[axis] - NEAREST, 0), -1) if fits(n)), None)
    except SearchOver:
        return
    found = [str(n) for n in (below, above) if n is not None]
    error.help += (f"\nthe nearest input {error.axis}s at which the branches agree: {' and '.join(found)} "
                   "(`specc shapes --valid-sizes` lists every size the model takes)")


NEAREST = 64  # how far from the given input size `_add_nearest_inputs` looks


def _smallest_along(search: Search, sizes: list, axis: int, name: str) -> Optional[int]:
    """The smallest size along `axis` (the others as in `sizes`) at which no size reaches zero along it."""

    def fits(size: int) -> bool:
        trial = list(sizes)
        trial[axis] = size
        return search.fits(tuple(trial[1:] if trial[0] == "N" else trial), name)

    if fits(sizes[axis]):
        return sizes[axis]
    low, high = sizes[axis], sizes[axis] * 2  # `low` never fits, `high` is the candidate
    while not fits(high):
        if high >= MAX_SEARCH:
            return None
        low, high = high, min(high * 2, MAX_SEARCH)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if fits(middle) else (middle, high)
    return high


MAX_SEARCH = 1 << 14  # inputs larger than this are not suggested
ROOMY = 1 << 13  # a size along the other axis that no model reduces to zero
SEARCH_LAYERS = 2_000  # layers elaborated before the error, above which no smallest input is searched
SEARCH_STEPS = 50_000  # steps taken before the error, likewise (a loop that makes no layers is work too)


# ---------------------------------------------------------------- input and overrides


def _shape_from_sizes(sizes: list, span: Span, what: str, symbols: bool = False) -> Shape:
    """The input shape: `N` and the sample's sizes, or without `N` C x H x W or F, with a batch size or not.

    With `symbols`, a size may be a name (a symbolic size, `input 3 x H x W`).
    """
    batch = bool(sizes) and sizes[0] == BATCH
    if batch:
        sizes = sizes[1:]
    for size in sizes:
        if symbols and isinstance(size, Symbol):
            continue
        if isinstance(size, bool) or not isinstance(size, int):
            raise SpecError("E0401", f"expected int sizes in `{what}`, found {describe(size)} {brief(size)}", span,
                            label="not an int")
        if not 1 <= size <= LIMITS["size"]:
            raise SpecError("E0402", f"expected sizes from 1 to {LIMITS['size']:,} in `{what}`, found {size}", span,
                            label="out of range")
    if batch and 1 <= len(sizes) <= 4:
        return (BATCH, *sizes)
    if not batch and len(sizes) in (1, 3):
        return (BATCH, *sizes)
    if not batch and len(sizes) in (2, 4):
        return tuple(sizes)
    code = "E0502" if what == "--input" else "E0220"  # the command line's mistake, or the spec's
    after = "after `N` " if batch else ""
    raise SpecError(code, f"expected 1 to 4 sizes {after}in `{what}`, found {len(sizes)}", span, help=INPUT_HELP)


def _batch_help(written: Optional[tuple], problem: OpProblem, shape: Shape) -> Optional[str]:
    """E0304's help where the input's first size was read as the batch but the op takes the rank with `N` first."""
    if written is None or not problem.ranks:
        return None
    what, sizes = written
    if sizes[:1] == [BATCH] or len(sizes) not in (2, 4) or len(shape) != len(sizes):
        return None
    if not accepts(problem.ranks, len(sizes) + 1):
        return None
    sample = " x ".join(map(str, sizes))
    if what == "input":
        line, fixed = f"input {sample}", f"input N x {sample}"
    else:
        line, fixed = f"--input {'x'.join(map(str, sizes))}", f"--input Nx{'x'.join(map(str, sizes))}"
    return f"`{line}` reads its first size as the batch; for a sample of {sample}, write `{fixed}`"


def _check_override(param: ast.Param, default: Any, value: Any) -> Any:
    if default is None:
        return value
    if _same_type(default, value):
        return value
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise SpecError("E0501", f"`--set {param.name}=...`: expected {describe(default)} like the default "
                    f"{brief(default)}, found {describe(value)} {brief(value)}", param.where,
                    label="the parameter", help=f"pass a value of the same type, e.g. --set {param.name}={brief(default)}")


def _same_type(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return True
    return type(a) is type(b)
