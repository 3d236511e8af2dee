"""Error recovery for the DSL parser, in time linear in the file.

After a syntax error, `words.blank_error_lines` blanks the statement (and
the block it opens) and the parse goes on, so independent mistakes are
reported together. Parsing the whole file again after each error would cost
the length of the file per error (a late mistake in a 50,000-line spec took
26 s). The lines before the blanked ones have parsed already and do not
change, so the parse resumes where the blanking starts: its context (the
definition and the compound statements it is inside, the statement just
before it) is rebuilt from those few lines, everything else before it is
blank, and every line keeps its number.

    module M(a):            # kept: an enclosing header
        conv(6)              # blank
        relu                 # kept: the statement just before the resumption
        concat:              # kept: an enclosing header
            identity         # <- the parse resumes here, as if from the top

The errors found are those a parse of the whole text after each blanking
would find, in the same order (`tests/test_hostile.py` holds it to that
reference): the first syntax error of each text, then, once no syntax error
is left, the rules beyond the grammar (`build.AstBuilder`'s deferred
errors), whose blanking leaves the syntax as it was.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..diagnostics import SpecError, raise_all
from .words import blank_error_lines, bracket_balance, code_of


class Lines:
    """The statement structure of a text's lines, worked out as far as asked and again after a change.

    Lines count from 1. A line is a *boundary* when no bracket is open and no
    backslash continues the line above (where `words.statement_lines` lets a
    statement start); a *start* is a boundary with code on it. Each start
    knows its parent (the nearest start above it that is less indented) and
    its previous sibling (the start above it at its indentation, under the
    same parent).
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.depth = [0, 0]  # brackets open before line i (index 0 unused)
        self.continued = [False, False]  # whether line i - 1 ends with a backslash
        self.parent: dict[int, Optional[int]] = {}
        self.sibling: dict[int, Optional[int]] = {}
        self.indent: dict[int, int] = {}
        self.stack: list[int] = []  # the starts whose blocks are open after the last line worked out
        # The first indented start (it sets the indentation character the indenter holds the rest to).
        self.first_indented: Optional[int] = None

    def __len__(self) -> int:
        return len(self.lines)

    def boundary(self, line: int) -> bool:
        self._upto(line)
        return self.depth[line] == 0 and not self.continued[line]

    def start(self, line: int) -> bool:
        return self.boundary(line) and bool(code_of(self.lines[line - 1]))

    def changed(self, line: int) -> None:
        """Lines from `line` on were changed: forget what was worked out for them."""
        line = max(line, 1)
        if line + 1 >= len(self.depth):
            return
        del self.depth[line + 1:]
        del self.continued[line + 1:]
        for table in (self.parent, self.sibling, self.indent):
            for key in [k for k in table if k >= line]:  # (the starts of the changed stretch only, below)
                del table[key]
        last = self.last_start_before(line)
        self.stack = [*self.ancestors(last), last] if last is not None else []
        if self.first_indented is not None and self.first_indented >= line:
            self.first_indented = None

    def _upto(self, line: int) -> None:
        """Work out lines up to `line` (the state before each; starts with their parent and sibling)."""
        lines, depth, continued = self.lines, self.depth, self.continued
        while len(depth) <= line + 1 and len(depth) - 1 <= len(lines):
            number = len(depth) - 1  # the line whose state before it is known, to be read now
            text = lines[number - 1] if number <= len(lines) else ""
            if depth[number] == 0 and not continued[number] and code_of(text):
                # The indenter measures a line's indentation at the newline before it: the first
                # line has none, and counts as unindented whatever it starts with.
                self._place(number, len(text) - len(text.lstrip(" \t")) if number > 1 else 0)
            depth.append(max(depth[number] + bracket_balance(text), 0))
            continued.append(code_of(text).endswith("\\"))

    def _place(self, number: int, indent: int) -> None:
        if indent and self.first_indented is None:
            self.first_indented = number
        stack = self.stack
        while stack and self.indent[stack[-1]] > indent:
            stack.pop()
        previous = stack.pop() if stack and self.indent[stack[-1]] == indent else None
        self.indent[number] = indent
        self.parent[number] = stack[-1] if stack else None
        self.sibling[number] = previous
        stack.append(number)

    def last_start_before(self, line: int) -> Optional[int]:
        """The last start above `line` (a walk up over blank and continued lines only)."""
        number = min(line, len(self.lines) + 1) - 1
        while number >= 1:
            if self.start(number):
                return number
            number -= 1
        return None

    def start_at_or_before(self, line: int) -> int:
        number = min(max(line, 1), len(self.lines))
        while number > 1 and not self.boundary(number):
            number -= 1
        return number

    def ancestors(self, start: int) -> list[int]:
        chain = []
        parent = self.parent.get(start)
        while parent is not None:
            chain.append(parent)
            parent = self.parent.get(parent)
        return chain[::-1]

    def statement(self, start: int) -> tuple[int, int]:
        """The lines of the statement at `start` (for a compound statement: its header)."""
        end = start
        while end < len(self.lines) and not self.boundary(end + 1):
            end += 1
        return start, end

    def statement_lines(self, line: int) -> tuple[int, int]:
        """`words.statement_lines`, from the structure worked out: the statement holding `line`."""
        start = self.start_at_or_before(line)
        end = line
        while end < len(self.lines) and not self.boundary(end + 1):
            end += 1
        if end == len(self.lines) and not self.boundary(len(self.lines) + 1):
            return start, line  # a bracket never closes: the statement ends where the mistake is
        return start, end

    def first_word(self, start: int) -> str:
        return code_of(self.lines[start - 1]).split(":")[0].split(" ")[0]

    def indent_char(self, before: int) -> Optional[str]:
        """The indentation character of the first indented start above line `before`, if any."""
        self._upto(before)
        first = self.first_indented
        return self.lines[first - 1][0] if first is not None and first < before else None


def context(lines: Lines, resume: int) -> tuple[str, Optional[str]]:
    """The text to parse when resuming at boundary `resume`, and the indentation character in use there.

    Every line keeps its number; before `resume` only the context is kept:
    the statement just before it, every header it is inside, and for an
    `elif`/`else` the `if` it belongs to (with a placeholder body).
    """
    kept: dict[int, str] = {}
    last = lines.last_start_before(resume)
    path = [*lines.ancestors(last), last] if last is not None else []
    for start in path:
        _keep(lines, kept, start)
        clause = start
        while lines.first_word(clause) in ("elif", "else") and lines.sibling.get(clause) is not None:
            clause = lines.sibling[clause]
            if lines.first_word(clause) == "if":
                _keep(lines, kept, clause)
                _, header_end = lines.statement(clause)
                body = header_end + 1
                while body < start and not lines.start(body):
                    body += 1
                if body < start:
                    text = lines.lines[body - 1]
                    kept[body] = text[:len(text) - len(text.lstrip(" \t"))] + "identity"
                break
    pieces, line = [], 1
    for number in sorted(kept):  # blank lines between the kept ones: one newline each
        pieces.append("\n" * (number - line) + kept[number])
        line = number
    pieces.append("\n" * (resume - line) + "\n".join(lines.lines[resume - 1:]))
    return "".join(pieces), lines.indent_char(resume)


def _keep(lines: Lines, kept: dict[int, str], start: int) -> None:
    first, end = lines.statement(start)
    for number in range(first, end + 1):
        kept[number] = lines.lines[number - 1]


# `attempt(text, indent_char)` parses a text and returns its first syntax error (or None),
# the errors of the rules beyond the grammar it deferred, in order, and the brackets
# still open where it stopped.
Attempt = Callable[[str, Optional[str]], tuple[Optional[SpecError], list[SpecError], list]]


def recover(text_lines: list[str], first: tuple[Optional[SpecError], list[SpecError], list], attempt: Attempt,
            limit: int) -> None:
    """Report the errors of a text whose first attempt gave `first`, and every independent one after.

    At most `limit` of them; always raises.
    """
    lines = Lines(text_lines)
    errors: list[SpecError] = []
    error, pending, brackets = first[0], list(first[1]), first[2]
    resume = 1
    while True:
        if error is None:  # the rest parses: the rules beyond the grammar, one by one
            if not pending:
                raise_all(_dedupe(errors))
            error, brackets = pending.pop(0), []
            errors.extend(error.errors)
            if len(errors) >= limit:
                raise_all(_dedupe(errors))
            blanked = _blank(lines, error, [])
            if blanked is None:
                raise_all(_dedupe(errors))
            start, end = blanked
            pending = [d for d in pending if not start <= _line(d) <= end]
            error = None
            continue
        errors.extend(error.errors)
        if error.code == "E0109" or len(errors) >= limit:
            raise_all(_dedupe(errors))
        blanked = _blank(lines, error, brackets)
        if blanked is None:
            raise_all(_dedupe(errors))
        resume = lines.start_at_or_before(blanked[0]) if blanked[0] >= resume else 1
        pending = [d for d in pending if _line(d) < resume]
        text, indent_char = context(lines, resume)
        error, deferred, brackets = attempt(text, indent_char)
        pending = _merged(lines, pending, deferred)


def _merged(lines: Lines, pending: list[SpecError], found: list[SpecError]) -> list[SpecError]:
    """The deferred errors known, in the order a parse of the whole text meets them.

    An attempt meets again those of the context lines it parses (and may meet one
    an earlier attempt stopped short of: a rule reduces only when the token after
    it fits). Statements come in the order of their lines; within one, in the
    order found.
    """
    known = {_key(d) for d in pending}
    merged = [*pending, *(d for d in found if _key(d) not in known)]
    return sorted(merged, key=lambda d: lines.start_at_or_before(_line(d)))


def _key(error: SpecError) -> tuple:
    return (error.code, error.span, error.message)


def _line(error: SpecError) -> int:
    span = error.errors[0].span
    return span.line if span else 0


def _blank(lines: Lines, error: SpecError, brackets: list) -> Optional[tuple[int, int]]:
    """Blank the statement of `error` as `words.blank_error_lines` does; the lines changed (from 1), or None."""
    span = error.errors[0].span
    first = last = None
    if span is not None:
        first, last = lines.statement_lines(span.line)
        if brackets:
            first = min(first, brackets[0].line)
    blanked = blank_error_lines(lines.lines, error, first, last)
    if blanked is not None:
        lines.changed(blanked[0])
    return blanked


def _dedupe(errors: list[SpecError]) -> list[SpecError]:
    seen, unique = set(), []
    for error in errors:
        key = (error.code, error.span, error.message)
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return unique
