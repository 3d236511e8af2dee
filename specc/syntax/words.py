"""Syntax errors in words: Lark's exceptions become located `SpecError`s.

Lark reports `UnexpectedToken(token, expected={"RPAR", "COMMA"})`; users read
"expected `)` or `,`, found `->`", plus a help line for the mistakes people
make most (a missing `:`, `=` for `==`, commas in an `input` shape, ...).
This module also holds the recovery step: after an error, blank the line (and
the block it opens) so the parser can go on and find the next one.
"""

from __future__ import annotations

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics import Span, SpecError

# Terminals that can start an expression: when most of them are expected we
# say "an expression" instead of listing twelve tokens.
_EXPRESSION_START = {"NAME", "INT", "FLOAT", "STRING", "LPAR", "LSQB", "IN", "TRUE", "FALSE",
                     "__ANON_TRUE", "NOT", "ADD_OP"}
_OPERATORS = {"ADD_OP", "MUL_OP", "COMP_OP", "AND", "OR", "IF", "LSQB", "__ANON_POW"}

_NAMED = {
    "NAME": "a name",
    "INT": "a number",
    "FLOAT": "a number",
    "STRING": "a string",
    "_NL": "end of line",
    "_INDENT": "an indented block",
    "_DEDENT": "end of the block",
    "$END": "end of file",
    "COMP_OP": "a comparison",
    "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*`, `/`, `//` or `%`",
}

# Order in which expected items are listed: closers first, they are what is
# usually missing.
_RANK = ["RPAR", "RSQB", "COMMA", "COLON", "__ARROW", "_NL", "_X", "EQUAL"]


def terminal_words(name: str, pattern_of) -> str:
    if name in _NAMED:
        return _NAMED[name]
    literal = pattern_of(name)
    return f"`{literal}`" if literal else f"`{name.lower()}`"


def describe_expected(expected: set[str], pattern_of) -> str:
    names = set(expected)
    words: list[str] = []
    if len(names & _EXPRESSION_START) >= 4:
        names -= _EXPRESSION_START
        words.append("an expression")
    if len(names & _OPERATORS) >= 3:
        names -= _OPERATORS
        words.append("an operator")
    ordered = sorted(names, key=lambda n: (_RANK.index(n) if n in _RANK else len(_RANK), n))
    words = [terminal_words(n, pattern_of) for n in ordered] + words
    words = list(dict.fromkeys(words))
    if len(words) > 6:
        words = words[:5] + ["..."]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def describe_token(token: Token) -> str:
    kind = token.type
    if kind in ("_NL", "_INDENT", "_DEDENT", "$END"):
        return {"_NL": "end of line", "_INDENT": "an indented line", "_DEDENT": "end of the block",
                "$END": "end of file"}[kind]
    return f"`{token.value}`"


def token_span(file: str, token: Token, text: str) -> Span:
    line = token.line or text.count("\n") or 1
    column = token.column or 1
    if token.type == "_NL":
        # The newline token starts at the line's end: point just past the last character.
        return Span(file, line, column, line, column + 1)
    end_line = token.end_line or line
    end_column = token.end_column if token.end_column and end_line == line else column + 1
    return Span(file, line, column, end_line, max(end_column, column + 1))


def syntax_error(error: UnexpectedInput, file: str, text: str, pattern_of, open_brackets) -> SpecError:
    if isinstance(error, UnexpectedCharacters):
        return _bad_character(error, file, text)
    if isinstance(error, UnexpectedEOF):
        lines = text.count("\n") or 1
        return SpecError("E0103", "unexpected end of file", Span(file, lines, 1, lines, 2),
                         help="the file ends in the middle of a statement")
    assert isinstance(error, UnexpectedToken)
    token, expected = error.token, set(error.expected)
    span = token_span(file, token, text)
    found = describe_token(token)
    if token.type == "_INDENT":
        return SpecError("E0104", "unexpected indentation", span, label="this line is indented",
                         help="indent only the body of a line that ends with `:`")
    if token.type == "$END":
        return SpecError("E0103", f"expected {describe_expected(expected, pattern_of)}, found end of file",
                         span, help=_help(token, expected, open_brackets) or "the file ends in the middle of a statement")
    if expected == {"_INDENT"}:
        return SpecError("E0104", f"expected an indented block, found {found}", span,
                         label="the body must be indented",
                         help="indent the body of the line that ends with `:` (4 spaces is the convention)")
    message = f"expected {describe_expected(expected, pattern_of)}, found {found}"
    return SpecError("E0101", message, span, label=_label(token), help=_help(token, expected, open_brackets))


def _label(token: Token) -> str:
    return "unexpected here" if token.type not in ("_NL", "_DEDENT") else "the line ends here"


def _help(token: Token, expected: set[str], open_brackets: list[Token]) -> str:
    kind = token.type
    unclosed = [b for b in open_brackets if b.line < (token.line or 0)]
    if unclosed and ("RPAR" in expected or "RSQB" in expected):
        bracket = unclosed[-1]
        closer = ")" if bracket.value == "(" else "]"
        return f"the `{bracket.value}` at line {bracket.line}, column {bracket.column} is never closed: add `{closer}`"
    if kind == "EQUAL" and "COMP_OP" in expected:
        return "to compare two values, write `==`"
    if kind == "COMMA" and "_X" in expected:
        return "write a shape with `x` between the sizes: `input 1 x 28 x 28`"
    if "COLON" in expected and kind in ("_NL", "$END"):
        return "a line that opens a block ends with `:`"
    if kind in ("NAME", "INT") and "__ARROW" in expected and "_NL" in expected:
        return "join layers with `->`, or put each statement on its own line"
    if kind == "NAME" and ("USE" in expected or "MODEL" in expected or "BLOCK" in expected) \
            and "_INDENT" not in expected:
        return "the top level of a spec holds `use` lines, `block` and `model` definitions; statements go indented inside them"
    if "NAME" in expected and kind not in ("NAME", "_NL") and token.value.isidentifier():
        return f"`{token.value}` is a keyword of the language; choose another name"
    return ""


def _bad_character(error: UnexpectedCharacters, file: str, text: str) -> SpecError:
    char = error.char
    span = Span(file, error.line, error.column, error.line, error.column + 1)
    if char in "\"'":
        return SpecError("E0106", "unterminated string", span, label="this string is never closed",
                         help=f"close the string with {char} on the same line")
    hints = {
        ";": "statements end at the end of the line; no `;` is needed",
        "{": "use `[...]` for lists and `(...)` for tuples",
        "@": "specc has no decorators or matrix products",
        "!": "write `not` for negation and `!=` for inequality",
        "&": "write `and`",
        "|": "write `or`",
        "$": "",
    }
    shown = repr(char)[1:-1] if not char.isprintable() else char
    return SpecError("E0102", f"unexpected character `{shown}`", span, label="not part of the language",
                     help=hints.get(char, ""))


# ---------------------------------------------------------------- recovery

PLACEHOLDER = "identity"


def blank_error_lines(lines: list[str], error: SpecError) -> bool:
    """Blank the line of `error` (and the block it opens) so parsing can go on.

    An indented line becomes the placeholder `identity`, which keeps its
    enclosing block non-empty; a top-level line becomes empty. Returns False
    when there is nothing left to blank, which ends recovery.
    """
    span = error.errors[0].span
    if span is None or not lines:
        return False
    index = min(span.line, len(lines)) - 1
    while index > 0 and not lines[index].strip():
        index -= 1
    line = lines[index]
    if not line.strip():
        return False
    indent = _indent(line)
    drop_siblings = error.errors[0].code in ("E0104", "E0105")
    end = _block_end(lines, index, indent, drop_siblings)
    keep_placeholder = indent > 0 and not drop_siblings and line.strip() != PLACEHOLDER
    lines[index] = line[:indent] + PLACEHOLDER if keep_placeholder else ""
    for i in range(index + 1, end):
        lines[i] = ""
    return True


def _block_end(lines: list[str], index: int, indent: int, include_siblings: bool) -> int:
    end = index + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and not line.lstrip().startswith("#"):
            deeper = _indent(line) > indent or (include_siblings and _indent(line) == indent)
            if not deeper:
                break
        end += 1
    return end


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))
