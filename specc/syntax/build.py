"""What both DSL parsers do beyond the grammar: unquoting, layers, argument order.

Lark's LALR parser (`lalr.py`) and the recursive-descent fast path
(`descent.py`) read the same language into the same AST; the rules that are
not context-free live here once, so the two cannot disagree on them.

    to_layer(Name(id="relu"))   # Call(name="relu", bare=True): a bare op in a chain
"""

from __future__ import annotations

from ..diagnostics import SpecError
from . import ast

# Every later stage walks the AST recursively, so nesting is bounded here,
# where it is cheap to count and the error can point at the token: the
# deepest expression may have this many operators and brackets on its path
# from the statement down, and blocks may be indented this many levels.
MAX_EXPRESSION_DEPTH = 100
MAX_BLOCK_DEPTH = 50

# The tokens that add a level to the expression tree (by value); `->` does
# not, a chain is a flat list. Brackets add one too.
NESTING_OPERATORS = frozenset({"+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=",
                               "not", "and", "or", "if", "else", "."})

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}

make_bare_call = ast.factory(ast.Call, "span", "name", "name_span", "bare")
make_layer_if = ast.factory(ast.LayerIf, "span", "body", "test", "orelse")


def unquote(token: str) -> str:
    """The value of a string literal: quotes off, escapes replaced (an unknown escape drops out)."""
    body = token[1:-1]
    if "\\" not in body:
        return body
    out, chars = [], iter(body)
    for char in chars:
        out.append(_ESCAPES.get(next(chars, ""), "") if char == "\\" else char)
    return "".join(out)


def to_layer(expr) -> ast.Layer:
    """A chain item must name a layer: an op or block, called or bare, or `a if c else b`."""
    if isinstance(expr, ast.Call):
        return expr
    if isinstance(expr, ast.Name):
        return make_bare_call(expr.span, expr.id, expr.span, True)
    if isinstance(expr, ast.IfExp):
        return make_layer_if(expr.span, to_layer(expr.body), expr.test, to_layer(expr.orelse))
    raise SpecError("E0107", f"expected a layer (an op or block call), found {_describe_expr(expr)}",
                    expr.where, label="not a layer",
                    help="a statement is a chain of layers like `conv(6, k=5) -> relu`; "
                         "to compute a value, use `let name = ...`")


def _describe_expr(expr) -> str:
    return {
        "int": "a number", "float": "a number", "bool": "a boolean", "str": "a string",
        "list": "a list", "tuple": "a tuple", "in": "the input shape",
    }.get(expr.kind, "an expression")


def check_argument_order(arguments) -> None:
    """Positional arguments come first, as in Python: `conv(k=3, 6)` is refused."""
    seen_keyword = None
    for argument in arguments:
        if isinstance(argument, ast.Keyword):
            seen_keyword = argument
        elif seen_keyword is not None:
            raise SpecError("E0101", "expected a keyword argument, found a positional one after "
                            f"`{seen_keyword.name}=`", argument.where,
                            label="positional argument after a keyword argument",
                            help="put positional arguments first, as in Python")
