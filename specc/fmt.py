"""`specc fmt`: the canonical formatter for specs, and the converter between the DSL and YAML forms.

    format_text(text, "lenet.spec")               # canonical DSL, comments kept
    format_text(text, "lenet.spec", to="yaml")    # the same spec in YAML

Like black, it is idempotent and checks its own work: the output is parsed
again and must give the same AST (spans aside) and keep every comment, or
`FormatterBug` is raised rather than a changed spec written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel

from . import sources
from .diagnostics import SpecError
from .limits import with_room
from .syntax import ast
from .syntax.comments import Comment, scan_spec, scan_yaml
from .syntax.frontend import is_yaml, parse_source

FORMS = ("spec", "yaml")
SPAN_FIELDS = frozenset(("span", "name_span", "op_span", "extends_span", "target_spans", "capture_span",
                         "unpack_spans", "file", "op_spans", "layer_span", "target_span", "type_span"))


class FormatterBug(RuntimeError):
    """The formatted text does not mean what the input meant: a bug in specc, never written out."""


def structure(node: Any) -> Any:
    """A node as plain data without its spans: equal for two sources that say the same thing.

    Walks the fields directly rather than through `model_dump`, which would
    build pydantic serializers (a tenth of a second) on every start.
    """
    if isinstance(node, BaseModel):
        return {name: structure(getattr(node, name)) for name in type(node).model_fields
                if name not in SPAN_FIELDS}
    if isinstance(node, list):
        return [structure(item) for item in node]
    return node


def form_of(name: str) -> str:
    return "yaml" if is_yaml(name) else "spec"


def comments_of(text: str, form: str) -> list[Comment]:
    return scan_yaml(text) if form == "yaml" else scan_spec(text)


@with_room  # the printers and the check of their output recurse, within the limits
def format_text(text: str, name: str, to: Optional[str] = None) -> str:
    """`text` (the contents of file `name`) in canonical `to` form (default: its own form)."""
    from .syntax.to_yaml import to_yaml
    from .syntax.unparse import unparse

    source_form, target = form_of(name), to or form_of(name)
    module = parse_source(text, name)
    comments = comments_of(text, source_form)
    write = to_yaml if target == "yaml" else unparse
    output = write(module, text, comments)
    _verify(module, comments, output, name, target)
    return output


def _verify(module: ast.Module, comments: list[Comment], output: str, name: str, target: str) -> None:
    check_name = f"<formatted {name}>" + (".yaml" if target == "yaml" else ".spec")
    try:
        again = parse_source(output, check_name)
    except Exception as error:  # noqa: BLE001 - any failure here is ours, not the user's
        raise FormatterBug(f"specc fmt wrote {target} text for {name} that does not parse: {error}") from error
    if structure(again) != structure(module):
        raise FormatterBug(f"specc fmt changed the meaning of {name}; please report this with the file")
    kept = [c.text for c in comments_of(output, target)]
    if sorted(kept) != sorted(c.text for c in comments):
        raise FormatterBug(f"specc fmt lost a comment of {name}; please report this with the file")


# ---------------------------------------------------------------- files


@dataclass
class Outcome:
    path: str
    target: str  # where the result goes (the same file, or its converted sibling)
    before: Optional[str]  # the target's current text, None if it does not exist
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def format_file(path: str, to: Optional[str] = None) -> Outcome:
    text = sources.read(path)
    output = format_text(text, path, to)
    target = path if (to or form_of(path)) == form_of(path) else converted_name(path, to)
    before = text if target == path else _read_if_exists(target)
    return Outcome(path, target, before, output)


def converted_name(path: str, to: str) -> str:
    return str(Path(path).with_suffix(".yaml" if to == "yaml" else ".spec"))


def same_spec(path: str, text: str) -> bool:
    """Whether the file at `path` already says what `text` says (so replacing it loses nothing)."""
    try:
        return structure(parse_source(sources.read(path), path)) == structure(parse_source(text, path))
    except SpecError:
        return False


def why_not_replace(outcome: Outcome) -> Optional[str]:
    """Why `fmt --write` must not replace `outcome.target`, or None when it may.

    The file being formatted may always be rewritten (it was just read as a
    spec). Another file (the target of `--to`) only when it does not exist,
    or when replacing it loses nothing: it reads as UTF-8, parses, and says
    what the new text says with the same comments. Anything it cannot prove
    (unreadable, not UTF-8, not a spec, another spec) is left alone.
    """
    from .files import kind_of

    kind = kind_of(outcome.target)
    if kind is None:
        return None
    if kind != "file":
        return f"it is {kind}"
    if outcome.target == outcome.path:
        return None
    try:
        data = sources.load(outcome.target)
    except sources.Unreadable as problem:
        return f"it cannot be read ({problem.reason})"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not UTF-8 text, so it is no spec specc wrote"
    name = outcome.target
    try:
        same = structure(parse_source(text, name)) == structure(parse_source(outcome.after, name))
    except SpecError:
        return "it is not a spec specc can read, so specc did not write it"
    if not same:
        return "it holds another spec"
    form = form_of(name)
    if sorted(c.text for c in comments_of(text, form)) != sorted(c.text for c in comments_of(outcome.after, form)):
        return "it holds comments the new text would lose"
    return None


def _read_if_exists(path: str) -> Optional[str]:
    from .files import kind_of

    if kind_of(path) != "file":
        return None  # (a FIFO would never answer; `why_not_replace` says what is there)
    try:
        return sources.load(path).decode("utf-8")
    except (sources.Unreadable, UnicodeDecodeError):
        return None
