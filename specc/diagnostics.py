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

import functools
import re
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Union

from .limits import LIMITS


class Category(Enum):
    """What kind of mistake a code reports; the exit status follows from it, never from a list of codes."""

    WARNING = 0   # the spec works but likely says something it did not mean: reported, `specc` exits 0
    SPEC = 1      # the spec is wrong: `specc` exits 1
    USAGE = 2     # the command line is wrong (a path, a flag, `--set`, `--input`, `--model`): exits 2
    INTERNAL = 3  # specc itself is wrong: a bug to report

    @property
    def exit_status(self) -> int:
        return self.value


@dataclass(frozen=True)
class ErrorCode:
    """One diagnostic code, in the manner of mypy's `errorcodes.py`.

        ErrorCode("E0201", "unknown op or block", Category.SPEC)
    """

    code: str
    description: str
    category: Category


# The registry. Codes are stable: never renumber, only add. The first two
# digits group them: 00 input bytes, 01 syntax, 02 names and calls, 03
# shapes, 04 values and evaluation, 05 command-line input, 06 YAML, 07 weights, 08 the modules of
# custom layers (`op` declarations), 09 specc's own bugs, 10 drawing pictures (`specc graph`). W codes are
# warnings, numbered as the errors of their group.
# A weights file that does not fit is the spec's kind of error (exit 1, located in the spec: either side
# may be the one to change); one that cannot be read, or holds no state_dict, is the command line's.
_SPEC, _USAGE, _INTERNAL, _WARNING = Category.SPEC, Category.USAGE, Category.INTERNAL, Category.WARNING
_TABLE = (
    ("E0001", _USAGE, "the file cannot be read"),
    ("E0002", _SPEC, "the file is not valid UTF-8"),
    ("E0003", _SPEC, "the file is empty"),
    ("E0101", _SPEC, "unexpected token"),
    ("E0102", _SPEC, "unexpected character"),
    ("E0103", _SPEC, "unexpected end of file"),
    ("E0104", _SPEC, "inconsistent indentation"),
    ("E0105", _SPEC, "tabs mixed with spaces"),
    ("E0106", _SPEC, "unterminated string"),
    ("E0107", _SPEC, "an expression where a layer is expected"),
    ("E0108", _SPEC, "a statement in the wrong place"),
    ("E0109", _SPEC, "nesting too deep"),
    ("E0201", _SPEC, "unknown op or block"),
    ("E0202", _SPEC, "unknown keyword argument"),
    ("E0203", _SPEC, "unknown name"),
    ("E0204", _SPEC, "too many positional arguments"),
    ("E0205", _SPEC, "missing argument"),
    ("E0206", _SPEC, "duplicate name"),
    ("E0207", _SPEC, "a Python keyword used as a name"),
    ("E0208", _SPEC, "a name that clobbers an nn.Module attribute or a name the generated file uses"),
    ("E0209", _SPEC, "unknown library or file in `use`"),
    ("E0210", _SPEC, "`use` cycle"),
    ("E0211", _SPEC, "argument given twice"),
    ("E0212", _USAGE, "unknown model (`--model`)"),
    ("E0213", _SPEC, "no model to build"),
    ("E0214", _SPEC, "model parameter without a default"),
    ("E0215", _SPEC, "parameter without a default after one with a default"),
    ("E0216", _SPEC, "`input` declared twice"),
    ("E0217", _SPEC, "`input` outside a model"),
    ("E0218", _SPEC, "wrong number of names to unpack"),
    ("E0219", _SPEC, "name used as the wrong kind of thing"),
    ("E0220", _SPEC, "wrong number of sizes in `input`"),
    ("E0221", _SPEC, "a module name with characters torch or the generated file cannot take"),
    ("E0230", _SPEC, "unknown base model in `model B = A(...)`"),
    ("E0231", _SPEC, "a model that extends itself"),
    ("E0232", _SPEC, "`default` for an argument every call must give"),
    ("E0233", _SPEC, "an argument of a declared op of a kind specc does not know"),
    ("E0240", _SPEC, "unknown init rule"),
    ("E0241", _SPEC, "an init rule for a tensor the op or layer does not have"),
    ("E0242", _SPEC, "an init rule that needs a tensor of more dims (a weight matrix)"),
    ("E0301", _SPEC, "shapes of `add` or `mul` branches do not broadcast"),
    ("E0302", _SPEC, "spatial sizes of `concat` branches differ"),
    ("E0303", _SPEC, "a dimension reaches zero"),
    ("E0304", _SPEC, "wrong input rank for this op"),
    ("E0305", _SPEC, "explicit input size disagrees with inference"),
    ("E0306", _SPEC, "groups do not divide the channels"),
    ("E0307", _SPEC, "padding larger than half the kernel"),
    ("E0308", _SPEC, '`padding="same"` not allowed here'),
    ("E0309", _SPEC, "no input shape"),
    ("E0310", _SPEC, "empty combinator"),
    ("E0311", _SPEC, "channel routing (`chunk`, `split`) that does not fit the branches or the channels"),
    ("E0312", _SPEC, "a shared layer applied where it does not fit, or out of its module"),
    ("E0313", _SPEC, "too few values to normalise over"),
    ("E0314", _SPEC, "sizes do not multiply to the dimension they split"),
    ("E0315", _SPEC, "a size not divisible by the op's factor"),
    ("E0320", _SPEC, "`output` out of place or not made of named values"),
    ("E0321", _SPEC, "a block's tensor parameters or several results used wrongly"),
    ("E0330", _SPEC, "a symbolic input size (`input 3 x H x W`) where specc cannot take one"),
    ("E0331", _SPEC, "layer sizes that are no floor-affine function of a symbolic input size"),
    ("E0332", _SPEC, "no valid input size found for a symbolic input within the limits"),
    ("E0401", _SPEC, "wrong type"),
    ("E0402", _SPEC, "value out of range"),
    ("E0403", _SPEC, "division by zero"),
    ("E0404", _SPEC, "index out of range"),
    ("E0405", _SPEC, "a limit was exceeded"),
    ("E0406", _SPEC, "block recursion too deep"),
    ("E0407", _SPEC, "arguments that exclude each other"),
    ("E0501", _USAGE, "bad `--set` override"),
    ("E0502", _USAGE, "bad `--input` shape"),
    ("E0601", _SPEC, "invalid YAML"),
    ("E0602", _SPEC, "unknown key in a YAML spec"),
    ("E0603", _SPEC, "duplicate key in a YAML mapping"),
    ("E0604", _SPEC, "wrong kind of YAML value"),
    ("E0605", _SPEC, "a YAML tag or feature specc does not read (Python tags, custom tags, merge keys)"),
    ("E0606", _SPEC, "missing key in a YAML spec"),
    ("E0701", _USAGE, "the weights file cannot be read"),
    ("E0702", _USAGE, "the weights file holds no state_dict"),
    ("E0703", _SPEC, "the weights do not fit the model: keys missing, unexpected or of the wrong shape"),
    ("E0801", _SPEC, "the module of a declared op cannot be imported, or lacks its class"),
    ("E0802", _SPEC, "a declared op's class is no nn.Module, or building or running it raises"),
    ("E0803", _SPEC, "a declared op's module gives another output shape or parameter count than declared"),
    ("E0901", _INTERNAL, "an internal error: a bug in specc"),
    ("E1001", _USAGE, "no Graphviz program to draw SVG or PNG (graphviz-pure or dot)"),
    ("W0301", _WARNING, "a named value that nothing reads"),
)
CODES: dict[str, ErrorCode] = {code: ErrorCode(code, description, category)
                               for code, category, description in _TABLE}
if len(CODES) != len(_TABLE):
    raise AssertionError("a diagnostic code is listed twice in diagnostics._TABLE")


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
        code: str,
        message: str,
        span: Optional[Span] = None,
        *,
        label: str = "",
        help: str = "",
    ) -> None:
        error_code = CODES.get(code)
        if error_code is None:
            raise KeyError(f"unregistered diagnostic code {code}")
        super().__init__(message)
        self.error_code = error_code
        self.code = error_code.code
        self.message = message
        self.span = span
        self.label = label
        self._help: Union[str, "Suggestion"] = help
        # Context elaboration gathers before the error is shown: the axis a size
        # reached zero along (E0303), and the block calls it happened in, innermost first.
        self.axis: Optional[str] = None
        # The two sizes a join or a crop compared, where they did not fit (read by `sizes.py`).
        self.sizes: Optional[tuple] = None
        self.frames: list[str] = []

    @property
    def help(self) -> str:
        """The help line; a "did you mean" is worked out the first time it is read (when shown)."""
        if isinstance(self._help, Suggestion):
            self._help = str(self._help)
        return self._help

    @help.setter
    def help(self, value: str) -> None:
        self._help = value

    @property
    def errors(self) -> list["SpecError"]:
        return [self]

    @property
    def exit_status(self) -> int:
        """1 for a mistake in a spec, 2 for one on the command line: the worst of the errors held."""
        return max(e.error_code.category.exit_status for e in self.errors)

    @property
    def severity(self) -> str:
        return "warning" if self.error_code.category is Category.WARNING else "error"

    def __str__(self) -> str:
        where = f" at {self.span}" if self.span else ""
        return f"{self.severity}[{self.code}]: {self.message}{where}"


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
    """Gathers independent errors so a pass can report them all at once, and warnings beside them."""

    def __init__(self) -> None:
        self.errors: list[SpecError] = []
        self.warnings: list[SpecError] = []

    def warn(self, warning: SpecError) -> None:
        self.warnings.append(warning)

    def run(self, action: Callable[[], object]) -> None:
        try:
            action()
        except SpecError as error:
            self.errors.extend(error.errors)

    def add(self, error: SpecError) -> None:
        self.errors.extend(error.errors)

    def raise_if_any(self) -> None:
        raise_all(self.errors)


def name_too_long(length: int, where) -> "SpecError":
    """E0405 for a name over `LIMITS["name_chars"]`: one wording for both front-ends, so `fmt` agrees with itself."""
    return SpecError("E0405", f"expected a name of at most {LIMITS['name_chars']:,} characters, found one of "
                              f"{length:,}", where, label="too long", help="choose a shorter name")


def suggest(name: str, candidates: Iterable[str]) -> str:
    """A "did you mean" help line, or "" when nothing is close.

    What `difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)`
    finds, at a bounded cost: only names whose length lets them be close
    are looked at (at most `LIMITS["suggestion_pool"]`), and the exact
    ratio is worked out only while a name's cheap upper bound can still
    make the best three.
    """
    candidates = list(candidates)
    size = len(name)
    # difflib's ratio is 2 * matches / total length, and matches <= the shorter length.
    near = {c for c in candidates if 10 * min(len(c), size) >= 3 * (len(c) + size)}
    matches = _closest(name, sorted(near)[:LIMITS["suggestion_pool"]])
    if not matches:
        lowered = [c for c in candidates if len(c) == size and c.lower() == name.lower()]
        matches = lowered[:1]
    if not matches:
        return ""
    return "did you mean " + " or ".join(f"`{m}`" for m in matches) + "?"


def _closest(name: str, pool: list[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """`difflib.get_close_matches`, exactly, with the costly `ratio` only for names that can still win."""
    import difflib  # only on an error: a clean run does not pay for it
    import heapq

    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(name)
    bounded = []
    for candidate in pool:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= cutoff:
            quick = matcher.quick_ratio()
            if quick >= cutoff:
                bounded.append((quick, candidate))
    bounded.sort(reverse=True)
    best: list[tuple[float, str]] = []  # the n best (ratio, name) so far, smallest first
    for quick, candidate in bounded:
        if len(best) == n and quick < best[0][0]:
            break  # `quick` bounds the ratio: nothing from here on makes the best n
        matcher.set_seq1(candidate)
        score = matcher.ratio()
        if score >= cutoff:
            heapq.heappush(best, (score, candidate))
            if len(best) > n:
                heapq.heappop(best)
    return [candidate for _, candidate in heapq.nlargest(n, best)]


class Suggestion:
    """A help line with a "did you mean", worked out only if the error is shown.

        SpecError("E0203", ..., help=Suggestion("chanels", lambda: scope.names(), otherwise="..."))

    A file with thousands of unknown names shows the first `LIMITS["shown_errors"]`:
    each suggestion reads every name in scope, so only those are worked out.
    """

    def __init__(self, name: str, candidates: Union[Iterable[str], Callable[[], Iterable[str]]],
                 otherwise: Union[str, Callable[[], str]] = "") -> None:
        self.name, self.candidates, self.otherwise = name, candidates, otherwise

    def __str__(self) -> str:
        left = _SUGGESTIONS_LEFT.get()
        found = ""
        if left is None or left[0] > 0:
            if left is not None:
                left[0] -= 1
            candidates = self.candidates() if callable(self.candidates) else self.candidates
            found = suggest(self.name, candidates)
        if found:
            return found
        return self.otherwise() if callable(self.otherwise) else self.otherwise


# While `render` prints, how many more "did you mean"s it works out (`LIMITS["suggestions"]`); None: no limit.
_SUGGESTIONS_LEFT: ContextVar[Optional[list[int]]] = ContextVar("specc_suggestions_left", default=None)


def render(error: SpecError, source_of: Callable[[str], Optional[str]]) -> str:
    """Render the errors in `error` rustc-style; `source_of(file)` gives a file's text.

    At most `LIMITS["shown_errors"]` of them, then a count of the rest; every
    line is cut to `LIMITS["message_chars"]`, and control characters (a spec
    may hold terminal escapes) show as `\ufffd`.
    """
    errors = error.errors
    shown = LIMITS["shown_errors"]
    token = _SUGGESTIONS_LEFT.set([LIMITS["suggestions"]])
    try:
        parts = [_render_one(e, source_of) for e in errors[:shown]]
    finally:
        _SUGGESTIONS_LEFT.reset(token)
    if len(errors) > shown:
        more = len(errors) - shown
        kind = "warning" if all(e.severity == "warning" for e in errors[shown:]) else "error"
        parts.append(f"... and {more:,} more {kind}{'s' if more != 1 else ''} (the first {shown} are shown)")
    return _CONTROL.sub("\ufffd", "\n\n".join(parts)) + "\n"


# Characters that would move the cursor or change colours on a terminal (all but tab and newline).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _cut(text: str) -> str:
    limit = LIMITS["message_chars"]
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _render_one(error: SpecError, source_of: Callable[[str], Optional[str]]) -> str:
    lines = [_cut(f"{error.severity}[{error.code}]: {error.message}")]
    span = error.span
    text = source_of(span.file) if span else None
    if span is None:
        pass
    elif text is None:
        lines.append(f"  --> {span}")
    else:
        lines.extend(_snippet(span, text, _cut(error.label)))
    if error.help:
        pad = " " * (len(str(span.line)) + 1 if span and text is not None else 1)
        for i, help_line in enumerate(error.help.splitlines()):
            help_line = _cut(help_line)
            lines.append(f"{pad}= help: {help_line}" if i == 0 else f"{pad}        {help_line}")
    return "\n".join(lines)


@functools.lru_cache(maxsize=8)
def _line_starts(text: str) -> list[int]:
    """Where each line of `text` starts: one pass per text, however many errors it has."""
    return [0, *(m.end() for m in re.finditer("\n", text))]


def source_line(text: str, line: int) -> str:
    """Line `line` (from 1) of `text`, as the lexer counts lines: only "\n" ends one.

    (`splitlines` would also split at form feeds and U+2028, and show the wrong line.)
    """
    starts = _line_starts(text)
    if not 1 <= line <= len(starts):
        return ""
    end = starts[line] - 1 if line < len(starts) else len(text)
    return text[starts[line - 1]:end]


def _snippet(span: Span, text: str, label: str) -> list[str]:
    lines = len(_line_starts(text))
    line_no = min(max(span.line, 1), lines + 1)
    # One column per character: a tab shows as one space so carets line up.
    shown = source_line(text, line_no).replace("\t", " ").rstrip()
    width = len(str(line_no))
    gutter = " " * width
    start = max(span.column - 1, 0)
    if span.end_line == span.line:
        end = max(span.end_column - 1, start + 1)
    else:
        end = max(len(shown), start + 1)
    shown, start, end = _window(shown, start, end)
    carets = " " * start + "^" * (end - start)
    return [
        f"{gutter}--> {span.file}:{line_no}:{span.column}",
        f"{gutter} |",
        f"{line_no} | {shown}".rstrip(),
        f"{gutter} | {carets}" + (f" {label}" if label else ""),
    ]


def _window(line: str, start: int, end: int) -> tuple[str, int, int]:
    """A long line cut to `LIMITS["source_columns"]` around the carets (`...` where it is cut)."""
    width = LIMITS["source_columns"]
    if len(line) <= width and end <= width + 1:
        return line, start, end
    left = max(0, min(start - width // 4, len(line) - width))
    cut = line[left:left + width]
    prefix = "..." if left > 0 else ""
    suffix = "..." if left + width < len(line) else ""
    shift = len(prefix) - left
    end = min(end, left + width + 1)
    return prefix + cut + suffix, start + shift, max(end + shift, start + shift + 1)
