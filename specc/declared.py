"""Declared ops: an `op` declaration made into an op that elaboration binds and both back-ends build.

    op my_linear(units: channels) = examples.seeds.layers.MyLinear(in.c, units):
        shape: [in.shape[0], units]
        params: in.c * units + units

`DeclaredOp(definition)` is what `ops.OPS` holds for a built-in op, read from
the declaration: the arguments with their kinds (`KINDS`) and defaults, the
shape rule, the parameter and mult-add counts, the short form for reports;
and `torch`, the op's own row of the torch table (`torch_lowering.Lowering`)
whose class is the user's, imported from `module`. The built-in registry
stays as it is; a layer of a declared op carries its `DeclaredOp`
(`ir.Layer.declared`), and `torch_lowering.lower_layer` reads that row.

Nothing here imports the user's code or torch: `check` and `shapes` run
without them. `backends/user_modules.py` imports the class when
`specc.build` builds the module, and checks it against the declaration.

Every expression of a declaration is evaluated where the op is used, and
sees the op's arguments and `in`. A mistake there (a shape rule that gives a
negative size, an index out of range, a string for the constructor) is
reported at the use, naming the declaration and where it is.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

from . import ops
from .backends.torch_lowering import REQUIRED, Lowering, Param
from .diagnostics import SpecError, SpecErrorGroup
from .expr import Env, describe, evaluate, is_int, show
from .ops import OpProblem, Shape, batch_of, format_shape
from .syntax import ast
from .syntax.unparse import unparse_expr


def _int(value: Any, what: str) -> int:
    if not is_int(value):
        raise OpProblem("E0401", f"expected {what}: an int, found {describe(value)} {show(value)}")
    return value


# What an argument's annotation (`units: channels`) may name: how its values are checked and
# normalised, as the built-in ops' argument kinds do it. No annotation takes any value.
KINDS: dict[str, Callable[[Any, str], Any]] = {
    "int": _int,
    "float": ops.KINDS["float"],
    "bool": ops.KINDS["bool"],
    "channels": ops.KINDS["channels"],        # an int of at least 1
    "size": ops.KINDS["size"],                # an int, or one int per spatial dim, at least 1
    "padding": ops.KINDS["padding"],          # the same, at least 0
    "probability": ops.KINDS["probability"],  # a number in [0, 1)
}

CONSTANT_HELP = ("the constructor gets numbers, booleans, and tuples or lists of them: the generated file "
                 "writes them as literals, and no string of a spec reaches it")


class DeclaredOp:
    """One `op` declaration as an op: its semantics, and its row of the torch table (see the module docstring)."""

    def __init__(self, definition: ast.OpDef) -> None:
        self.definition = definition
        self.name = definition.name
        self.module, _, self.cls = definition.target.rpartition(".")
        self.doc = f"implemented by `{definition.target}` (declared at {definition.span.to_diagnostic()})"
        # What `default` statements key its defaults by: the name, and where it is declared (two
        # files may each declare an op of one name).
        self.key = f"{self.name} ({definition.span.file}:{definition.span.line})"
        self.torch = Lowering(
            self.cls,
            tuple(Param(_label(expr, i), _value(expr), REQUIRED, self._channel_like(expr))
                  for i, expr in enumerate(definition.call_args)),
            tuple(Param(k.name, _value(k.value), REQUIRED, self._channel_like(k.value))
                  for k in definition.call_kwargs),
            home="user", module=self.module)

    def __repr__(self) -> str:
        return f"DeclaredOp({self.name!r}, {self.definition.target!r})"

    # -- what elaboration asks

    def arg(self, name: str) -> Optional[ast.OpArg]:
        return next((arg for arg in self.definition.args if arg.name == name), None)

    def apply(self, call: ast.Call, env: Env, shape: Shape, defaults: dict) -> tuple[dict, Shape, int, int]:
        """The bound arguments, output shape, parameters and mult-adds of `call` on `shape`.

        `env` is the caller's scope; `defaults` the values `default` statements give (normalised).
        """
        args = self.bind(call, env, shape, defaults)
        scope = Env(dict(args), shape)
        out = self._shape(scope, call, shape)
        params = self._count("params", scope, call, shape)
        macs = self._count("macs", scope, call, shape) * batch_of(out)
        self.construction(args, shape, call)
        return args, out, params, macs

    def bind(self, call: ast.Call, env: Env, shape: Shape, defaults: dict) -> dict:
        given: dict[str, tuple[Any, ast.Node]] = {}
        for arg, node in zip(self.definition.args, call.args):
            given[arg.name] = (evaluate(node, env), node)
        for keyword in call.kwargs:
            given[keyword.name] = (evaluate(keyword.value, env), keyword.value)
        values: dict[str, Any] = {}
        for arg in self.definition.args:
            if arg.name in given:
                value, node = given[arg.name]
                values[arg.name] = self.coerce(arg, value, node.where, f"`{self.name}`")
            elif arg.name in defaults:
                values[arg.name] = defaults[arg.name]
            elif arg.default is not None:
                # As a block's defaults: evaluated where the op is declared, seeing earlier arguments and `in`.
                with self._at_use(call, shape, f"the default of `{arg.name}`", arg.default):
                    values[arg.name] = self.coerce(arg, evaluate(arg.default, Env(dict(values), shape)),
                                                   arg.default.where, f"the default of op `{self.name}`")
            else:  # `check` reports it; a guard for API users who skip it
                raise SpecError("E0205", f"missing argument `{arg.name}` for op `{self.name}`", call.where,
                                label="called here")
        return values

    def coerce(self, arg: ast.OpArg, value: Any, where, what: str) -> Any:
        """`value` checked against the argument's kind (`units: channels`), normalised as the kind does."""
        if arg.type is None:
            return value
        try:
            return KINDS[arg.type](value, f"`{arg.name}`")
        except OpProblem as problem:
            raise SpecError(problem.code, f"{problem.message} in {what}", where, label="this argument",
                            help=f"`{arg.name}` is declared `{arg.name}: {arg.type}`") from None

    def construction(self, args: dict, shape: Shape, call: Optional[ast.Call] = None) -> tuple[list, dict]:
        """What the constructor of the user's class gets: positional values and keyword values."""
        scope = Env(dict(args), shape)
        positional, keywords = [], {}
        for index, expr in enumerate(self.definition.call_args):
            positional.append(self._constant(expr, scope, call, shape, f"argument {index + 1}"))
        for keyword in self.definition.call_kwargs:
            keywords[keyword.name] = self._constant(keyword.value, scope, call, shape, f"`{keyword.name}`")
        return positional, keywords

    def short(self, args: dict) -> str:
        """`10` or `10, scale=0.5`: required arguments by position, the others by name."""
        shown = {name: show(_square(value)) for name, value in args.items()}
        return ", ".join(shown[a.name] if a.default is None else f"{a.name}={shown[a.name]}"
                         for a in self.definition.args if a.name in args)

    # -- the rules

    def _shape(self, scope: Env, call: ast.Call, shape: Shape) -> Shape:
        rule = self.definition.shape
        if rule is None:
            return shape
        with self._at_use(call, shape, "the shape rule", rule):
            value = evaluate(rule, scope)
        if not isinstance(value, (list, tuple)) or not value:
            raise self._rule_error("E0401", f"expected a shape (a list of sizes) from the shape rule of op "
                                   f"`{self.name}`, found {describe(value)} {show(value)}", call, shape, rule,
                                   "the shape rule")
        for index, size in enumerate(value):
            if index == 0 and size == "N" and shape[0] == "N":
                continue  # the symbolic batch, `in.shape[0]`
            if not is_int(size):
                raise self._rule_error("E0401", f"expected int sizes from the shape rule of op `{self.name}`, "
                                       f"found {describe(size)} {show(size)} in {_shape_text(value)}",
                                       call, shape, rule, "the shape rule")
            if size < 1:
                raise self._rule_error("E0303", f"expected sizes of at least 1 from the shape rule of op "
                                       f"`{self.name}`, found {_shape_text(value)}", call, shape, rule,
                                       "the shape rule")
        return tuple(value)

    def _count(self, what: str, scope: Env, call: ast.Call, shape: Shape) -> int:
        rule = getattr(self.definition, what)
        if rule is None:
            return 0
        words = "parameter count" if what == "params" else "mult-adds"
        with self._at_use(call, shape, f"the `{what}` rule", rule):
            value = evaluate(rule, scope)
        if not is_int(value):
            raise self._rule_error("E0401", f"expected an int {words} from the `{what}` rule of op `{self.name}`, "
                                   f"found {describe(value)} {show(value)}", call, shape, rule, f"the `{what}` rule")
        if value < 0:
            raise self._rule_error("E0402", f"expected a {words} of at least 0 from the `{what}` rule of op "
                                   f"`{self.name}`, found {value}", call, shape, rule, f"the `{what}` rule")
        return value

    def _constant(self, expr, scope: Env, call: Optional[ast.Call], shape: Shape, what: str) -> Any:
        with self._at_use(call, shape, f"the constructor's {what}", expr):
            value = evaluate(expr, scope)
        if not _is_constant(value):
            raise self._rule_error("E0401", f"expected a number, a boolean, or a tuple or list of them for {what} "
                                   f"of `{self.definition.target}`, found {describe(value)} {show(value)}",
                                   call, shape, expr, f"the constructor's {what}", help=CONSTANT_HELP)
        return value

    # -- errors at the use

    @contextmanager
    def _at_use(self, call: Optional[ast.Call], shape: Shape, what: str, expr) -> Iterator[None]:
        """An error evaluating part of the declaration is reported where the op is used, naming the declaration."""
        try:
            yield
        except SpecError as error:
            if call is None:
                raise
            moved = [SpecError(one.code, f"{one.message} (in {what} of op `{self.name}`)", call.where,
                               label=f"input here is {format_shape(shape)}",
                               help="\n".join(filter(None, [one.help, self._where(what, expr)])))
                     for one in error.errors]
            raise (moved[0] if len(moved) == 1 else SpecErrorGroup(moved)) from None

    def _rule_error(self, code: str, message: str, call: Optional[ast.Call], shape: Shape, expr, what: str,
                    help: str = "") -> SpecError:
        where = call.where if call is not None else expr.where
        return SpecError(code, message, where, label=f"input here is {format_shape(shape)}",
                         help="\n".join(filter(None, [help, self._where(what, expr)])))

    def _where(self, what: str, expr) -> str:
        return f"{what} is declared at {expr.where}: `{unparse_expr(expr)}`"

    def _channel_like(self, expr) -> bool:
        """Whether a constructor argument is a channel count: it reads `in`, or is a `channels` argument."""
        for node in _nodes(expr):
            if node.kind == "in":
                return True
            if node.kind == "name":
                arg = self.arg(node.id)
                if arg is not None and arg.type == "channels":
                    return True
        return False


def _value(expr) -> Callable[[dict, Shape], Any]:
    """A torch-table value source: the expression over the op's bound arguments and the input shape."""
    return lambda args, shape: evaluate(expr, Env(dict(args), shape))


def _label(expr, index: int) -> str:
    """What a positional constructor argument is called in generated names: `units`, `in_c`, `arg2`."""
    if expr.kind == "name":
        return expr.id
    if expr.kind == "in" and expr.attr != "shape":
        return f"in_{expr.attr}"
    return f"arg{index + 1}"


def _square(value: Any) -> Any:
    """`3` for a square pair `(3, 3)`, as the built-in ops show a kernel."""
    return value[0] if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1] else value


def _is_constant(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_constant(v) for v in value)
    return isinstance(value, (bool, int, float))


def _shape_text(value) -> str:
    return "[" + ", ".join(str(v) if is_int(v) or v == "N" else show(v) for v in value) + "]"


def _nodes(expr) -> Iterator[ast.Node]:
    """Every node of an expression."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        for name in type(node).model_fields:
            child = getattr(node, name)
            if isinstance(child, ast.Node):
                stack.append(child)
            elif isinstance(child, list):
                stack.extend(item for item in child if isinstance(item, ast.Node))
