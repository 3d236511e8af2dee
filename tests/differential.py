"""Reading a text with both DSL parsers: the fast path must agree with Lark, or step aside."""

from __future__ import annotations

from specc.diagnostics import SpecError
from specc.syntax import descent, lalr


def lark_reads(text: str):
    try:
        return lalr.parse_text(text, "t.spec").model_dump()
    except SpecError as error:
        return f"error {error.code}"


def fast_reads(text: str):
    try:
        return descent.parse(text, "t.spec").model_dump()
    except descent.Unsure:
        return "unsure"


def assert_alike(text: str, *, sure: bool):
    """The fast path agrees with Lark; `sure`: and it does not step aside on a text Lark reads.

    Returns what Lark read: the dumped module, or "error E0xxx".
    """
    fast, lark = fast_reads(text), lark_reads(text)
    if fast == "unsure":
        assert not (sure and isinstance(lark, dict)), f"the fast path stepped aside on a text Lark reads:\n{text}"
    else:
        assert fast == lark, f"the fast path read differently from Lark:\n{text}"
    return lark
