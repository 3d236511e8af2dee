"""Expression evaluation: the small, bounded value language of specs.

Values are ints, floats, booleans, strings, tuples and lists (indexed and
sliced as in Python: `cfg[1:]`, `cfg[::2]`). `in.c`,
`in.h`, `in.w` and `in.shape` read the shape flowing into the statement.

    evaluate(parse("c // ratio"), Env({"c": 256, "ratio": 4}))   # 64

Every failure is a located `SpecError`; sizes are bounded so no spec can make
evaluation hang or exhaust memory.
"""

from __future__ import annotations

import math
import operator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from .diagnostics import SpecError
from .limits import LIMITS, Budget
from .syntax import ast

MAX_INT = LIMITS["int"]
MAX_LENGTH = LIMITS["items"]
MAX_VALUE_DEPTH = LIMITS["value_depth"]
SHOWN_CHARS = 60  # a value in a message: `[0, 0, 0, ...]`, never the whole of a big one

# The steps of the elaboration under way (`limits.Budget`): building and comparing
# values costs steps in proportion to their size. None outside an elaboration.
_BUDGET: ContextVar[Optional[Budget]] = ContextVar("specc_budget", default=None)


@contextmanager
def charging(budget: Budget) -> Iterator[Budget]:
    """Charge the work of every evaluation in this block to `budget`."""
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def charge(steps: int, node: ast.Node) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.spend(steps, node.where)

Shape = tuple


_UNBOUND = object()


@dataclass(slots=True)
class Env:
    """Variables in scope (each body nests a child) and the shape flowing in.

    Elaboration binds names to values; `check` binds them to the span that defined them.
    """

    vars: dict[str, Any]
    in_shape: Optional[Shape] = None
    parent: Optional["Env"] = None
    # The op defaults in force here (`default` statements, elaboration only): each child
    # starts with its parent's, and a block body with its caller's.
    defaults: Any = None
    # The named values of the module being elaborated (`as name`, named inputs): name -> shape.
    # Shared by every scope of one module body; a block or named container starts its own.
    values: Optional[dict] = None

    def get(self, name: str, default: Any = None) -> Any:
        """The value `name` has here (the innermost scope defining it wins), or `default`."""
        env = self
        while env is not None:
            if name in env.vars:
                return env.vars[name]
            env = env.parent
        return default

    def lookup(self, name: str) -> Any:
        value = self.get(name, _UNBOUND)
        if value is _UNBOUND:
            raise KeyError(name)
        return value

    def names(self) -> set[str]:
        """Every name visible here."""
        found, env = set(), self
        while env is not None:
            found |= env.vars.keys()
            env = env.parent
        return found

    def child(self, in_shape: Optional[Shape] = None) -> "Env":
        return Env({}, in_shape if in_shape is not None else self.in_shape, self, self.defaults, self.values)

    def after(self, in_shape: Shape) -> "Env":
        """The scope of the next statement of the same body: the same variables, the shape flowing in now.

        A sibling, not a child: a body of n statements would otherwise be a chain of n
        scopes, and every lookup of a name walks the chain (20,000 layers, one a line:
        2 * 10^8 steps). A later `let` binds into the body's one dict, as it did before.
        """
        return Env(self.vars, in_shape, self.parent, self.defaults, self.values)

    def module_child(self, in_shape: Optional[Shape] = None) -> "Env":
        """A scope that is the body of another module: it sees the variables, not this module's values."""
        env = self.child(in_shape)
        env.values = {}
        return env


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    return {int: "an int", float: "a float", str: "a string", tuple: "a tuple", list: "a list", dict: "a dict"}.get(
        type(value), type(value).__name__)


def show(value: Any, limit: Optional[int] = None) -> str:
    """A value as a spec would write it; cut to `limit` characters (ending in `...`) when given."""
    pieces, length = [], 0
    for piece in _pieces(value):
        pieces.append(piece)
        length += len(piece)
        if limit is not None and length > limit:
            return "".join(pieces)[:max(limit - 3, 0)] + "..."
    return "".join(pieces)


def brief(value: Any) -> str:
    """A value as messages show it: at most `SHOWN_CHARS` characters."""
    return show(value, SHOWN_CHARS)


def _pieces(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield (", " if i else "") + show(key) + ": "
            yield from _pieces(item)
        yield "}"
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif isinstance(value, str):
        yield f'"{value}"'
    elif isinstance(value, (list, tuple)):
        yield "[" if isinstance(value, list) else "("
        for i, item in enumerate(value):
            if i:
                yield ", "
            yield from _pieces(item)
        if isinstance(value, tuple):
            yield ",)" if len(value) == 1 else ")"
        else:
            yield "]"
    else:
        yield repr(value)


def _type_error(node: ast.Node, message: str, help: str = "") -> SpecError:
    return SpecError("E0401", message, node.where, label="wrong type here", help=help)


def _number(node: ast.Node, value: Any, what: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _type_error(node, f"expected a number for {what}, found {describe(value)} {brief(value)}")
    return value


def _int(node: ast.Node, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(node, f"expected an int for {what}, found {describe(value)} {brief(value)}")
    return value


def _bounded(node: ast.Node, value: Any) -> Any:
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise _too_large(node, value)
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError("E0405", f"expected a finite number, found {value}", node.where, label="not finite")
    if isinstance(value, (list, tuple, str, dict)):
        if len(value) > MAX_LENGTH:
            raise SpecError("E0405", f"expected at most {MAX_LENGTH:,} items, found {len(value):,}", node.where,
                            label="too long")
        if node.kind in _BUILDS:  # a new value: names and indexing hand out values measured already
            charge(len(value), node) if isinstance(value, str) else _measure(node, value)
    return value


def _too_large(node: ast.Node, value: int) -> SpecError:
    digits = len(str(abs(value))) if abs(value).bit_length() < 14_000 else "thousands of"
    return SpecError("E0405", f"expected a number below 10^15, found one with {digits} digits", node.where,
                     label="too large", help="specs describe layer sizes; no size is this large")


# The expressions that build a new list, tuple or string (the others return one that exists).
_BUILDS = frozenset({"list", "tuple", "dict", "binop", "call"})


def _measure(node: ast.Node, value: Any) -> None:
    """Bound a new list or tuple as a whole: its items, nested ones included, and its depth.

    A list may hold the same list many times (`[[0] * 1000] * 1000` is a million
    items in a few kilobytes): what reads it later (messages, the cache of block
    bodies, reports, generated code) reads every item, so every item counts.
    Each distinct list is walked once; the walk is charged to the budget.
    """
    known: dict[int, tuple[int, int]] = {}  # id -> (items, depth) of the lists seen in this walk
    walked = 0

    def measure(sequence) -> tuple[int, int]:
        nonlocal walked
        seen = known.get(id(sequence))
        if seen is not None:
            return seen
        items, depth = len(sequence), 1
        walked += len(sequence)
        for item in (sequence.values() if isinstance(sequence, dict) else sequence):
            if isinstance(item, (list, tuple, dict)):
                inner, inner_depth = measure(item)
                items, depth = items + inner, max(depth, inner_depth + 1)
                if depth > MAX_VALUE_DEPTH:
                    raise SpecError("E0405", f"expected lists and tuples nested at most {MAX_VALUE_DEPTH} deep, "
                                    "found a deeper one", node.where, label="nested too deeply")
            elif isinstance(item, str):
                items += len(item)
            elif isinstance(item, int) and abs(item) > MAX_INT:
                raise _too_large(node, item)
            if items > MAX_LENGTH:
                raise SpecError("E0405", f"expected at most {MAX_LENGTH:,} items in a value, nested lists "
                                f"included, found more", node.where, label="too many items",
                                help="a list that holds a list many times holds all of its items each time")
        known[id(sequence)] = (items, depth)
        return items, depth

    measure(value)
    charge(walked, node)


# ---------------------------------------------------------------- operators


_ARITH: dict[str, Callable] = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
                               "//": operator.floordiv, "%": operator.mod, "**": operator.pow}
# On two ints within MAX_INT these cannot fail, and `evaluate` bounds the result.
_INT_SAFE = frozenset({"+", "-", "*"})


def _binop(node: ast.BinOp, left: Any, right: Any) -> Any:
    op = node.op
    if type(left) is int and type(right) is int and op in _INT_SAFE:  # sizes: `channels * expansion`
        return _ARITH[op](left, right)
    if op == "+" and isinstance(left, type(right)) and isinstance(left, (list, tuple, str)) \
            and not isinstance(left, bool):
        return left + right
    if op == "*" and isinstance(left, (list, tuple, str)) and is_int(right):
        if len(left) * max(right, 0) > MAX_LENGTH:
            raise SpecError("E0405", f"expected at most {MAX_LENGTH} items, found {len(left) * right}",
                            node.where, label="too long")
        return left * right
    _number(node.left, left, f"`{op}`")
    _number(node.right, right, f"`{op}`")
    if op in ("/", "//", "%") and right == 0:
        raise SpecError("E0403", f"division by zero in `{op}`", node.where, label="the right side is 0")
    if op == "**" and abs(right) > LIMITS["exponent"]:
        raise SpecError("E0405", f"expected an exponent of at most {LIMITS['exponent']}, found {right}", node.right.where,
                        label="too large")
    try:
        result = _ARITH[op](left, right)
    except (OverflowError, ZeroDivisionError, ValueError) as error:
        raise SpecError("E0405", f"cannot compute `{op}`: {error}", node.where, label="here") from None
    if isinstance(result, complex):  # a negative number to a fractional power
        base = f"({brief(left)})" if left < 0 else brief(left)
        raise SpecError("E0402", f"expected a real result of `**`, found a complex one from {base} ** "
                        f"{brief(right)}", node.where, label="not a real number",
                        help="a negative number has no real fractional power")
    return result


def is_int(value: Any) -> bool:
    """An int that is not a bool (`true` is not a size): the one test every stage uses."""
    return isinstance(value, int) and not isinstance(value, bool)


_COMPARISONS: dict[str, Callable] = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
                                     ">": operator.gt, ">=": operator.ge}


def _compare(node: ast.Compare, values: list[Any]) -> bool:
    for op, (left, right) in zip(node.ops, zip(values, values[1:])):
        if op in ("==", "!="):
            same = _equal(node, left, right)
            if same != (op == "=="):
                return False
            continue
        order = _order(node, op, left, right)
        if not _COMPARISONS[op](order, 0):
            return False
    return True


def _comparable(left: Any, right: Any) -> bool:
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return not isinstance(left, bool) and not isinstance(right, bool)
    return type(left) is type(right) and isinstance(left, (str, tuple, list))


def _first_difference(node: ast.Compare, left, right) -> Optional[tuple[Any, Any]]:
    """The first pair of items where two sequences differ, as Python finds it (None: one is a prefix of the other).

    Each item compared is a step: comparing big lists in a loop is work like building them.
    """
    steps, pair = 0, None
    for a, b in zip(left, right):
        steps += 1
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            if a is b or _equal(node, a, b):
                continue
        elif a == b:  # numbers, booleans and strings: `==` never fails
            continue
        pair = (a, b)
        break
    charge(steps, node)
    return pair


def _equal(node: ast.Compare, left: Any, right: Any) -> bool:
    """`==` as Python has it, with the items of lists compared one by one (each a step)."""
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        if type(left) is not type(right) or len(left) != len(right):
            return False
        return left is right or _first_difference(node, left, right) is None
    return left == right


def _order(node: ast.Compare, op: str, left: Any, right: Any) -> int:
    """-1, 0 or 1 as `left` sorts before, with or after `right`; values that do not sort raise E0401."""
    if not _comparable(left, right):
        raise _type_error(node, f"cannot order {describe(left)} and {describe(right)} with `{op}`",
                          help="`<`, `<=`, `>` and `>=` compare numbers with numbers, strings with strings, "
                               "and lists or tuples item by item")
    if isinstance(left, (list, tuple)):
        pair = _first_difference(node, left, right)
        if pair is None:
            return (len(left) > len(right)) - (len(left) < len(right))
        return _order(node, op, *pair)
    return (left > right) - (left < right)


# ---------------------------------------------------------------- builtins


def _len(node, value):
    if not isinstance(value, (list, tuple, str)):
        raise _type_error(node, f"expected a list, tuple or string for `len`, found {describe(value)}")
    return len(value)


def _extreme(name: str, pick: Callable):
    def call(node, *values):
        items = list(values[0]) if len(values) == 1 and isinstance(values[0], (list, tuple)) else list(values)
        if not items:
            raise SpecError("E0402", f"`{name}` of an empty sequence", node.where, label="nothing to compare")
        charge(len(items), node)
        for item in items:
            _number(node, item, f"`{name}`")
        return pick(items)
    return call


def _range(node, *values):
    if not 1 <= len(values) <= 3:
        raise _type_error(node, f"expected 1 to 3 arguments for `range`, found {len(values)}")
    ints = [_int(node, v, "`range`") for v in values]
    if len(ints) == 3 and ints[2] == 0:
        raise SpecError("E0402", "`range` step must not be zero", node.where, label="step 0")
    result = range(*ints)
    if len(result) > MAX_LENGTH:
        raise SpecError("E0405", f"expected at most {MAX_LENGTH} items from `range`, found {len(result)}",
                        node.where, label="too long")
    return list(result)


def _sequence(node, value, name):
    if not isinstance(value, (list, tuple)):
        raise _type_error(node, f"expected a list or tuple for `{name}`, found {describe(value)}")
    return value


def _enumerate(node, value, start=0):
    return [(i + _int(node, start, "`enumerate` start"), v)
            for i, v in enumerate(_sequence(node, value, "enumerate"))]


def _zip(node, *values):
    return [tuple(items) for items in zip(*(_sequence(node, v, "zip") for v in values))]


def _sum(node, value):
    charge(len(_sequence(node, value, "sum")), node)
    return sum(_number(node, v, "`sum`") for v in _sequence(node, value, "sum"))


def _convert(kind: type):
    def call(node, value):
        if kind in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _type_error(node, f"expected a number for `{kind.__name__}`, found {describe(value)}")
            return kind(value)
        return kind(_sequence(node, value, kind.__name__))
    return call


def _fixed(arity: tuple[int, int], function: Callable, name: str) -> Callable:
    def call(node, *values):
        low, high = arity
        if not low <= len(values) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise _type_error(node, f"expected {expected} argument{'s' if high != 1 else ''} for `{name}`, "
                              f"found {len(values)}")
        return function(node, *values)
    return call


BUILTINS: dict[str, Callable] = {
    "len": _fixed((1, 1), _len, "len"),
    "min": _extreme("min", min),
    "max": _extreme("max", max),
    "range": _range,
    "enumerate": _fixed((1, 2), _enumerate, "enumerate"),
    "zip": _zip,
    "sum": _fixed((1, 1), _sum, "sum"),
    "abs": _fixed((1, 1), lambda n, v: abs(_number(n, v, "`abs`")), "abs"),
    "round": _fixed((1, 1), lambda n, v: round(_number(n, v, "`round`")), "round"),
    "int": _fixed((1, 1), _convert(int), "int"),
    "float": _fixed((1, 1), _convert(float), "float"),
    "list": _fixed((1, 1), _convert(list), "list"),
    "tuple": _fixed((1, 1), _convert(tuple), "tuple"),
}


# ---------------------------------------------------------------- evaluation


def evaluate(node, env: Env) -> Any:
    value = _EVALUATORS[node.kind](node, env)
    if type(value) is int and -MAX_INT <= value <= MAX_INT:  # most values are sizes: bounded at a glance
        return value
    return _bounded(node, value)


def _name(node: ast.Name, env: Env) -> Any:
    try:
        return env.lookup(node.id)
    except KeyError:
        raise SpecError("E0203", f"unknown name `{node.id}`", node.where, label="not defined here") from None


def _in_shape(node: ast.InShape, env: Env) -> Any:
    shape = env.in_shape
    if shape is None:
        raise SpecError("E0309", f"`in.{node.attr}` has no shape to read here", node.where,
                        label="nothing flows in yet", help="`in` is the shape flowing into a layer statement; "
                                                           "it is not defined in `input` or before the model starts")
    return _shape_part(node, shape, f"in.{node.attr}")


def _value_shape(node: ast.ValueShape, env: Env) -> Any:
    shape = (env.values or {}).get(node.name)
    if shape is None:
        raise SpecError("E0203", f"unknown value `{node.name}`", node.where, label="not a named value here",
                        help="a named value is an input (`input image: ...`) or a chain's result (`... as name`)")
    return _shape_part(node, shape, f"{node.name}.{node.attr}")


def _shape_part(node, shape: Shape, written: str, attr: Optional[str] = None) -> Any:
    attr = attr or node.attr
    if attr == "shape":
        return tuple(shape)
    if attr == "hw":
        return (_shape_part(node, shape, written, "h"), _shape_part(node, shape, written, "w"))
    # Height and width are the last two dims: [N, C, H, W], and [N, C, D, H, W] too.
    index = 1 if attr == "c" else len(shape) - (2 if attr == "h" else 1)
    if len(shape) <= 1 or (attr != "c" and len(shape) < 4):
        from .ops import format_shape

        raise SpecError("E0304", f"`{written}` needs an image [N, C, H, W], found {format_shape(shape)}",
                        node.where, label="no such dimension")
    return shape[index]


def _index(node: ast.Index, env: Env) -> Any:
    value, index = evaluate(node.value, env), evaluate(node.index, env)
    if not isinstance(value, (list, tuple, str)):
        raise _type_error(node.value, f"expected a list, tuple or string to index, found {describe(value)}")
    _int(node.index, index, "an index")
    if not -len(value) <= index < len(value):
        raise SpecError("E0404", f"index {index} is out of range for {describe(value)} of length {len(value)}",
                        node.index.where, label="out of range",
                        help=f"valid indices are 0 to {len(value) - 1}" if value else "the sequence is empty")
    return value[index]


def _slice(node: ast.Slice, env: Env) -> Any:
    value = evaluate(node.value, env)
    if not isinstance(value, (list, tuple, str)):
        raise _type_error(node.value, f"expected a list, tuple or string to slice, found {describe(value)}")
    bounds = [None if bound is None else _int(bound, evaluate(bound, env), "a slice bound")
              for bound in (node.lower, node.upper, node.step)]
    if bounds[2] == 0:
        raise SpecError("E0402", "expected a slice step other than 0, found 0", node.step.where,
                        label="step 0", help="a step of 1 takes every item, -1 takes them in reverse")
    return value[slice(*bounds)]


def _unary(node: ast.UnaryOp, env: Env) -> Any:
    value = evaluate(node.operand, env)
    if node.op == "not":
        return not _truth(node.operand, value)
    _number(node.operand, value, f"unary `{node.op}`")
    return -value if node.op == "-" else value


def _truth(node: ast.Node, value: Any) -> bool:
    return bool(value)


def _boolop(node: ast.BoolOp, env: Env) -> Any:
    result = None
    for value_node in node.values:
        result = evaluate(value_node, env)
        if (node.op == "and") != bool(result):
            return result
    return result


def _ifexp(node: ast.IfExp, env: Env) -> Any:
    return evaluate(node.body if evaluate(node.test, env) else node.orelse, env)


def _key(node: ast.Node, value: Any) -> Any:
    """A key of `{...}`: a string or a number (a list or a dict cannot be one)."""
    if not isinstance(value, (str, int, float)):
        raise _type_error(node, f"expected a string or a number as a key, found {describe(value)} {brief(value)}")
    return value


def _call(node: ast.Call, env: Env) -> Any:
    function = BUILTINS.get(node.name)
    if function is None:
        raise SpecError("E0203", f"unknown function `{node.name}`", node.name_span.to_diagnostic(),
                        label="not a function")
    if node.kwargs:
        raise _type_error(node.kwargs[0], f"`{node.name}` takes no keyword arguments")
    return function(node, *(evaluate(a, env) for a in node.args))


_EVALUATORS: dict[str, Callable[[Any, Env], Any]] = {
    "int": lambda n, e: n.value,
    "float": lambda n, e: n.value,
    "bool": lambda n, e: n.value,
    "str": lambda n, e: n.value,
    "name": _name,
    "in": _in_shape,
    "value_shape": _value_shape,
    "dict": lambda n, e: {_key(k, evaluate(k, e)): evaluate(v, e) for k, v in zip(n.keys, n.values)},
    "list": lambda n, e: [evaluate(i, e) for i in n.items],
    "tuple": lambda n, e: tuple(evaluate(i, e) for i in n.items),
    "index": _index,
    "slice": _slice,
    "binop": lambda n, e: _binop(n, evaluate(n.left, e), evaluate(n.right, e)),
    "unary": _unary,
    "compare": lambda n, e: _compare(n, [evaluate(n.first, e), *(evaluate(r, e) for r in n.rest)]),
    "boolop": _boolop,
    "ifexp": _ifexp,
    "call": _call,
}
