"""The DSL front-end: spec text -> Lark's LALR parser -> typed AST, with every syntax error in words.

Lark's LALR parser over `grammar/specc.lark` is the one definition of the
language. Its callbacks (`build.AstBuilder`) build the AST as it reduces,
with no parse tree in between; the `Indenter` below turns newlines into
indentation tokens. Syntax errors are reported in words (never Lark's
exception text). After an error the parser blanks the offending line (and
the block it opens) and tries again, so independent mistakes in one file are
reported together. It also parses the DSL fragments inside YAML specs.

    module = parse_text("model M:\\n    input 1 x 28 x 28\\n    relu\\n", "m.spec")
    module.models[0].body[1]   # Chain(items=[Call(name="relu", bare=True)])
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache, wraps
from importlib import resources
from typing import Iterator, Optional

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput

from ..diagnostics import Span as DiagSpan
from ..diagnostics import SpecError, name_too_long
from ..limits import LIMITS
from . import ast
from .build import AstBuilder
from .recovery import recover
from .words import END_OF_FILE, syntax_error

# Every later stage walks the AST recursively, so nesting is bounded here,
# where it is cheap to count and the error can point at the token: the
# deepest expression may have this many operators and brackets on its path
# from the statement down, and blocks may be indented this many levels.
MAX_EXPRESSION_DEPTH = LIMITS["expression_depth"]
MAX_BLOCK_DEPTH = LIMITS["block_depth"]

# The tokens that add a level to the expression tree (by value); `->` does
# not, a chain is a flat list. Brackets add one too.
NESTING_OPERATORS = frozenset({"+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=",
                               "not", "and", "or", "if", "else", "."})

# The grammar's words (`tests/test_parse.py` holds this to its literal
# terminals): keywords only where the grammar takes them, since the lexer is
# contextual. `x` is left out: it is a keyword only between the sizes of `input`.
KEYWORDS = frozenset({"use", "block", "model", "input", "let", "seq", "repeat", "for", "in", "if", "elif",
                      "else", "not", "and", "or", "true", "True", "false", "False", "concat", "add",
                      "mul", "chunk", "split", "sequential", "as", "output", "default", "init", "layer", "op"})
NAME = r"[A-Za-z_][A-Za-z0-9_]*"

MAX_REPORTED = LIMITS["syntax_errors"]
MAX_NAME = LIMITS["name_chars"]

_NESTING_HELP = "name the inner parts with `let` and combine the names"


# ---------------------------------------------------------------- indentation


class Nesting:
    """Counts the operators and brackets on the path from a statement down to each token.

    Every later stage walks the AST recursively, once per level: the count
    ends in E0109 long before Python's recursion limit.
    """

    OPEN = {"LPAR", "LSQB"}
    CLOSE = {"RPAR", "RSQB"}
    OPERATORS = NESTING_OPERATORS  # matched by value: Lark names some of them `__ANON_n`

    def __init__(self) -> None:
        self.file = "<spec>"
        self.depths = [0]  # one count per open bracket

    def reset(self, file: str) -> None:
        # In place: a list made for an earlier parse may be frozen by now, and
        # dropping it would change someone else's freeze count (collector.py).
        self.file = file
        del self.depths[1:]
        self.depths[0] = 0

    def see(self, token: Token) -> None:
        depths = self.depths
        if token.type in self.OPEN:
            depths[-1] += 1
            depths.append(0)
        elif token.type in self.CLOSE:
            if len(depths) > 1:
                depths.pop()
            return
        elif token.type == "COMMA" or token.value == "->":
            # The next element (of a list, or a chain: `->` nests nothing) starts afresh beside its sibling.
            depths[-1] = 0
            return
        elif token.value in self.OPERATORS and token.type not in ("NAME", "STRING"):
            depths[-1] += 1
        else:
            return
        if sum(depths) > MAX_EXPRESSION_DEPTH:
            raise SpecError("E0109", f"expected an expression nested at most {MAX_EXPRESSION_DEPTH} "
                                     f"levels deep, found a deeper one", _token_span(self.file, token),
                            label="nested too deeply here", help=_NESTING_HELP)


# The tokens the indenter looks at twice, by value: brackets, commas, operators and keywords.
_WATCHED = KEYWORDS | NESTING_OPERATORS | {"(", ")", "[", "]", ",", "->"}


class Indenter:
    """Lark post-lexer: turns the newline token into _NL, _INDENT and _DEDENT.

    Written here rather than using `lark.indenter.Indenter` so that bad
    indentation and mixed tabs become located diagnostics.
    """

    always_accept = ("_NL",)

    def __init__(self, file: str) -> None:
        self.file = file
        self.text = ""  # what is being parsed
        self.open_brackets: list[Token] = []
        self.nesting = Nesting()
        # The indentation character the text's earlier lines settled on (recovery parses a part of a text).
        self.initial_indent_char: Optional[str] = None

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        levels, indent_char = [0], self.initial_indent_char
        brackets = self.open_brackets
        brackets.clear()  # in place, like `Nesting.reset`
        nesting = self.nesting
        nesting.reset(self.file)
        token = None
        for token in stream:
            if token.type == "_NL":
                if brackets:
                    continue
                yield token
                nesting.reset(self.file)
                indent = token.value.rsplit("\n", 1)[-1]
                indent_char = self._check_chars(indent, token, indent_char)
                if len(indent) != levels[-1]:
                    yield from self._indentation(len(indent), levels, token)
                continue
            yield token
            if len(token) > MAX_NAME:
                _check_length(token, self.file)
            if token.value in _WATCHED:  # most tokens are names and numbers: one look-up for them
                _check_separate(token, self.text, self.file)
                if token.type in Nesting.OPEN:
                    brackets.append(token)
                elif token.type in Nesting.CLOSE and brackets:
                    brackets.pop()
                nesting.see(token)
        if brackets:
            return  # let the parser meet the end of file inside the brackets: "expected `)`, found end of file"
        while len(levels) > 1:
            levels.pop()
            yield Token("_DEDENT", END_OF_FILE, 0, *_end_position(token))

    def _indentation(self, width: int, levels: list[int], nl: Token) -> Iterator[Token]:
        line, column = _line_after(nl), width + 1
        if width > levels[-1]:
            if len(levels) > MAX_BLOCK_DEPTH:
                span = DiagSpan(self.file, line, 1, line, column)
                raise SpecError("E0109", f"expected blocks nested at most {MAX_BLOCK_DEPTH} levels deep, "
                                         f"found a deeper one", span, label="nested too deeply here",
                                help="move the inner statements into a `block` and call it")
            levels.append(width)
            yield Token("_INDENT", " " * width, 0, line, column, line, column, 0)
            return
        while width < levels[-1]:
            levels.pop()
            # A block ends where its last line does (the newline's start), not at the next line.
            yield Token("_DEDENT", "", 0, nl.line, nl.column, nl.line, nl.column, 0)
        if width != levels[-1]:
            span = DiagSpan(self.file, line, 1, line, column)
            raise SpecError(
                "E0104", f"expected indentation of {levels[-1]} columns, found {width}",
                span, label="this indentation matches no enclosing block",
                help=f"indent this line by {levels[-1]} columns, like the block it belongs to")

    def _check_chars(self, indent: str, nl: Token, seen: Optional[str]) -> Optional[str]:
        if not indent:
            return seen
        chars = set(indent)
        line = _line_after(nl)
        if len(chars) > 1 or (seen is not None and chars != {seen}):
            span = DiagSpan(self.file, line, 1, line, len(indent) + 1)
            raise SpecError("E0105", "expected one kind of indentation, found tabs mixed with spaces",
                            span, label="tabs and spaces",
                            help="indent with spaces only (4 per level is the convention)")
        return seen or indent[0]


_WORD = re.compile(NAME)


def _check_separate(token: Token, text: str, file: str) -> None:
    """A keyword split off the front of a longer word (`modelM:` read as `model M:`) is a typo.

    Lark's contextual lexer only looks for the terminals the parser can take
    next, so where a name cannot follow, `modelM` lexes as `model` and `M`.
    (`x` is meant to split: `1x28x28`.)
    """
    end = token.end_pos
    if end is None or end >= len(text) or token.type in ("NAME", "_X") or token.value not in KEYWORDS:
        return
    word = _WORD.match(text, token.start_pos)
    if word is None or word.end() == end:
        return
    rest = word.group()[len(token.value):]
    span = DiagSpan(file, token.line, token.column, token.line, token.column + len(word.group()))
    raise SpecError("E0101", f"expected a space after `{token}`, found `{word.group()}`", span,
                    label=f"`{token}` runs into `{rest}`",
                    help=f"keywords are words of their own: write `{token} {rest}`")


def _check_length(token: Token, file: str) -> None:
    """Names become attributes, classes and YAML keys: each of those has room for a long one, not any."""
    if token.type == "NAME":
        raise name_too_long(len(token), _token_span(file, token))


def _line_after(nl: Token) -> int:
    return nl.line + nl.value.count("\n")


def _end_position(token: Optional[Token]) -> tuple[int, int, int, int]:
    if token is None:
        return (1, 1, 1, 1)
    if token.type == "_NL":  # the text always ends with one: the file ends where it starts
        return (token.line, token.column, token.line, token.column)
    return (token.end_line or 1, token.end_column or 1, token.end_line or 1, token.end_column or 1)


def _token_span(file: str, token: Token) -> DiagSpan:
    return DiagSpan(file, token.line, token.column, token.end_line, token.end_column)


# ---------------------------------------------------------------- entry points


@lru_cache(maxsize=None)
def _grammar_text() -> str:
    return resources.files("specc").joinpath("grammar/specc.lark").read_text(encoding="utf-8")


_INDENTER = Indenter("<spec>")
_BUILDER = AstBuilder()
# The indenter, the tree builders and the fragments' post-lexer hold the
# state of one parse (Lark's callbacks are fixed when the parser is built):
# parses in several threads take turns.
_TURN = threading.RLock()


def _one_at_a_time(function):
    @wraps(function)
    def take_turn(*args, **kwargs):
        with _TURN:
            return function(*args, **kwargs)
    return take_turn


def _lark(**options) -> Lark:
    """Lark's LALR parser for the grammar, its callbacks building the AST as it reduces.

    `keep_all_tokens` hands the callbacks the keywords and brackets too, to
    measure spans from; without placeholders, Lark filters children only to
    flatten repetitions. `cache=True` keeps the analysed grammar in the temp
    directory: building the LALR tables takes ~60 ms, loading them ~6 ms.
    """
    return Lark(_grammar_text(), parser="lalr", lexer="contextual", keep_all_tokens=True,
                maybe_placeholders=False, cache=True, **options)


@lru_cache(maxsize=None)
def _parser() -> Lark:
    return _lark(postlex=_INDENTER, transformer=_BUILDER)


@_one_at_a_time
def parse_text(text: str, file: str = "<string>") -> ast.Module:
    """Parse one spec text into an AST, or raise every syntax error found in it.

    `specc.syntax.parse.parse_text` is the entry point: it registers the
    text and pauses the cycle collector around this.
    """
    if not text.strip():
        raise SpecError("E0003", "expected a spec, found an empty file", DiagSpan(file, 1, 1, 1, 1),
                        help="a spec holds `use` lines, `block` definitions and `model` definitions")
    module, *first = _attempt(text, file)
    if module is not None:
        return module
    # Recovery: blank each mistake's statement and parse on from there (`recovery.py`), so that
    # independent mistakes are reported together. Too deep a nesting (E0109) ends it: blanking
    # one line of it turns the lines below into indentation errors.
    recover(text.split("\n"), tuple(first), lambda part, indent_char: _attempt(part, file, indent_char)[1:],
            MAX_REPORTED)
    raise AssertionError("recovery always raises")  # pragma: no cover


def _attempt(text: str, file: str, indent_char: Optional[str] = None) -> tuple:
    """One parse: (the module or None, the first syntax error or None, the deferred errors, open brackets)."""
    _INDENTER.initial_indent_char = indent_char
    try:
        module = _parse_once(text, file, raise_deferred=False)
    except SpecError as error:
        return None, error, list(_BUILDER.deferred), list(_INDENTER.open_brackets)
    finally:
        _INDENTER.initial_indent_char = None
    deferred = list(_BUILDER.deferred)
    return (module if not deferred else None), None, deferred, []


def _parse_once(text: str, file: str, raise_deferred: bool = True) -> ast.Module:
    if not text.endswith("\n"):
        text += "\n"
    _INDENTER.file, _INDENTER.text = file, text
    _BUILDER.begin(file)
    try:
        module = _parser().parse(text)
    except UnexpectedInput as error:
        raise syntax_error(error, file, text, _literal, _INDENTER.open_brackets) from None
    finally:
        deferred = _BUILDER.end()
    if deferred is not None and raise_deferred:
        raise deferred
    return module


def _literal(terminal: str) -> str:
    """The literal text of a keyword or punctuation terminal, or "" for a pattern."""
    try:
        pattern = _parser().get_terminal(terminal).pattern
    except KeyError:
        return ""
    return pattern.value if pattern.type == "str" else ""


# ---------------------------------------------------------------- fragments (the YAML front-end)

FRAGMENT_RULES = ("test", "chain", "simple_stmt", "input_stmt")


class _Shift:
    """Post-lexer that moves every token to where the fragment lies in its file."""

    always_accept = ()

    def __init__(self) -> None:
        self.text = ""
        self.lines = self.columns = 0
        self.moved: set[int] = set()
        self.nesting = Nesting()

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        for token in stream:
            self.moved.add(id(token))
            token.line += self.lines
            token.end_line += self.lines
            token.column += self.columns
            token.end_column += self.columns
            self.nesting.see(token)
            _check_separate(token, self.text, self.nesting.file)
            if len(token) > MAX_NAME:
                _check_length(token, self.nesting.file)
            yield token


_SHIFT = _Shift()


_FRAGMENT_BUILDER = AstBuilder()


@lru_cache(maxsize=None)
def _fragment_parser() -> Lark:
    return _lark(start=list(FRAGMENT_RULES), postlex=_SHIFT, transformer=_FRAGMENT_BUILDER)


@_one_at_a_time
def parse_fragment(text: str, rule: str, file: str, line: int = 1, column: int = 1):
    """Parse one line of DSL (an expression, a chain, a simple statement) found at `line:column` of `file`.

    The YAML front-end keeps expressions in strings: `parse_fragment("c // 2", "test", "m.yaml", 7, 18)`
    gives `BinOp(...)` whose spans point into the YAML file.
    """
    one_line = text.replace("\n", " ")
    _SHIFT.lines, _SHIFT.columns, _SHIFT.text = line - 1, column - 1, one_line
    _SHIFT.moved.clear()
    _SHIFT.nesting.reset(file)
    _FRAGMENT_BUILDER.begin(file)
    try:
        node = _fragment_parser().parse(one_line, start=rule)
    except UnexpectedInput as error:
        _shift_error(error, line - 1, column - 1)
        raise _fragment_error(syntax_error(error, file, text, _literal, [])) from None
    finally:
        deferred = _FRAGMENT_BUILDER.end()
    if deferred is not None:
        raise deferred
    return node


def _shift_error(error: UnexpectedInput, lines: int, columns: int) -> None:
    """Errors the lexer raises carry positions the post-lexer never moved: move them too."""
    if isinstance(error, UnexpectedCharacters):
        error.line, error.column = error.line + lines, error.column + columns
    token = getattr(error, "token", None)
    borrowed = token is not None and token.type == "$END" and _SHIFT.moved  # placed after a moved token
    if isinstance(token, Token) and id(token) not in _SHIFT.moved and not borrowed and token.line is not None:
        token.line, token.end_line = token.line + lines, (token.end_line or token.line) + lines
        token.column, token.end_column = token.column + columns, (token.end_column or token.column) + columns


def _fragment_error(error: SpecError) -> SpecError:
    """A fragment is a string inside another file: it ends at the end of the string, not of the file."""
    if "end of file" not in error.message:
        return error
    message = error.message.replace("end of file", "the end of the string").replace("the the", "the")
    at_end = message.endswith("the end of the string")
    return SpecError(error.code, message, error.span, label="the string ends here" if at_end else error.label,
                     help=error.help if "never closed" in error.help or not at_end else "")
