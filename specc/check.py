"""Static checks: every name resolves, every call fits its signature, every name is legal.

Runs on the AST of a loaded `Program` before any value is computed, and
reports every problem it finds in one go:

    check_program(load("specs/lenet.spec"))   # returns, or raises SpecErrorGroup

What it checks: layer calls name an op or a block in scope; positional and
keyword arguments fit the signature (arity, unknown keywords, duplicates,
missing required ones); variables are defined before use; names are unique in
their scope, are not Python keywords and do not clobber `nn.Module`
attributes; `input` sits at the top of a model; model parameters have
defaults (a model must build with no arguments); `default op(k=v)` names an
op and optional arguments of it; `init op: tensor=rule` names ops with that
tensor and rules of the catalogue that fit it; a derived model (`model B = A(k=v)`)
extends a model in reach, without a cycle, naming parameters `A` has; an
`op` declaration names argument kinds specc knows, its import path and
constructor keywords are Python names, and its expressions see only its
arguments and `in` (its import path is never imported here).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Sequence

from . import reserved
from .declared import KINDS
from .diagnostics import Collector, SpecError, Suggestion, suggest
from .expr import BUILTINS, Env
from .initializers import CATALOGUE, Initializer
from .ops import COMBINATORS, OPS, Op
from .resolve import Program
from .syntax import ast, templates
from .syntax.visit import StatementVisitor


def check_program(program: Program, problems: Optional[Collector] = None) -> None:
    """Check every file of `program`; problems go to `problems` (the pipeline's), or are raised here."""
    own = problems is None
    problems = Collector() if own else problems
    cycles: set = set()
    for unit in program.units.values():
        if unit.bundled:  # `tests/test_library.py` holds every bundled library to these checks
            continue
        _check_definitions(unit.module, problems)
        _check_layer_names(unit, problems)
        for op in unit.module.ops:
            _OpChecker(problems).definition(op)
        for definition in [*unit.module.blocks, *unit.module.models]:
            checker = _BodyChecker(unit.scope, problems, is_model=isinstance(definition, ast.ModelDef), ops=unit.ops)
            if isinstance(definition, ast.ModelDef) and definition.extends is not None:
                problems.run(lambda d=definition, c=checker: _check_derived(program, d, c, cycles))
            else:
                problems.run(lambda d=definition, c=checker: c.definition(d))
    if own:
        problems.raise_if_any()


# ---------------------------------------------------------------- definitions


def _check_derived(program: Program, definition: ast.ModelDef, checker: "_BodyChecker", cycles: set) -> None:
    try:
        effective = program.effective(definition)
    except SpecError as error:
        cycle = getattr(error, "cycle", None)
        if cycle is not None:  # every model in (or extending) a cycle meets it: report it once
            if cycle in cycles:
                return
            cycles.add(cycle)
        raise
    checker.derived(effective, definition)


def _check_definitions(module: ast.Module, collector: Collector) -> None:
    seen: dict[str, ast.Node] = {}
    for definition in [*module.ops, *module.blocks, *module.models]:
        what = {ast.OpDef: "op", ast.BlockDef: "block"}.get(type(definition), "model")
        collector.run(lambda d=definition: _check_name(d.name, d.name_span, what))
        if definition.name in seen:
            first = seen[definition.name]
            collector.add(SpecError("E0206", f"`{definition.name}` is defined twice", definition.name_span.to_diagnostic(),
                                    label=f"first defined at line {first.span.line}",
                                    help="rename one of them"))
        seen.setdefault(definition.name, definition)
        if definition.name in OPS:
            collector.add(SpecError("E0206", f"`{definition.name}` is the name of a built-in op",
                                    definition.name_span.to_diagnostic(), label="shadows the op",
                                    help=f"call the {what} something else, e.g. `my_{definition.name}`"))
        if what == "model" and definition.name in reserved.GLOBAL_NAMES:
            # The model's class is a global of the generated file, beside its imports.
            collector.add(SpecError("E0208", f"the model name `{definition.name}` would hide `{definition.name}` "
                                    "in the generated file", definition.name_span.to_diagnostic(),
                                    label="names the generated class",
                                    help=f"choose another name, e.g. `{definition.name}_model`"))


def _check_layer_names(unit, collector: Collector) -> None:
    """A name in reach as a block and as a declared op (one of them from a used file) would call either."""
    for name in sorted(unit.scope.keys() & unit.ops.keys()):
        op, block = unit.ops[name], unit.scope[name]
        if op.span.file == unit.name and block.span.file == unit.name:
            continue  # both defined here: `_check_definitions` reports it
        own = op if op.span.file == unit.name else block if block.span.file == unit.name else None
        where = own.name_span.to_diagnostic() if own is not None else unit.module.uses[0].where
        collector.add(SpecError("E0206", f"`{name}` is both a block and an op here", where,
                                label="a second definition of the name",
                                help="rename the op or the block, so that a call names one of them"))


def _check_name(name: str, span: ast.Span, what: str, attribute: bool = False) -> None:
    where = span.to_diagnostic()
    if reserved.python_keyword(name):
        raise SpecError("E0207", f"expected a name, found the Python keyword `{name}`", where,
                        label="a Python keyword",
                        help=f"the {what} becomes Python code; choose another name, e.g. `{name}_`")
    if attribute and reserved.clobbers_module(name):
        reason = ("starts with `_`, which nn.Module keeps for its internals" if name.startswith("_")
                  else "is a name the generated Python file uses" if name in reserved.GENERATED_NAMES
                  else f"would overwrite `nn.Module.{name}`")
        label = "reserved by the generated file" if name in reserved.GENERATED_NAMES else "reserved by nn.Module"
        raise SpecError("E0208", f"the name `{name}` {reason}", where, label=label,
                        help=f"choose another name, e.g. `{name.lstrip('_')}_layer`")


def _names_something(stmt: ast.Named) -> None:
    """`foo = identity` names no module (identity is none): say so rather than drop the name."""
    inner = stmt.stmt
    if inner.kind == "chain" and len(inner.items) == 1 and inner.items[0].kind == "call" \
            and inner.items[0].name == "identity":
        raise SpecError("E0310", f"expected a layer to name `{stmt.name}`, found `identity`, which is no module",
                        stmt.where, label="no module to name",
                        help="drop the name, or name a layer that computes something")


# ---------------------------------------------------------------- declared ops


class _OpChecker:
    """`op name(args) = pkg.mod.Class(call): rules`: every name of it, without importing anything.

    The arguments are legal, distinct names, those with defaults last, each of a kind specc knows;
    the import path and the constructor's keywords are Python names (they are written into the
    generated file); every expression sees the arguments (a default, the arguments before it) and `in`.
    """

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.names = Collector()  # unknown names, whose help is about ops (see `definition`)
        self.exprs = _BodyChecker({}, self.names, is_model=False)

    def definition(self, op: ast.OpDef) -> None:
        try:
            self._definition(op)
        finally:
            for error in self.names.errors:
                if error.help == _NAMES_HELP:
                    error.help = f"the expressions of op `{op.name}` see its arguments and `in`"
                self.collector.add(error)
            self.names.errors.clear()

    def _definition(self, op: ast.OpDef) -> None:
        args = Env({})
        seen_default = ""
        for arg in op.args:
            self.collector.run(lambda a=arg: _check_name(a.name, a.span, "argument"))
            if arg.name in args.vars:
                self.collector.add(SpecError("E0206", f"argument `{arg.name}` of op `{op.name}` is declared twice",
                                             arg.where, label="second declaration",
                                             help="rename or remove one of them"))
            if arg.type is not None and arg.type not in KINDS:
                self.collector.add(SpecError(
                    "E0233", f"expected the kind of an argument ({_kinds()}), found `{arg.type}`",
                    arg.type_span.to_diagnostic(), label="not a kind",
                    help=suggest(arg.type, KINDS) or f"leave the kind out (`{arg.name}`) to take any value"))
            if arg.default is not None:
                seen_default = arg.name
                self.exprs.expr(arg.default, Env(dict(args.vars)))
            elif seen_default:
                self.collector.add(SpecError(
                    "E0215", f"expected a default for `{arg.name}`, which follows `{seen_default}=...`, found none",
                    arg.where, label="no default", help="put arguments without defaults first, as in Python"))
            args.vars[arg.name] = arg.span
        self._target(op)
        for expr in [*op.call_args, *(k.value for k in op.call_kwargs)]:
            self.exprs.expr(expr, args)
        given: dict[str, ast.Keyword] = {}
        for keyword in op.call_kwargs:
            self.collector.run(lambda k=keyword: _check_name(k.name, k.span, "keyword argument"))
            if keyword.name in given:
                self.collector.add(SpecError("E0211", f"argument `{keyword.name}` of `{op.target}` is given twice",
                                             keyword.where, label=f"`{keyword.name}` was already given",
                                             help="give each argument once"))
            given[keyword.name] = keyword
        for rule in ast.OP_RULES:
            if getattr(op, rule) is not None:
                self.exprs.expr(getattr(op, rule), args)

    def _target(self, op: ast.OpDef) -> None:
        """`examples.seeds.layers.MyLinear`: each part becomes Python code in `from ... import ...`."""
        for part in op.target.split("."):
            if reserved.python_keyword(part):
                self.collector.add(SpecError(
                    "E0207", f"expected an import path of Python names, found the keyword `{part}` in "
                    f"`{op.target}`", op.target_span.to_diagnostic(), label="not importable",
                    help="the generated file writes `from <module> import <class>`: name a module and class "
                         "that Python can import"))
                return


def _kinds() -> str:
    return ", ".join(f"`{kind}`" for kind in KINDS)


# ---------------------------------------------------------------- bodies


INPUT_HELP = ("write `input C x H x W` for images or `input F` for features (a leading extra size is the batch), "
              "or `input N x ...` with 1 to 4 sizes for any rank: `input N x 3 x 16 x 112 x 112`")


@dataclass
class _Attrs:
    """Named statements of one module (a block, a model, or a named container)."""

    names: dict[str, ast.Span] = field(default_factory=dict)


class _BodyChecker(StatementVisitor):
    def __init__(self, blocks: dict[str, ast.BlockDef], collector: Collector, is_model: bool,
                 ops: Optional[dict[str, ast.OpDef]] = None) -> None:
        self.blocks = blocks
        self.ops = ops or {}  # the declared ops in reach
        self.layers = {**self.blocks, **self.ops}  # every name a chain may call, built-in ops aside
        self.collector = collector
        self.is_model = is_model
        self._input_seen: Optional[ast.Span] = None
        self._input_seen_unnamed = False
        # Where the statement being visited stands, for `visit_input`: in the model's own body
        # (not a nested one), and after a layer.
        self._at_top = self._after_layers = False
        # The named values read, by (id of their module's values, name): a value nothing reads is a warning.
        self._reads: set[tuple[int, str]] = set()

    def run(self, action) -> None:
        self.collector.run(action)

    # -- a definition

    def definition(self, definition) -> None:
        params = Env({})
        self._params(definition, params)
        body = params.module_child()
        for param in definition.params:
            if param.tensor and not self.is_model:  # a named value inside the block
                body.values[param.name] = param.span
        self._body(definition.body, body, _Attrs(), loop=False, top=True)
        self._unread(body)

    def _read(self, name: str, vars: Env) -> None:
        self._reads.add((id(vars.values), name))

    def _unread(self, body: Env) -> None:
        """A module's body is checked: warn of each named value in it that nothing reads."""
        for name, span in (body.values or {}).items():
            if (id(body.values), name) not in self._reads:
                self.collector.warn(SpecError(
                    "W0301", f"the value `{name}` is never read", span.to_diagnostic(), label="named here",
                    help=f"read it (`{name} -> ...`, a branch `{name}`, `{name}.hw`, `output {name}`) or drop "
                         "its name"))

    def derived(self, effective: ast.ModelDef, definition: ast.ModelDef) -> None:
        """`model B = A(k=v)`: `program.effective` found `A` and its parameters; the new defaults' names resolve."""
        given = {id(keyword.value) for keyword in definition.defaults}
        params = Env({})
        for param in effective.params:
            if id(param.default) in given:  # seeing the parameters before it, as a default does
                self.run(lambda p=param, v=Env(dict(params.vars)): self.expr(p.default, v))
            params.vars[param.name] = param.span

    def _params(self, definition, params: Env) -> None:
        seen_default = ""
        for param in definition.params:
            self.run(lambda p=param: _check_name(p.name, p.span, "parameter"))
            if param.name in params.vars:
                self.collector.add(SpecError("E0206", f"parameter `{param.name}` is declared twice", param.where,
                                             label="second declaration", help="rename or remove one of them"))
            if param.tensor:
                if self.is_model:
                    self.collector.add(SpecError(
                        "E0321", f"expected a value parameter in a model, found the tensor parameter `{param.name}`",
                        param.where, label="a model takes tensors as inputs",
                        help=f"declare it as an input of the model: `input {param.name}: C x H x W`"))
                continue  # bound as a value of the body (`definition`)
            if param.default is not None:
                seen_default = param.name
                self.run(lambda p=param, v=params: self.expr(p.default, v))
            elif self.is_model:
                self.collector.add(SpecError(
                    "E0214", f"expected a default value for model parameter `{param.name}`, found none", param.where,
                    label="no default", help=f"a model must build with no arguments: write `{param.name}=...`; "
                                             "`--set` overrides it"))
            elif seen_default:
                self.collector.add(SpecError(
                    "E0215", f"expected a default for `{param.name}`, which follows `{seen_default}=...`, found none",
                    param.where, label="no default", help="put parameters without defaults first, as in Python"))
            params.vars[param.name] = param.span

    def _body(self, body: Sequence, vars: Env, attrs: _Attrs, loop: bool, top: bool = False) -> None:
        layers_seen = False
        output: Optional[ast.Output] = None
        for stmt in body:
            self._at_top, self._after_layers = top, layers_seen
            layers_seen = layers_seen or stmt.kind not in ("let", "input", "default", "output", "init")
            if output is not None:
                where = "model" if self.is_model else "block"
                self.collector.add(SpecError(
                    "E0320", f"expected `output` last in the {where}, found a statement after it", stmt.where,
                    label=f"after the `output` of line {output.span.line}",
                    help=f"`output` says what the {where} returns: move it to the end of the {where}"))
                output = None
            if stmt.kind == "output":
                output = stmt
            self.run(lambda s=stmt: self.visit(s, vars, attrs, loop))

    # One handler per statement kind (`self.visit(stmt, vars, attrs, loop)`).

    def visit_input(self, stmt: ast.Input, vars: Env, attrs: _Attrs, loop: bool) -> None:
        if not self.is_model:
            raise SpecError("E0217", "expected `input` in a model, found it in a block", stmt.where,
                            label="blocks take their input from the caller",
                            help="declare the input shape at the top of the model that uses this block")
        if not self._at_top or self._after_layers:
            found = "after a layer" if self._at_top else "inside a nested statement"
            raise SpecError("E0108", f"expected `input` at the top of the model body, found it {found}", stmt.where,
                            label="not at the top",
                            help="move `input` before the first layer")
        if self._input_seen is not None and (stmt.name is None or self._input_seen_unnamed):
            raise SpecError("E0216", "`input` is declared twice", stmt.where,
                            label=f"already declared at line {self._input_seen.line}",
                            help="keep one `input` line, or name every input (`input image: 3 x H x W`)")
        first = self._input_seen is None
        self._input_seen, self._input_seen_unnamed = stmt.span, stmt.name is None
        if stmt.name is not None:
            if stmt.name in (vars.values or ()):  # each input is an argument of the generated `forward`
                first = vars.values[stmt.name]
                raise SpecError("E0216", f"`input {stmt.name}` is declared twice", stmt.name_span.to_diagnostic(),
                                label=f"already declared at line {first.line}",
                                help="give each input a name of its own")
            self._bind_value(stmt.name, stmt.name_span, vars)
            if first:  # the first input is what flows into the body: read by its first layer
                self._read(stmt.name, vars)
        batch = stmt.names_batch(lambda name: vars.get(name) is not None)
        sizes = stmt.dims[1:] if batch else stmt.dims
        if not 1 <= len(sizes) <= 4:
            raise SpecError("E0220", f"expected 1 to 4 sizes {'after `N` ' if batch else ''}in `input`, found "
                            f"{len(sizes)}", stmt.where, help=INPUT_HELP)
        symbolic = {id(dim) for _, _, dim in self._symbols(stmt, vars, first)}
        for dim in sizes:
            if id(dim) not in symbolic:
                self.expr(dim, vars)

    @staticmethod
    def _symbols(stmt: ast.Input, vars: Env, first: bool) -> list:
        """The symbolic sizes of an `input` (`3 x H x W`): spatial sizes of the model's first input only."""
        symbols = stmt.symbols(lambda name: vars.get(name) is not None)
        for index, name, dim in symbols:
            if not first:
                raise SpecError("E0330", f"expected sizes in the model's second input, found the symbolic size "
                                f"`{name}`", dim.where, label="not defined here",
                                help="only the first input's height and width (or length, depth) may be symbolic; "
                                     "give this input numbers, or make it the first")
            if index < 2:
                what = "batch size" if index == 0 else "channels (or features)"
                raise SpecError("E0330", f"expected a number for the {what}, found the symbolic size `{name}`",
                                dim.where, label="not a spatial size",
                                help="only spatial sizes may be symbolic (`input 3 x H x W`): the channels decide "
                                     "the parameters; define it as a parameter of the model to choose it with --set")
        return symbols

    def visit_let(self, stmt: ast.Let, vars: Env, attrs: _Attrs, loop: bool) -> None:
        if is_layer_let(stmt, self.layers):
            # `let fc = linear(8)`: one module, applied wherever `fc` stands in a chain.
            self.layer(stmt.value, vars)
            self._bind(stmt.name, stmt.name_span, vars, "shared layer")
            vars.vars[stmt.name] = _SharedLayer(stmt.name_span)
            if stmt.name in OPS or stmt.name in self.layers:  # (bound all the same: its uses are no new errors)
                raise SpecError("E0206", f"the shared layer `{stmt.name}` would hide the "
                                f"{'block' if stmt.name in self.blocks else 'op'} `{stmt.name}`",
                                stmt.name_span.to_diagnostic(),
                                label="the name of the shared layer", help=f"call it something else, e.g. `{stmt.name}_`")
            return
        self.expr(stmt.value, vars)
        self._bind(stmt.name, stmt.name_span, vars, "variable")

    def visit_chain(self, stmt: ast.Chain, vars: Env, attrs: _Attrs, loop: bool) -> None:
        items = stmt.items
        if items and reads_value(items[0], vars.values):
            self._read(items[0].name, vars)
            items = items[1:]  # `skip -> conv(64)`: the chain starts from a named value
        for layer in items:
            self.run(lambda l=layer: self.layer(l, vars))
        if stmt.capture is not None:
            self.run(lambda: self._bind_value(stmt.capture, stmt.capture_span, vars))
        for name, span in zip(stmt.unpack or (), stmt.unpack_spans or ()):
            self.run(lambda n=name, s=span: self._bind_value(n, s, vars))
        self.run(lambda: unpacking(stmt, [(getattr(item, "name", ""), self._results(item), item.where)
                                         for item in items]))
        twice = _first_repeated(stmt.unpack or ())
        if twice is not None:
            self.collector.add(SpecError("E0321", f"the value `{twice}` is named twice in `as (...)`",
                                         stmt.where, label="one name per result",
                                         help="give every result its own name"))

    def _results(self, item) -> int:
        """How many values a chain's item returns: a block whose `output` is a tuple returns several."""
        block = self.blocks.get(item.name) if item.kind == "call" else None
        last = block.body[-1] if block is not None and block.body else None
        if last is not None and last.kind == "output" and last.value.kind == "tuple":
            return len(last.value.items)
        return 1

    def visit_output(self, stmt: ast.Output, vars: Env, attrs: _Attrs, loop: bool) -> None:
        where = "model" if self.is_model else "block"
        if not self._at_top:
            raise SpecError("E0320", f"expected `output` at the top of a {where} body, found it inside a nested "
                            "statement", stmt.where, label=f"not at the top of the {where}",
                            help=f"`output` ends the {where}: write it last, at the top level of its body")
        if not self.is_model and not _block_output(stmt.value):
            raise SpecError("E0320", "expected a named value or a tuple of them in a block's `output`, found "
                            f"{_describe_output(stmt.value)}", stmt.value.where, label="a block returns tensors",
                            help="write `output skip` or `output (out, skip)`; the caller names several results "
                                 "with `as (a, b)`")
        for node in _walk_expr(stmt.value):
            if node.kind == "name" and node.id in vars.values:
                self._read(node.id, vars)
            if node.kind == "name" and node.id != "training" and node.id not in vars.values:
                self.collector.add(_unknown_value(node, vars))
            elif node.kind not in ("name", "tuple", "list", "dict", "str", "ifexp"):
                self.collector.add(SpecError(
                    "E0320", f"expected named values in `output`, found {_describe_output(node)}", node.where,
                    label="not a value", help='write a value, a tuple of values or `{"name": value, ...}`, '
                                              "optionally `... if training else ...`"))
                return

    def _bind_value(self, name: str, span: ast.Span, vars: Env) -> None:
        """A named value (`as name`, `input name: ...`): known from here on in this module."""
        _check_name(name, span, "value name")
        if name in OPS or name in self.blocks or vars.get(name) is not None:
            what = "op" if name in OPS else "block" if name in self.blocks else "variable"
            raise SpecError("E0206", f"the value name `{name}` would hide the {what} `{name}`", span.to_diagnostic(),
                            label="a value name", help=f"call the value something else, e.g. `{name}_out`")
        vars.values[name] = span

    def visit_combine(self, stmt: ast.Combine, vars: Env, attrs: _Attrs, loop: bool) -> None:
        if stmt.parts is not None:
            self.expr(stmt.parts, vars)
        self._body(stmt.body, vars.child(), attrs, loop)

    def visit_seq(self, stmt: ast.Seq, vars: Env, attrs: _Attrs, loop: bool) -> None:
        if stmt.module:  # `sequential:` is a module of its own
            inner = vars.module_child()
            self._body(stmt.body, inner, _Attrs(), loop=False)
            self._unread(inner)
        else:
            self._body(stmt.body, vars.child(), attrs, loop)

    def visit_repeat(self, stmt: ast.Repeat, vars: Env, attrs: _Attrs, loop: bool) -> None:
        self.expr(stmt.count, vars)
        self._body(stmt.body, vars.child(), attrs, loop=True)

    def visit_for(self, stmt: ast.For, vars: Env, attrs: _Attrs, loop: bool) -> None:
        self.expr(stmt.iter, vars)
        inner = vars.child()
        for name, span in ast.target_names(stmt.targets, stmt.target_spans):
            self.run(lambda n=name, s=span: self._bind(n, s, inner, "loop variable"))
        self._body(stmt.body, inner, attrs, loop=True)

    def visit_if(self, stmt: ast.If, vars: Env, attrs: _Attrs, loop: bool) -> None:
        self._if(stmt, vars, attrs, loop)

    def visit_named(self, stmt: ast.Named, vars: Env, attrs: _Attrs, loop: bool) -> None:
        self._named(stmt, vars, attrs, loop)

    def visit_default(self, stmt: ast.Default, vars: Env, attrs: _Attrs, loop: bool) -> None:
        for keyword in stmt.kwargs:
            self.run(lambda k=keyword: self.expr(k.value, vars))
        default_arguments(stmt, self.blocks, self.ops)

    def visit_init(self, stmt: ast.Init, vars: Env, attrs: _Attrs, loop: bool) -> None:
        for rule in stmt.rules:
            if rule.value.kind == "call":
                for value in [*rule.value.args, *(k.value for k in rule.value.kwargs)]:
                    self.run(lambda v=value: self.expr(v, vars))
        self.run(lambda: init_ops(stmt, self.blocks, self.ops))
        for rule in stmt.rules:
            self.run(lambda r=rule: init_rule(stmt, r))
        _no_tensor_twice(stmt)

    def _if(self, stmt: ast.If, vars: Env, attrs: _Attrs, loop: bool) -> None:
        # Each branch may define the same attribute names: only one of them runs.
        branch_attrs = []
        for branch in stmt.branches:
            self.run(lambda b=branch: self.expr(b.test, vars))
            local = _Attrs(dict(attrs.names))
            self._body(branch.body, vars.child(), local, loop)
            branch_attrs.append(local)
        if stmt.orelse is not None:
            local = _Attrs(dict(attrs.names))
            self._body(stmt.orelse, vars.child(), local, loop)
            branch_attrs.append(local)
        for local in branch_attrs:
            for name, span in local.names.items():
                attrs.names.setdefault(name, span)

    def _named(self, stmt: ast.Named, vars: Env, attrs: _Attrs, loop: bool) -> None:
        where = stmt.name_span.to_diagnostic()
        computed = self._name_pieces(stmt, vars)
        self.run(lambda: _names_something(stmt))
        if computed is False:  # a name known now; a computed one is checked when it is (`naming`)
            self.run(lambda: _check_name(stmt.name, stmt.name_span, "layer name", attribute=True))
            if stmt.name in attrs.names:
                first = attrs.names[stmt.name]
                self.collector.add(SpecError("E0206", f"the name `{stmt.name}` is used twice in one module", where,
                                             label=f"first used at line {first.line}",
                                             help="each named layer becomes an attribute: give this one another "
                                                  "name"))
            elif loop:
                self.collector.add(SpecError("E0206", f"the name `{stmt.name}` would be given on every iteration",
                                             where, label="named inside `repeat` or `for`",
                                             help="drop the name (repeated layers get positional names), compute "
                                                  "it from the loop variable (`\"layer{i}\" = ...`), or name a "
                                                  "block call outside the loop"))
            attrs.names.setdefault(stmt.name, stmt.name_span)
        inner = stmt.stmt
        if inner.kind == "chain":
            self.visit(inner, vars, attrs, loop)
        else:
            # A named container is a module of its own: its names live in a fresh namespace.
            body = vars.module_child()
            self.visit(inner, body, _Attrs(), loop=False)
            self._unread(body)

    def _name_pieces(self, stmt: ast.Named, vars: Env) -> Optional[bool]:
        """Check a quoted name's text and expressions: whether it computes anything (None: it is broken)."""
        try:
            pieces = templates.pieces(stmt.name, stmt.name_span)
        except SpecError as error:
            self.collector.add(error)
            return None
        expressions = [p for p in pieces if not isinstance(p, str)]
        for expression in expressions:
            self.expr(expression, vars)
        return bool(expressions)

    def _bind(self, name: str, span: ast.Span, vars: Env, what: str) -> None:
        _check_name(name, span, what)
        earlier = vars.get(name)
        if earlier is not None:
            raise SpecError("E0206", f"`{name}` is already defined", span.to_diagnostic(),
                            label=f"first defined at line {earlier.line}",
                            help="variables cannot be redefined: choose another name")
        vars.vars[name] = span

    # -- layers and expressions

    def layer(self, layer, vars: Env) -> None:
        if layer.kind == "layer_if":
            self.run(lambda: self.expr(layer.test, vars))
            self.run(lambda: self.layer(layer.body, vars))
            self.run(lambda: self.layer(layer.orelse, vars))
            return
        tensors = _tensor_arguments(layer, self.blocks.get(layer.name))
        for value in [*layer.args, *(k.value for k in layer.kwargs)]:
            if id(value) in tensors:
                self.run(lambda v=value: _check_tensor_argument(v, tensors[id(v)], layer.name, vars))
                if value.kind == "name":
                    self._read(value.id, vars)
            else:
                self.run(lambda v=value: self.expr(v, vars))
        signature = self._signature(layer, vars)
        _check_arguments(layer, *signature)

    def _signature(self, call: ast.Call, vars: Env) -> tuple[str, list[tuple[tuple[str, ...], bool]]]:
        """(what, [(spellings, required)]) for the op or block `call` names."""
        name, where = call.name, call.name_span.to_diagnostic()
        if isinstance(vars.get(name), _SharedLayer):
            if not call.bare:
                raise SpecError("E0219", f"expected the shared layer `{name}` without arguments, found a call",
                                call.where, label="a shared layer is applied as it is",
                                help=f"write `{name}`; its arguments were given where `let {name} = ...` made it")
            return f"shared layer `{name}`", []
        if name in OPS:
            return f"op `{name}`", [(a.spellings, a.required) for a in OPS[name].args]
        if name in self.blocks:
            return f"block `{name}`", [((p.name,), p.default is None) for p in self.blocks[name].params]
        if name in self.ops:
            return f"op `{name}`", [((a.name,), a.default is None) for a in self.ops[name].args]
        if name in COMBINATORS:
            raise SpecError("E0219", f"expected a layer, found the combinator `{name}`", where, label="used as a layer",
                            help=f"write `{name}:` on its own line, with one branch per indented line below it")
        if name in BUILTINS:
            raise SpecError("E0219", f"expected a layer, found `{name}`, a function for values", where,
                            label="not a layer", help="compute values with `let`, then pass them to a layer")
        if name in (vars.values or ()):
            raise SpecError("E0219", f"expected a layer, found the value `{name}`", where, label="a named value",
                            help=f"a value starts a chain (`{name} -> ...`) or is a branch of a combinator")
        if vars.get(name) is not None:
            raise SpecError("E0219", f"expected a layer, found the variable `{name}`", where, label="a variable",
                            help="a chain holds op and block calls, e.g. `conv(c, k=3)`")
        layers = self.layers
        raise SpecError("E0201", f"expected an op or block, found `{name}`", where,
                        label="not an op or a block in scope",
                        help=_ranked_name(name) or Suggestion(
                            name, lambda: [*OPS, *layers],
                            otherwise="see `specc ops` for the ops; blocks come from this file or a `use` line"))

    def expr(self, expr, vars: Env) -> None:
        for node in _walk_expr(expr):
            if node.kind == "name" and (vars.get(node.id) is None or isinstance(vars.get(node.id), _SharedLayer)):
                self.collector.add(_unknown_variable(node, vars, self.layers))
            elif node.kind == "call" and node.name not in BUILTINS:
                self.collector.add(_unknown_function(node, self.layers))
            elif node.kind == "value_shape" and node.name not in (vars.values or ()):
                self.collector.add(_unknown_value(node, vars))
            elif node.kind == "value_shape":
                self._read(node.name, vars)


def _ranked_name(name: str) -> Optional[str]:
    """`conv2d` and `maxpool3d` as torch names them: specc's op takes the rank from the input."""
    match = re.fullmatch(r"(\w+?)_?[123]d", name)
    if match and match.group(1) in OPS:
        return (f"did you mean `{match.group(1)}`? specc chooses the 1d, 2d or 3d class from the input's rank "
                "([N, C, L], [N, C, H, W] or [N, C, D, H, W])")
    return None


def default_arguments(stmt: ast.Default, blocks, ops=None) -> tuple:
    """The op `default op(k=v)` names and the argument each keyword sets; a located error if one is wrong.

    For a built-in op: its `ops.Op` and `ops.Arg`s; for a declared op (`ops`, the declarations
    in reach): its `ast.OpDef` and `ast.OpArg`s.
    """
    where = stmt.op_span.to_diagnostic()
    op = OPS.get(stmt.op)
    declared = (ops or {}).get(stmt.op) if op is None else None
    if op is None and declared is None:
        if stmt.op in blocks:
            raise SpecError("E0219", f"expected an op in `default`, found the block `{stmt.op}`", where,
                            label="a block", help="`default` sets the arguments of an op; "
                                                  "a block's parameters have defaults of their own")
        raise SpecError("E0201", f"expected an op in `default`, found `{stmt.op}`", where, label="not an op",
                        help=suggest(stmt.op, [*OPS, *(ops or {})]) or "see `specc ops` for the ops")
    if declared is not None:
        by_name = {arg.name: arg for arg in declared.args}
        lookup, spellings = by_name.get, by_name
        signature = [((a.name,), a.default is None) for a in declared.args]
    else:
        lookup, spellings = op.arg, op.by_spelling
        signature = [(a.spellings, a.required) for a in op.args]
    what = f"op `{stmt.op}`"
    pairs: list[tuple[ast.Keyword, object]] = []
    for keyword in stmt.kwargs:
        arg = lookup(keyword.name)
        if arg is None:
            raise SpecError("E0202", f"unknown keyword argument `{keyword.name}` for {what}", keyword.where,
                            label="not an argument of this op",
                            help=suggest(keyword.name, spellings) or _signature_help(what, signature))
        if (arg.default is None) if declared is not None else arg.required:
            raise SpecError("E0232", f"expected an argument with a default in `default {stmt.op}`, found "
                            f"`{arg.name}`, which every call gives", keyword.where, label="required in every call",
                            help=f"`default` changes the defaults of optional arguments; "
                                 f"give `{arg.name}` in each call of `{stmt.op}`")
        if any(arg is other for _, other in pairs):
            raise SpecError("E0211", f"argument `{arg.name}` of `default {stmt.op}` is given twice", keyword.where,
                            label=f"`{arg.name}` was already given", help="give each argument once")
        pairs.append((keyword, arg))
    return (op if declared is None else declared), pairs


def init_ops(stmt: ast.Init, blocks, declared=None) -> list[Op]:
    """The ops `init op, ...: ...` names (none for `init layer`); a located error for a name that is no op
    with parameters, or a tensor one of them lacks. `declared`: the declared ops in reach, whose
    tensors are their own modules' (no rule of specc's reaches them)."""
    ops: list[Op] = []
    for name, span in zip(stmt.ops, stmt.op_spans):
        where = span.to_diagnostic()
        op = OPS.get(name)
        if op is None:
            if name in (declared or {}):
                raise SpecError("E0219", f"expected a built-in op in `init`, found the declared op `{name}`", where,
                                label="its tensors are its module's own",
                                help=f"`init` rules name built-in ops; initialise `{name}`'s tensors in its own "
                                     f"module's `__init__`")
            if name in blocks:
                raise SpecError("E0219", f"expected an op in `init`, found the block `{name}`", where, label="a block",
                                help=f"`init` rules name ops; to set the rules inside `{name}`, write `init` "
                                     f"before its call, or in its body")
            raise SpecError("E0201", f"expected an op in `init`, found `{name}`", where, label="not an op",
                            help=suggest(name, [o for o in OPS if OPS[o].tensors]) or "see `specc ops` for the ops")
        if not op.tensors:
            raise SpecError("E0241", f"expected an op with parameters in `init`, found `{name}`, which has none",
                            where, label="nothing to initialise",
                            help="ops with parameters: " + ", ".join(f"`{o}`" for o in OPS if OPS[o].tensors))
        if op in ops:
            raise SpecError("E0206", f"`{name}` is listed twice in `init`", where, label="already listed",
                            help="list each op once")
        for rule in stmt.rules:
            if op.tensor(rule.name) is None:
                raise SpecError("E0241", f"expected a tensor of `{name}` in `init {stmt.target_text()}`, found "
                                f"`{rule.name}`", _rule_name_span(rule), label=f"`{name}` has no `{rule.name}`",
                                help=suggest(rule.name, [t.name for t in op.tensors]) or
                                f"`{name}` has " + " and ".join(f"`{t.name}`" for t in op.tensors))
        ops.append(op)
    return ops


def init_rule(stmt: ast.Init, rule: ast.Keyword) -> Initializer:
    """The catalogue's rule `tensor=rule` names; a located error if it is unknown, misapplied or miscalled."""
    known = {t.name for op in OPS.values() for t in op.tensors}
    if stmt.layer is not None and rule.name not in known:
        raise SpecError("E0241", f"expected a tensor in `init {stmt.target_text()}`, found `{rule.name}`",
                        _rule_name_span(rule), label="no op has this tensor",
                        help=suggest(rule.name, known) or "tensors: " + ", ".join(f"`{t}`" for t in sorted(known)))
    value = rule.value
    if value.kind not in ("name", "call"):
        raise SpecError("E0240", f"expected an init rule such as `normal(std=0.01)` for `{rule.name}`, found an "
                        "expression", value.where, label="not a rule",
                        help="rules: " + ", ".join(f"`{r}`" for r in CATALOGUE))
    name = value.id if value.kind == "name" else value.name
    where = value.where if value.kind == "name" else value.name_span.to_diagnostic()
    initializer = CATALOGUE.get(name)
    if initializer is None:
        raise SpecError("E0240", f"expected an init rule of torch.nn.init for `{rule.name}`, found `{name}`", where,
                        label="not a rule of torch.nn.init",
                        help=suggest(name, CATALOGUE) or "rules: " + ", ".join(f"`{r}`" for r in CATALOGUE))
    what = f"init rule `{name}`"
    params = [((a.name,), a.required) for a in initializer.args]
    if value.kind == "call":
        _check_arguments(value, what, params)
    elif any(a.required for a in initializer.args):
        missing = ", ".join(f"`{a.name}`" for a in initializer.args if a.required)
        raise SpecError("E0205", f"missing argument {missing} for {what}", value.where, label="used here",
                        help=f"{what} takes ({initializer.parameters()}): write `{name}(...)`")
    for op in (OPS[o] for o in stmt.ops if o in OPS):
        tensor = op.tensor(rule.name)
        if tensor is not None and tensor.rank is not None and tensor.rank < initializer.min_rank:
            dims = f"{tensor.rank} dim{'s' if tensor.rank != 1 else ''}"
            raise SpecError("E0242", f"expected a tensor of at least {initializer.min_rank} dims for `{name}`, "
                            f"found the {rule.name} of `{op.name}` ({dims})", where, label="needs a matrix",
                            help=rank_help(name))
    return initializer


def rank_help(name: str) -> str:
    what = "an orthogonal matrix" if name == "orthogonal" else "fan-in and fan-out"
    return (f"`{name}` computes {what} from a weight of 2 or more dims; for a bias or a batchnorm weight use "
            "`zeros`, `ones`, `constant(...)`, `normal(...)` or `uniform(...)`")


def _rule_name_span(rule: ast.Keyword):
    """Where the tensor's name of `tensor=rule` stands: the keyword's start."""
    span = rule.where
    return span._replace(end_line=span.line, end_column=span.column + len(rule.name))


def _no_tensor_twice(stmt: ast.Init) -> None:
    seen: dict[str, ast.Keyword] = {}
    for rule in stmt.rules:
        if rule.name in seen:
            raise SpecError("E0211", f"the rule for `{rule.name}` is given twice in `init {stmt.target_text()}`",
                            rule.where, label=f"`{rule.name}` already has a rule", help="give each tensor one rule")
        seen[rule.name] = rule


def _walk_expr(expr) -> Iterable:
    """Every node of an expression, the root first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        fields = node.__dict__
        for name in _EXPR_CHILDREN.get(node.kind, ()):
            child = fields[name]
            if isinstance(child, list):
                stack.extend(child)
            elif child is not None:  # a slice's bounds are optional
                stack.append(child)


# The fields of each expression node that hold expressions (a Keyword's value included).
_EXPR_CHILDREN = {
    "list": ("items",), "tuple": ("items",), "index": ("value", "index"),
    "slice": ("value", "lower", "upper", "step"), "binop": ("left", "right"),
    "unary": ("operand",), "compare": ("first", "rest"), "boolop": ("values",),
    "ifexp": ("body", "test", "orelse"), "call": ("args", "kwargs"), "keyword": ("value",),
    "dict": ("keys", "values"),
}


def reads_value(item, values: Optional[dict]) -> bool:
    """Whether a chain's first item names a value (`skip -> conv(64)`) rather than a layer."""
    return item.kind == "call" and item.bare and bool(values) and item.name in values


def _unknown_value(node, vars: Env) -> SpecError:
    name = node.id if node.kind == "name" else node.name
    return SpecError("E0203", f"unknown value `{name}`", node.where, label="not a named value here",
                     help=suggest(name, set(vars.values or ())) or
                     "name a value with `... as name` (or `input name: ...`) before it is used")


def unpacking(stmt: ast.Chain, returns: list[tuple[str, int, ast.Span]]) -> None:
    """A block returning several values ends its chain, which unpacks them with one name each.

    `returns`: for each layer of the chain, (its op or block, how many values it returns, where).
    """
    for index, (name, count, where) in enumerate(returns):
        last = index == len(returns) - 1
        if count > 1 and (not last or stmt.unpack is None):
            raise SpecError("E0321", f"expected the {count} results of `{name}` unpacked, found "
                            + ("more layers after it" if not last else "no names for them"), where,
                            label=f"returns {count} values", help="end the chain with the call and name each "
                            "result, `... as (a, b)`; then start a chain from one of them")
    if stmt.unpack is None:
        return
    name, count, _ = returns[-1] if returns else ("", 0, None)
    if count != len(stmt.unpack):
        found = f"`{name}`, which returns {count}" if count > 1 else \
            f"`{name}`, which returns one value" if name else "no layer"
        raise SpecError("E0321", f"expected a block that returns {len(stmt.unpack)} values before `as (...)`, "
                        f"found {found}", stmt.where, label="unpacked here",
                        help="`as (a, b)` names the results of a block whose `output` is a tuple; name one value "
                             "with `as name`")


def _first_repeated(names) -> Optional[str]:
    """The first name that comes a second time (one pass: `as (...)` may hold a hundred thousand names)."""
    seen = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def _tensor_arguments(call: ast.Call, block: Optional[ast.BlockDef]) -> dict[int, str]:
    """The arguments of `call` given for tensor parameters of `block`: id of the expression -> parameter."""
    if block is None or not any(p.tensor for p in block.params):
        return {}
    given = {id(node): param.name for param, node in zip(block.params, call.args) if param.tensor}
    tensors = {p.name for p in block.params if p.tensor}
    given.update((id(k.value), k.name) for k in call.kwargs if k.name in tensors)
    return given


def _check_tensor_argument(node, param: str, block: str, vars: Env) -> None:
    """A tensor parameter is given a named value of the caller, by its name."""
    if node.kind == "name" and node.id in (vars.values or ()):
        return
    if node.kind == "name":
        raise SpecError("E0203", f"unknown value `{node.id}` for the tensor parameter `{param}` of `{block}`",
                        node.where, label="not a named value here",
                        help=suggest(node.id, set(vars.values or ())) or
                        "name a value with `... as name` (or `input name: ...`) before the call")
    raise SpecError("E0321", f"expected a named value for the tensor parameter `{param}` of `{block}`, found "
                    f"{_describe_output(node)}", node.where, label="not a named value",
                    help=f"name the tensor first (`... as {param}`) and pass its name")


def _block_output(node) -> bool:
    """What a block may return: one named value, or a tuple of them (no dict, list or `if training`)."""
    return node.kind == "name" or node.kind == "tuple" and bool(node.items) and all(
        item.kind == "name" for item in node.items)


def _describe_output(node) -> str:
    return {"dict": "a dict", "list": "a list", "ifexp": "a conditional", "int": "a number", "float": "a number", "bool": "a boolean", "call": "a call",
            "binop": "arithmetic"}.get(node.kind, "an expression")


def is_layer_let(stmt: ast.Let, blocks) -> bool:
    """Whether `let name = ...` makes a shared layer (an op or block call) rather than a value."""
    value = stmt.value
    return value.kind == "call" and (value.name in OPS or value.name in blocks)


@dataclass(frozen=True)
class _SharedLayer:
    """What `check` binds a shared layer's name to: where it was made (`.line`, as a span has)."""

    span: ast.Span

    @property
    def line(self) -> int:
        return self.span.line


def _unknown_variable(node: ast.Name, vars: Env, blocks) -> SpecError:
    where = node.where
    if isinstance(vars.get(node.id), _SharedLayer):
        return SpecError("E0219", f"expected a value, found the shared layer `{node.id}`", where, label="a layer",
                         help="layers go in chains (`a -> b`), not inside expressions")
    if node.id in OPS or node.id in blocks:
        return SpecError("E0219", f"expected a value, found the layer `{node.id}`", where, label="a layer",
                         help="layers go in chains (`a -> b`), not inside expressions")
    if node.id in ("None", "none", "null"):
        return SpecError("E0203", f"expected a value, found `{node.id}`", where, label="specc has no null value",
                         help="leave the argument out to get its default")
    return SpecError("E0203", f"unknown name `{node.id}`", where, label="not defined here",
                     help=Suggestion(node.id, _names_so_far(vars, ("true", "false")), otherwise=_NAMES_HELP))


_NAMES_HELP = "names come from parameters, `let` and `for`"


def _names_so_far(vars: Env, extra: tuple[str, ...]) -> Callable[[], list[str]]:
    """The names visible in `vars` now, listed later (if ever): each scope only grows, at its end."""
    scopes = []
    env = vars
    while env is not None:
        scopes.append((env.vars, len(env.vars)))
        env = env.parent
    return lambda: [*extra, *(name for names, count in scopes for name in itertools.islice(names, count))]


def _unknown_function(node: ast.Call, blocks) -> SpecError:
    where = node.name_span.to_diagnostic()
    if node.name in OPS or node.name in blocks:
        return SpecError("E0219", f"expected a value, found a call of the layer `{node.name}`", where,
                         label="a layer", help="layers go in chains (`a -> b`), not inside expressions")
    return SpecError("E0203", f"unknown function `{node.name}`", where, label="not a function",
                     help=Suggestion(node.name, BUILTINS, otherwise=f"functions: {', '.join(sorted(BUILTINS))}"))


def _check_arguments(call: ast.Call, what: str, params: list[tuple[tuple[str, ...], bool]]) -> None:
    where = call.span.to_diagnostic()
    if len(call.args) > len(params):
        extra = call.args[len(params)]
        raise SpecError("E0204", f"expected at most {len(params)} positional argument"
                        f"{'' if len(params) == 1 else 's'} for {what}, found {len(call.args)}",
                        extra.where, label="one too many" if len(call.args) == len(params) + 1 else "too many",
                        help=_signature_help(what, params))
    given: dict[str, ast.Node] = {params[i][0][0]: arg for i, arg in enumerate(call.args)}
    spellings = {s: p[0][0] for p in params for s in p[0]}
    for keyword in call.kwargs:
        canonical = spellings.get(keyword.name)
        if canonical is None:
            raise SpecError("E0202", f"unknown keyword argument `{keyword.name}` for {what}", keyword.where,
                            label="not an argument of this call",
                            help=Suggestion(keyword.name, spellings, otherwise=lambda: _signature_help(what, params)))
        if canonical in given:
            raise SpecError("E0211", f"argument `{canonical}` of {what} is given twice", keyword.where,
                            label=f"`{canonical}` was already given", help="give each argument once")
        given[canonical] = keyword
    missing = [p[0][0] for p in params if p[1] and p[0][0] not in given]
    if missing:
        names = ", ".join(f"`{m}`" for m in missing)
        raise SpecError("E0205", f"missing argument{'s' if len(missing) > 1 else ''} {names} for {what}", where,
                        label="called here", help=_signature_help(what, params))


def _signature_help(what: str, params: list[tuple[tuple[str, ...], bool]]) -> str:
    name = what.split("`")[1]
    parts = []
    for spellings, required in params:
        text = spellings[0] + ("" if required else "=...")
        if len(spellings) > 1:
            text += f" ({'/'.join(spellings[1:])})"
        parts.append(text)
    return f"{what} takes ({', '.join(parts)})" if parts else f"{what} takes no arguments: write `{name}`"
