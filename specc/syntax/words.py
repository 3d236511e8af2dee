"""Syntax errors in words: Lark's exceptions become located `SpecError`s.

Lark reports `UnexpectedToken(token, expected={"RPAR", "COMMA"})`; users read
"expected `)` or `,`, found `->`", plus a help line for the mistakes people
make most (a missing `:`, `=` for `==`, commas in an `input` shape, ...).
This module also holds the recovery step: after an error, blank the line (and
the block it opens) so the parser can go on and find the next one.
"""

from __future__ import annotations

import re

from typing import Optional

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics import Span, SpecError

# Expected terminals are keyed by their literal text when they have one
# (`)`, `->`, `True`): Lark names anonymous terminals `__ANON_0`, `__ANON_1`,
# ... in grammar order, so those names are not stable enough to test against.
#
# Terminals that can start an expression: when most of them are expected we
# say "an expression" instead of listing twelve tokens.
_EXPRESSION_START = {"NAME", "INT", "FLOAT", "STRING", "(", "[", "{", "in", "true", "True", "false", "False",
                     "not", "ADD_OP"}
_OPERATORS = {"ADD_OP", "MUL_OP", "COMP_OP", "and", "or", "if", "[", "**", "."}

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
_RANK = [")", "]", ",", ":", "->", "_NL", "x", "="]


def expected_keys(error: UnexpectedToken, pattern_of) -> set[str]:
    """What the parser would accept instead of `error.token`, keyed by literal text or terminal name.

    Lark's `expected` is the lookahead set of an LALR state, which merges
    contexts (after `if n` it lists `)` and `]` although no bracket is
    open); the interactive parser's `accepts()` tries each terminal and
    keeps only those the parse can really go on with.
    """
    names = set(error.expected)
    parser = getattr(error, "interactive_parser", None)
    if parser is not None:
        try:
            names = set(parser.accepts()) or names
        except Exception:  # pragma: no cover - fall back to Lark's own set
            pass
    return {pattern_of(n) or n for n in names}


def terminal_words(key: str) -> str:
    if key in _NAMED:
        return _NAMED[key]
    return f"`{key}`" if not key.isupper() else f"`{key.lower()}`"


def describe_expected(expected: set[str]) -> str:
    names = set(expected)
    if len(names) > 1:
        names.discard("$END")  # the end of the file is never what a user left out
    words: list[str] = []
    if len(names & _EXPRESSION_START) >= 4:
        names -= _EXPRESSION_START
        words.append("an expression")
    if len(names & _OPERATORS) >= 3:
        names -= _OPERATORS
        words.append("an operator")
    ordered = sorted(names, key=lambda n: (_RANK.index(n) if n in _RANK else len(_RANK), n))
    words = [terminal_words(n) for n in ordered] + words
    words = list(dict.fromkeys(words))
    if len(words) > 6:
        words = words[:5] + ["..."]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


# The value of the _DEDENT tokens the indenter emits when the file ends.
END_OF_FILE = "<end of file>"


def describe_token(token: Token) -> str:
    kind = token.type
    if kind == "_DEDENT" and token.value == END_OF_FILE:
        return "end of file"
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


def _end_span(file: str, token: Token, text: str) -> Span:
    """Where the file ends, for Lark's `$END` (which borrows the position of the last real token)."""
    if token.line is None or token.end_line is None or token.end_line != token.line:
        return token_span(file, token, text)  # a newline token: its start is the end of the last line
    return Span(file, token.end_line, token.end_column, token.end_line, token.end_column + 1)


def syntax_error(error: UnexpectedInput, file: str, text: str, pattern_of, open_brackets) -> SpecError:
    if isinstance(error, UnexpectedCharacters):
        return _bad_character(error, file, text)
    if isinstance(error, UnexpectedEOF):
        lines = text.count("\n") or 1
        return SpecError("E0103", "unexpected end of file", Span(file, lines, 1, lines, 2),
                         help="the file ends in the middle of a statement")
    assert isinstance(error, UnexpectedToken)
    token, expected = error.token, expected_keys(error, pattern_of)
    if not expected:
        # LALR merges contexts: after a complete fragment (`1]` in a YAML string) the state may
        # have reduced as far as it can and accept nothing more, not even the end.
        expected = {"$END"}
    found = describe_token(token)
    if token.type == "_INDENT":
        return SpecError("E0104", "expected the indentation of the line above, found a deeper one",
                         token_span(file, token, text),
                         label="this line is indented", help="indent only the body of a line that ends with `:`")
    if token.type == "$END" or found == "end of file":
        span = _end_span(file, token, text) if token.type == "$END" else token_span(file, token, text)
        return SpecError("E0103", f"expected {describe_expected(expected)}, found end of file",
                         span, label="the file ends here",
                         help=_help(token, expected, open_brackets) or "the file ends in the middle of a statement")
    span = token_span(file, token, text)
    if expected == {"_INDENT"} and token.type == "_DEDENT":
        return SpecError("E0104", f"{_NO_BODY}, found none", span, label="the block this line opens is empty",
                         help="indent the body of the line that ends with `:` (4 spaces is the convention)")
    if expected == {"_INDENT"}:
        return SpecError("E0104", f"{_NO_BODY}, found {found}", span,
                         label="the body must be indented",
                         help="indent the body of the line that ends with `:` (4 spaces is the convention)")
    orphan = _orphan_clause(file, token, text) if "->" in expected else None
    if orphan is not None:
        return orphan
    unquoted = _unquoted_name(file, token, text) if token.value == "=" else None
    if unquoted is not None:
        return unquoted
    message = f"expected {describe_expected(expected)}, found {found}"
    return SpecError("E0101", message, span, label=_label(token), help=_help(token, expected, open_brackets))


def _orphan_clause(file: str, token: Token, text: str) -> Optional[SpecError]:
    """`else:` or `elif c:` with no `if` before it (the lexer read the word as a name)."""
    lines = text.split("\n")
    if not token.line or token.line > len(lines):
        return None
    line = lines[token.line - 1]
    word = line.lstrip().split(":")[0].split(" ")[0]
    column = len(line) - len(line.lstrip()) + 1
    after = line[column - 1 + len(word):]
    if word not in ("else", "elif") or token.column != column + len(word) + len(after) - len(after.lstrip()):
        return None  # the parser got past the word: it read a real clause, the mistake is further on
    return SpecError("E0101", f"expected an `if` block before `{word}`, found `{word}` on its own",
                     Span(file, token.line, column, token.line, column + len(word)), label="no `if` before this",
                     help=f"`{word}` follows the body of an `if` at the same indentation")


# `block1-0 = ...`: a name with `-` or `.` read as arithmetic up to the `=`.
_NAME_LIKE = re.compile(r"[ \t]*([A-Za-z0-9_]+(?:[-.][A-Za-z0-9_]+)+)[ \t]*")


def _unquoted_name(file: str, token: Token, text: str) -> Optional[SpecError]:
    """A module name that is not an identifier, written without quotes (the YAML form takes it as it is)."""
    lines = text.split("\n")
    if not token.line or token.line > len(lines):
        return None
    match = _NAME_LIKE.fullmatch(lines[token.line - 1][:token.column - 1])
    if match is None:
        return None
    name = match.group(1)
    return SpecError("E0221", f"expected a name before `=`, found `{name}`",
                     Span(file, token.line, match.start(1) + 1, token.line, match.end(1) + 1),
                     label="read as arithmetic, not as a name",
                     help=f"a module name with `-` goes in quotes: `\"{name}\" = ...`" if "." not in name
                     else "a module name cannot hold `.` (torch reads it as a path); use `_` or `-` in quotes")


def _label(token: Token) -> str:
    return "unexpected here" if token.type not in ("_NL", "_DEDENT") else "the line ends here"


def _help(token: Token, expected: set[str], open_brackets: list[Token]) -> str:
    kind = token.type
    # At the end of the file every open bracket is unclosed; elsewhere only
    # those opened on an earlier line (an error on the bracket's own line is
    # usually something else).
    unclosed = [b for b in open_brackets if kind == "$END" or b.line < (token.line or 0)]
    if unclosed and (")" in expected or "]" in expected):
        bracket = unclosed[-1]
        closer = ")" if bracket.value == "(" else "]"
        return f"the `{bracket.value}` at line {bracket.line}, column {bracket.column} is never closed: add `{closer}`"
    if token.value == "," and expected == {":"}:  # `{1, 2}`: a set, which specc does not have
        return '`{...}` holds `"name": value` pairs (the outputs of a model); use `[...]` for lists'
    if token.value == "=" and "COMP_OP" in expected:
        return "to compare two values, write `==`"
    if token.value == "," and "x" in expected:
        return "write a shape with `x` between the sizes: `input 1 x 28 x 28`"
    if ":" in expected and kind in ("_NL", "$END"):
        return "a line that opens a block ends with `:`"
    if kind in ("NAME", "INT") and "->" in expected and "_NL" in expected:
        return "join layers with `->`, or put each statement on its own line"
    if kind == "NAME" and expected & {"use", "model", "block"} and "_INDENT" not in expected:
        return "the top level of a spec holds `use` lines, `block` and `model` definitions; " \
               "statements go indented inside them"
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
_NO_BODY = "expected an indented block"


def blank_error_lines(lines: list[str], error: SpecError, first_line: Optional[int] = None,
                      last_line: Optional[int] = None) -> Optional[tuple[int, int]]:
    """Blank the line of `error` (and the block it opens) so parsing can go on.

    An indented line becomes the placeholder `identity`, which keeps its
    enclosing block non-empty; a top-level line becomes empty. `first_line`
    and `last_line` are where the statement starts and ends when it spans
    several lines: all of them go. The `elif` and
    `else` clauses of a blanked `if` go with it. Returns the first and last
    lines blanked (from 1), or None when there is nothing left to blank,
    which ends recovery.
    """
    span = error.errors[0].span
    if span is None or not lines:
        return None
    last = min(max(span.line, last_line or 0), len(lines)) - 1
    index = last if first_line is None else min(first_line, len(lines)) - 1
    if error.errors[0].code == "E0104" and error.errors[0].message.startswith(_NO_BODY) \
            and not error.errors[0].message.endswith("found none"):
        index = max(index - 1, 0)  # the body is missing: drop the line that promised one, keep the line found
    while index > 0 and not _code(lines[index]):
        index -= 1
    while index > 0 and _code(lines[index - 1]).rstrip().endswith("\\"):
        index -= 1  # a backslash continues the statement from the line above: blank it from its start
    declaration = _op_declaration(lines, index)
    if declaration != index:  # an error among an `op` declaration's rules: no placeholder is a rule
        end = declaration + 1
        while end < len(lines) and (_indent(lines[end]) or not _code(lines[end])):
            end += 1  # its lines, by indentation alone: a bracket left open must not take the file with it
        end = max(end, last + 1)
        for i in range(declaration, end):
            lines[i] = ""
        return declaration + 1, end
    line = lines[index]
    if not line.strip():
        return None
    indent = _indent(line)
    drop_siblings = error.errors[0].code in ("E0104", "E0105")
    end = max(_block_end(lines, index, indent, drop_siblings), last + 1)
    while _is_clause(lines, end, indent):
        end = _block_end(lines, end, indent, False)
    keep_placeholder = indent > 0 and not drop_siblings and line.strip() != PLACEHOLDER
    lines[index] = line[:indent] + PLACEHOLDER if keep_placeholder else ""
    for i in range(index + 1, end):
        lines[i] = ""
    return index + 1, max(end, index + 1)


def _op_declaration(lines: list[str], index: int) -> int:
    """The line of the `op` declaration whose rules hold line `index`, or `index` itself."""
    if not _indent(lines[index]):
        return index
    top = index
    while top > 0 and (_indent(lines[top]) or not _code(lines[top])):
        top -= 1
    return top if re.match(r"op\b", _code(lines[top])) else index


def _is_clause(lines: list[str], index: int, indent: int) -> bool:
    """Whether `lines[index]` is an `elif`/`else` clause at `indent` (which must go with its `if`)."""
    if index >= len(lines):
        return False
    line = lines[index]
    word = line.strip().split(":")[0].split(" ")[0]
    return _indent(line) == indent and word in ("elif", "else")


def _block_end(lines: list[str], index: int, indent: int, include_siblings: bool) -> int:
    end, depth = index + 1, 0
    while end < len(lines):
        line = lines[end]
        # Inside brackets, or after a backslash, a line continues the one above, whatever its indentation.
        continues = depth > 0 or _code(lines[end - 1]).endswith("\\")
        if not continues and line.strip() and not line.lstrip().startswith("#"):
            deeper = _indent(line) > indent or (include_siblings and _indent(line) == indent)
            if not deeper:
                break
        depth = max(depth + _bracket_balance(line), 0)
        end += 1
    return end


def _code(line: str) -> str:
    """The line without indentation and comment ("" for a blank or comment-only line)."""
    return "" if line.lstrip().startswith("#") else line.strip()


code_of = _code


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def statement_lines(lines: list[str], line: int) -> tuple[int, int]:
    """The first and last lines of the statement holding `line` (1-based).

    A statement goes on past its first line inside brackets and after a
    backslash. Where a bracket never closes, the statement is taken to end
    at `line`: the rest of the file is not given up for one missing `)`.
    """
    depth, continued, start = 0, False, 1
    for number, text in enumerate(lines, start=1):
        if depth == 0 and not continued:
            if number > line:
                return start, number - 1
            start = number
        depth = max(depth + _bracket_balance(text), 0)
        continued = _code(text).endswith("\\")
    return start, line if depth or continued else len(lines)


def _bracket_balance(line: str) -> int:
    """Brackets opened minus closed on `line`, outside strings and the comment."""
    if "'" not in line and '"' not in line and "#" not in line:  # most lines: counted at C speed
        return line.count("(") + line.count("[") - line.count(")") - line.count("]")
    balance, quote = 0, None
    for char in line:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#":
            break
        elif char in "([":
            balance += 1
        elif char in ")]":
            balance -= 1
    return balance


bracket_balance = _bracket_balance
