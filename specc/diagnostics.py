"""Diagnostics: every error a user can cause, with a stable code and a span.

A `SpecError` names a code from `CODES` (the one registry, as mypy keeps
`errorcodes.py`), a message in "expected X, found Y" form, the span it points
at, an optional label under the carets and an optional help line. `render`
prints it the way rustc does:

    error[E0201]: unknown op or block `conv2`
      --> specs/lenet.spec:4:5
       |
     4 |     conv2(6, k=5)
       |     ^^^^^ not an op, a block or a variable in scope
       = help: did you mean `conv`?

Several independent errors travel together as a `SpecErrorGroup`, itself a
`SpecError`, so callers catch one type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Union


class Category(Enum):
    """What kind of mistake a code reports; the exit status follows from it, never from a list of codes."""

    SPEC = 1      # the spec is wrong: `specc` exits 1
    USAGE = 2     # the command line is wrong (a path, a flag, `--set`, `--input`, `--model`): exits 2
    INTERNAL = 3  # specc itself is wrong: a bug to report

    @property
    def exit_status(self) -> int:
        return self.value


@dataclass(frozen=True)
class ErrorCode:
    """One diagnostic code, in the manner of mypy's `errorcodes.py`: `ErrorCode("E0201", "unknown op or block")`."""

    code: str
    description: str
    category: Category = Category.SPEC

    def __str__(self) -> str:
        return self.code


# The registry. Codes are stable: never renumber, only add. The first two
# digits group them: 00 input bytes, 01 syntax, 02 names and calls, 03
# shapes, 04 values and evaluation, 05 command-line input, 06 YAML, 09 specc's own bugs.
CODES: dict[str, ErrorCode] = {}


def _register(code: str, description: str, category: Category = Category.SPEC) -> ErrorCode:
    if code in CODES:
        raise KeyError(f"diagnostic code {code} registered twice")
    CODES[code] = ErrorCode(code, description, category)
    return CODES[code]


_USAGE = Category.USAGE
CANNOT_READ = _register("E0001", "the file cannot be read", _USAGE)
NOT_UTF8 = _register("E0002", "the file is not valid UTF-8")
EMPTY_FILE = _register("E0003", "the file is empty")
UNEXPECTED_TOKEN = _register("E0101", "unexpected token")
UNEXPECTED_CHARACTER = _register("E0102", "unexpected character")
UNEXPECTED_END = _register("E0103", "unexpected end of file")
INDENTATION = _register("E0104", "inconsistent indentation")
TABS_AND_SPACES = _register("E0105", "tabs mixed with spaces")
UNTERMINATED_STRING = _register("E0106", "unterminated string")
EXPRESSION_AS_LAYER = _register("E0107", "an expression where a layer is expected")
MISPLACED_STATEMENT = _register("E0108", "a statement in the wrong place")
NESTING = _register("E0109", "nesting too deep")
UNKNOWN_OP = _register("E0201", "unknown op or block")
UNKNOWN_KEYWORD = _register("E0202", "unknown keyword argument")
UNKNOWN_NAME = _register("E0203", "unknown name")
TOO_MANY_POSITIONAL = _register("E0204", "too many positional arguments")
MISSING_ARGUMENT = _register("E0205", "missing argument")
DUPLICATE_NAME = _register("E0206", "duplicate name")
PYTHON_KEYWORD = _register("E0207", "a Python keyword used as a name")
RESERVED_NAME = _register("E0208", "a name that clobbers an nn.Module attribute or a name the generated file uses")
UNKNOWN_USE = _register("E0209", "unknown library or file in `use`")
USE_CYCLE = _register("E0210", "`use` cycle")
ARGUMENT_TWICE = _register("E0211", "argument given twice")
UNKNOWN_MODEL = _register("E0212", "unknown model (`--model`)", _USAGE)
NO_MODEL = _register("E0213", "no model to build")
MODEL_PARAM_DEFAULT = _register("E0214", "model parameter without a default")
PARAM_ORDER = _register("E0215", "parameter without a default after one with a default")
INPUT_TWICE = _register("E0216", "`input` declared twice")
INPUT_OUTSIDE_MODEL = _register("E0217", "`input` outside a model")
UNPACK_COUNT = _register("E0218", "wrong number of names to unpack")
WRONG_KIND_OF_NAME = _register("E0219", "name used as the wrong kind of thing")
INPUT_RANK = _register("E0220", "wrong number of sizes in `input`")
ADD_SHAPES = _register("E0301", "shapes of `add` branches differ")
CONCAT_SIZES = _register("E0302", "spatial sizes of `concat` branches differ")
DIMENSION_ZERO = _register("E0303", "a dimension reaches zero")
INPUT_RANK_FOR_OP = _register("E0304", "wrong input rank for this op")
EXPLICIT_SIZE = _register("E0305", "explicit input size disagrees with inference")
GROUPS = _register("E0306", "groups do not divide the channels")
POOL_PADDING = _register("E0307", "padding larger than half the kernel")
SAME_PADDING = _register("E0308", '`padding="same"` not allowed here')
NO_INPUT = _register("E0309", "no input shape")
EMPTY_COMBINATOR = _register("E0310", "empty combinator")
WRONG_TYPE = _register("E0401", "wrong type")
OUT_OF_RANGE = _register("E0402", "value out of range")
DIVISION_BY_ZERO = _register("E0403", "division by zero")
INDEX_OUT_OF_RANGE = _register("E0404", "index out of range")
LIMIT = _register("E0405", "a limit was exceeded")
RECURSION = _register("E0406", "block recursion too deep")
BAD_SET = _register("E0501", "bad `--set` override", _USAGE)
BAD_INPUT = _register("E0502", "bad `--input` shape", _USAGE)
INVALID_YAML = _register("E0601", "invalid YAML")
UNKNOWN_YAML_KEY = _register("E0602", "unknown key in a YAML spec")
DUPLICATE_YAML_KEY = _register("E0603", "duplicate key in a YAML mapping")
YAML_KIND = _register("E0604", "wrong kind of YAML value")
YAML_FEATURE = _register("E0605", "a YAML tag or feature specc does not read (Python tags, custom tags, merge keys)")
MISSING_YAML_KEY = _register("E0606", "missing key in a YAML spec")
INTERNAL = _register("E0901", "an internal error: a bug in specc", Category.INTERNAL)


class Span(NamedTuple):
    """A region of a source file; lines and columns count from 1, ends are exclusive.

    A named tuple: the AST's spans (`ast.Span`) are these too, one per node.
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SpecError(Exception):
    """One error in a spec, located by `span` and named by a registered `code`."""

    def __init__(
        self,
        code: Union[str, ErrorCode],
        message: str,
        span: Optional[Span] = None,
        *,
        label: str = "",
        help: str = "",
    ) -> None:
        error_code = CODES.get(str(code))
        if error_code is None:
            raise KeyError(f"unregistered diagnostic code {code}")
        super().__init__(message)
        self.error_code = error_code
        self.code = error_code.code
        self.message = message
        self.span = span
        self.label = label
        self.help = help
        # Context elaboration gathers before the error is shown: the axis a size
        # reached zero along (E0303), and the block calls it happened in, innermost first.
        self.axis: Optional[str] = None
        self.frames: list[str] = []

    @property
    def errors(self) -> list["SpecError"]:
        return [self]

    @property
    def exit_status(self) -> int:
        """1 for a mistake in a spec, 2 for one on the command line: the worst of the errors held."""
        return max(e.error_code.category.exit_status for e in self.errors)

    def __str__(self) -> str:
        where = f" at {self.span}" if self.span else ""
        return f"error[{self.code}]: {self.message}{where}"


class SpecErrorGroup(SpecError):
    """Several independent errors, reported together in source order."""

    def __init__(self, errors: Iterable[SpecError]) -> None:
        flat = sorted(_flatten(errors), key=_position)
        if not flat:
            raise ValueError("an error group needs at least one error")
        first = flat[0]
        super().__init__(first.code, first.message, first.span, label=first.label, help=first.help)
        self._errors = flat

    @property
    def errors(self) -> list[SpecError]:
        return list(self._errors)

    def __str__(self) -> str:
        return "\n".join(SpecError.__str__(e) for e in self._errors)


def _flatten(errors: Iterable[SpecError]) -> Iterator[SpecError]:
    for error in errors:
        yield from error.errors


def _position(error: SpecError) -> tuple:
    span = error.span
    return (span.file, span.line, span.column) if span else ("", 0, 0)


def raise_all(errors: list[SpecError]) -> None:
    """Raise the collected errors, if any: one alone, several as a group."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SpecErrorGroup(errors)


class Collector:
    """Gathers independent errors so a pass can report them all at once."""

    def __init__(self) -> None:
        self.errors: list[SpecError] = []

    def run(self, action: Callable[[], object]) -> None:
        try:
            action()
        except SpecError as error:
            self.errors.extend(error.errors)

    def add(self, error: SpecError) -> None:
        self.errors.extend(error.errors)

    def raise_if_any(self) -> None:
        raise_all(self.errors)


def suggest(name: str, candidates: Iterable[str]) -> str:
    """A "did you mean" help line, or "" when nothing is close."""
    import difflib  # only on an error: a clean run does not pay for it

    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not matches:
        lowered = [c for c in candidates if c.lower() == name.lower()]
        matches = lowered[:1]
    if not matches:
        return ""
    return "did you mean " + " or ".join(f"`{m}`" for m in matches) + "?"


def render(error: SpecError, source_of: Callable[[str], Optional[str]]) -> str:
    """Render every error in `error` rustc-style; `source_of(file)` gives a file's text."""
    return "\n\n".join(_render_one(e, source_of) for e in error.errors) + "\n"


def _render_one(error: SpecError, source_of: Callable[[str], Optional[str]]) -> str:
    lines = [f"error[{error.code}]: {error.message}"]
    span = error.span
    text = source_of(span.file) if span else None
    if span is None:
        pass
    elif text is None:
        lines.append(f"  --> {span}")
    else:
        lines.extend(_snippet(span, text, error.label))
    if error.help:
        pad = " " * (len(str(span.line)) + 1 if span and text is not None else 1)
        for i, help_line in enumerate(error.help.splitlines()):
            lines.append(f"{pad}= help: {help_line}" if i == 0 else f"{pad}        {help_line}")
    return "\n".join(lines)


def _snippet(span: Span, text: str, label: str) -> list[str]:
    # Lines as the lexer counts them: only "\n" ends one (`splitlines` would also
    # split at form feeds and U+2028, and show the wrong line).
    source_lines = text.split("\n")
    line_no = min(max(span.line, 1), len(source_lines) + 1)
    source_line = source_lines[line_no - 1] if line_no <= len(source_lines) else ""
    # One column per character: a tab shows as one space so carets line up.
    source_line = source_line.replace("\t", " ").rstrip()
    width = len(str(line_no))
    gutter = " " * width
    start = max(span.column - 1, 0)
    if span.end_line == span.line:
        end = max(span.end_column - 1, start + 1)
    else:
        end = max(len(source_line), start + 1)
    carets = " " * start + "^" * (end - start)
    return [
        f"{gutter}--> {span.file}:{line_no}:{span.column}",
        f"{gutter} |",
        f"{line_no} | {source_line}".rstrip(),
        f"{gutter} | {carets}" + (f" {label}" if label else ""),
    ]
