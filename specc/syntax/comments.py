"""Comments: found in the source text by line, and attached to the lines the formatters emit.

The AST has no comments, so `specc fmt` takes them from the text. Each
comment is attached to an anchor: a source line where a statement, a
definition, a `use` or an `else` starts.

    # the stem            -> leading comment of the anchor on the next line
    conv(64, k=7)  # big  -> trailing comment of the anchor on its own line

A comment after the last anchor is a footer. A second trailing comment on
one anchor (a statement spread over lines) becomes a leading comment of the
next anchor, so no comment is ever dropped and the order is kept.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from . import ast


@dataclass(frozen=True)
class Comment:
    line: int
    text: str  # from the `#`, trailing spaces removed
    own_line: bool


def scan_spec(text: str) -> list[Comment]:
    """Comments of a `.spec` text: a `#` outside a string (strings never span lines)."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        quote = None
        for column, char in enumerate(line):
            if quote:
                if char == quote and not _escaped(line, column):
                    quote = None
            elif char in "\"'":
                quote = char
            elif char == "#":
                out.append(Comment(number, line[column:].rstrip(), not line[:column].strip()))
                break
    return out


def _escaped(line: str, column: int) -> bool:
    backslashes = len(line[:column]) - len(line[:column].rstrip("\\"))
    return backslashes % 2 == 1


def scan_yaml(text: str) -> list[Comment]:
    """Comments of a YAML text: a `#` at a line's start or after a space, outside every scalar.

    PyYAML's own scanner finds the scalars (quoted, plain, block), so a `#`
    inside `"..."` or a `|` block is never mistaken for a comment.
    """
    scalars = sorted(_scalar_extents(text))
    starts = [start for start, _ in scalars]
    out, offset = [], 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        column = line.find("#")
        while column >= 0:
            position = offset + column
            index = bisect_right(starts, position) - 1
            inside = index >= 0 and scalars[index][0] <= position < scalars[index][1]
            if not inside and (column == 0 or line[column - 1] in " \t"):
                out.append(Comment(number, line[column:].rstrip(), not line[:column].strip()))
                break
            column = line.find("#", column + 1)
        offset += len(line)
    return out


def _scalar_extents(text: str) -> list[tuple[int, int]]:
    """Where each scalar starts and ends, by the scanner that read the file.

    The front-end composes with libyaml when PyYAML has it, which takes some
    texts PyYAML's own scanner refuses (a tab between the items of a flow
    list): scan with libyaml first, as the front-end did.
    """
    import yaml

    loaders = [getattr(yaml, "CSafeLoader", None), yaml.SafeLoader]
    for loader in [loader for loader in loaders if loader is not None]:
        try:
            return [(t.start_mark.index, t.end_mark.index) for t in yaml.scan(text, Loader=loader)
                    if isinstance(t, yaml.ScalarToken)]
        except yaml.YAMLError:
            continue
    return []  # neither reads it: the front-end has reported it already


class Attached:
    """Comments assigned to anchor lines; the emitters `take` them as they print each anchor."""

    def __init__(self, comments: Iterable[Comment], anchors: Iterable[int], source: str = "") -> None:
        comments = list(comments)
        lines = sorted(set(anchors))
        self.marks = sorted(set(lines) | {c.line for c in comments})
        self.leading: dict[int, list[Comment]] = {}
        self.trailing: dict[int, Comment] = {}
        self.footer: list[Comment] = []
        self.source_lines = source.splitlines()
        for comment in comments:
            if comment.own_line:
                self._lead(lines, bisect_right(lines, comment.line), comment)
                continue
            index = bisect_right(lines, comment.line) - 1
            if index >= 0 and lines[index] not in self.trailing:
                self.trailing[lines[index]] = comment
            else:
                self._lead(lines, index + 1, comment)

    def _lead(self, lines: list[int], index: int, comment: Comment) -> None:
        if index < len(lines):
            self.leading.setdefault(lines[index], []).append(comment)
        else:
            self.footer.append(comment)

    def take(self, line: int) -> tuple[list[Comment], Optional[Comment]]:
        """The leading and trailing comments of the anchor at `line`, once (a line can hold two anchors)."""
        return self.leading.pop(line, []), self.trailing.pop(line, None)

    def blank_before(self, line: int) -> bool:
        """Whether the source has a blank line between `line` and the anchor or comment before it.

        Lines in between that are neither (YAML's `layers:`, `do:`) do not
        count, so blank lines survive a conversion. At most one is kept.
        """
        index = bisect_left(self.marks, line) - 1
        previous = self.marks[index] if index >= 0 else 0
        return any(not self.source_lines[n - 1].strip()
                   for n in range(max(previous + 1, 1), min(line, len(self.source_lines) + 1)))

    def within(self, lines: Iterable[int]) -> bool:
        """Whether any comment is attached to the anchors at `lines`."""
        return any(line in self.leading or line in self.trailing for line in lines)

    def remaining(self) -> list[Comment]:
        rest = [c for group in self.leading.values() for c in group] + list(self.trailing.values())
        return sorted(rest, key=lambda c: c.line)


ELSE_LINE = re.compile(r"^\s*else\s*:")


def else_line(node: ast.If, source_lines: list[str]) -> Optional[int]:
    """The line of the `else:` of `node` (the AST keeps no span for it), searched upwards from its body."""
    if not node.orelse:
        return None
    after = node.branches[-1].body[-1].span.line
    for number in range(node.orelse[0].span.line, after, -1):
        if 1 <= number <= len(source_lines) and ELSE_LINE.match(source_lines[number - 1]):
            return number
    return None


def anchor_lines(module: ast.Module, source: str) -> list[int]:
    """Every line where something the formatters print on its own line starts."""
    lines = [use.span.line for use in module.uses]
    source_lines = source.splitlines()
    for definition in [*module.blocks, *module.models]:
        lines.append(definition.span.line)
        lines.extend(param_lines(definition))
        lines.extend(_body_anchors(definition.body, source_lines))
    for op in module.ops:  # an `op` declaration's line, and each of its rules' lines
        lines.append(op.span.line)
        lines.extend(getattr(op, rule).span.line for rule in ast.OP_RULES if getattr(op, rule) is not None)
    return lines


def param_lines(definition) -> list[int]:
    """The lines where a definition's parameters start, below its first line: comments there stay with them."""
    return [param.span.line for param in definition.params if param.span.line != definition.span.line]


def _body_anchors(body: list, source_lines: list[str]) -> Iterator[int]:
    for stmt in body:
        yield stmt.span.line
        inner = stmt.stmt if isinstance(stmt, ast.Named) else stmt
        if isinstance(inner, ast.If):
            for branch in inner.branches:
                yield branch.span.line
                yield from _body_anchors(branch.body, source_lines)
            line = else_line(inner, source_lines)
            if line is not None:
                yield line
            yield from _body_anchors(inner.orelse or [], source_lines)
        elif hasattr(inner, "body"):
            yield from _body_anchors(inner.body, source_lines)


class Writer:
    """Collects output lines; `emit` prints one anchor's line with its comments and the blank line before it.

    `blank`: True forces a blank line before, False forbids one, None keeps
    the source's (a blank line just before the anchor in the source).
    """

    def __init__(self, comments: Attached) -> None:
        self.comments = comments
        self.out: list[str] = []

    def emit(self, pad: str, text: str, line: int, first: bool, *, blank: Optional[bool] = None,
             comment_pad: Optional[str] = None) -> None:
        leading, trailing = self.comments.take(line)
        for index, comment in enumerate(leading):
            self.blank(comment.line, first and index == 0, blank if index == 0 else None)
            self.out.append((pad if comment_pad is None else comment_pad) + comment.text)
        self.blank(line, first and not leading, blank if not leading else None)
        head, newline, rest = text.partition("\n")
        suffix = f"  {trailing.text}" if trailing else ""
        self.out.append(pad + head + suffix)
        if newline:  # a wrapped header: its comment stays on the first line
            self.out.extend(pad + part for part in rest.split("\n"))

    def raw(self, text: str) -> None:
        self.out.append(text)

    def blank(self, line: int, first: bool, force: Optional[bool]) -> None:
        wanted = force if force is not None else (not first and self.comments.blank_before(line))
        if wanted and self.out and self.out[-1] != "":
            self.out.append("")

    def footer(self) -> None:
        for comment in self.comments.footer + self.comments.remaining():
            self.blank(comment.line, not self.out, None)
            self.out.append(comment.text)

    def text(self) -> str:
        return "\n".join(self.out).strip("\n") + "\n" if self.out else ""
