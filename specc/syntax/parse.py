"""The DSL front-end's entry points: spec text -> typed AST.

    module = parse_text("model M:\\n    input 1 x 28 x 28\\n    relu\\n", "m.spec")
    module.models[0].body[1]   # Chain(items=[Call(name="relu", bare=True)])

One parser reads the language: Lark's LALR parser over
`grammar/specc.lark`, whose callbacks build the AST as it goes (`lalr.py`,
`build.py`). Lark is imported with the first text to parse, not with specc.
"""

from __future__ import annotations

from .. import collector, sources
from . import ast


def parse_text(text: str, file: str = "<string>") -> ast.Module:
    """Parse one spec text into an AST, or raise every syntax error found in it."""
    sources.register(file, text)
    with collector.paused():
        from . import lalr

        return lalr.parse_text(text, file)


def parse_fragment(text: str, rule: str, file: str, line: int = 1, column: int = 1):
    """Parse one line of DSL (an expression, a chain, a simple statement) found at `line:column` of `file`.

    The YAML front-end keeps expressions in strings: `parse_fragment("c // 2", "test", "m.yaml", 7, 18)`
    gives `BinOp(...)` whose spans point into the YAML file.
    """
    from . import lalr

    return lalr.parse_fragment(text, rule, file, line, column)


def parse_expression(text: str, file: str, line: int = 1, column: int = 1) -> ast.Expr:
    return parse_fragment(text, "test", file, line, column)
