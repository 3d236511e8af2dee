"""Every limit specc puts on the work a spec can ask of it, in one table.

A spec is untrusted input: a short file could otherwise ask for a loop of
10^10 iterations, a block that calls itself twice per level (2^60 instances),
a list of 10^10 items built from two small ones, or a 400 GB model. Each
limit below bounds one kind of work, so every run ends in time and memory
proportional to the file, or in a located diagnostic with the code given
here. `docs/design.md` lists the same table (a test holds the two together).

    LIMITS["layers"]            # 20_000
    limit("layers").code        # "E0405"

The values are far above what any real model needs: none of the bundled
specs comes within a factor of ten of any of them (`tests/test_hostile.py`
cuts each to a tenth and sees every bundled spec's report unchanged).
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from typing import Callable, Optional, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Limit:
    name: str
    value: int
    code: str  # the diagnostic raised when it is passed ("" for a cap on what is shown)
    bounds: str  # what it counts, as docs/design.md says it


TABLE: tuple[Limit, ...] = (
    # Input text
    Limit("file_bytes", 4 << 20, "E0001",
          "bytes in a spec file, checked before it is read (a file named in `use`: E0405, at the `use`)"),
    Limit("yaml_text", 4 << 20, "E0405",
          "characters of DSL text in a YAML spec's strings, an aliased string counted at every use"),
    Limit("yaml_values", 100_000, "E0405", "values in a YAML spec, an aliased value counted at every use"),
    Limit("yaml_depth", 200, "E0109", "YAML lists and mappings nested in one another"),
    Limit("expression_depth", 100, "E0109", "operators and brackets on the path from a statement to a token"),
    Limit("block_depth", 50, "E0109", "indented blocks nested in one definition"),
    Limit("int_digits", 4_300, "E0405", "digits in a number literal (Python's own int-string limit)"),
    Limit("name_chars", 1_000, "E0405", "characters in a name (a YAML key may have 1,024)"),
    # Values
    Limit("int", 10**15, "E0405", "the magnitude of any int a spec computes"),
    Limit("items", 100_000, "E0405",
          "items in one value (a list, tuple or string), the items of nested lists and tuples included"),
    Limit("value_depth", 100, "E0405", "lists and tuples nested in one another in a value"),
    Limit("exponent", 64, "E0405", "the right side of `**`"),
    # Elaboration
    Limit("steps", 1_000_000, "E0405",
          "steps of elaborating one model: statements run, loop iterations, items of values built or compared"),
    Limit("check_steps", 4_000_000, "E0405", "steps of elaborating all the models of one file (`specc check`)"),
    Limit("search_steps", 1_000_000, "",
          "steps of the trial elaborations that look for an input size that fits (then no size is suggested)"),
    Limit("sizes_trials", 3_000, "E0332",
          "trial elaborations that describe a symbolic input's sizes (`input 3 x H x W`, `--valid-sizes`)"),
    Limit("sizes_steps", 2_000_000, "E0332", "steps of those trial elaborations, all together"),
    Limit("sizes_layers", 1_000_000, "E0332", "layers and block instances of those trial elaborations, all together"),
    Limit("sizes_period", 1_024, "E0331",
          "the period of a symbolic size's rows: the strides (and scale denominators) on the way, multiplied"),
    Limit("repeat", 10_000, "E0405", "one `repeat` count"),
    Limit("recursion", 64, "E0406", "block calls nested in one another"),
    Limit("nesting", 200, "E0406", "statement bodies and block calls nested in one another, across blocks"),
    # Each layer is walked again by naming, the table, the JSON and the generated code (~0.1 ms a
    # layer in all): 20,000 is ten times DenseNet-264, twice the largest benchmark, a few seconds.
    Limit("layers", 20_000, "E0405", "layers in one model, each instance of a block counted"),
    Limit("nodes", 20_000, "E0405", "block instances and `concat`/`add` branches in one model"),
    Limit("size", 1 << 20, "E0405", "any channel count, feature count or spatial size (a `concat` sum included)"),
    Limit("params", 10**11, "E0405", "parameters of one model (`check`, `shapes`, `build -o`)"),
    Limit("build_params", 10**9, "E0405",
          "parameters of a model built in memory (`specc.build`): 4 GB of float32 weights"),
    # Analyses (receptive fields): past these, a field is an upper bound or unknown, never slow
    Limit("field_runs", 64, "",
          "runs of channels with fields of their own in one tensor (then neighbouring runs merge: an upper bound)"),
    Limit("field_period", 1 << 16, "", "phases of a receptive field along an axis (then the field is unknown)"),
    # Diagnostics
    Limit("syntax_errors", 20, "", "syntax errors reported per file (recovery stops there)"),
    Limit("shown_errors", 100, "", "diagnostics printed per run (then a count of the rest)"),
    Limit("message_chars", 1_000, "", "characters of one message or help line (values are shown up to 60)"),
    Limit("source_columns", 200, "", "columns of a source line shown under a diagnostic, around the carets"),
    Limit("suggestions", 20, "", "\"did you mean\" help lines worked out per run (the first errors shown)"),
    Limit("suggestion_pool", 10_000, "", "names compared for one \"did you mean\" (after a length filter)"),
)
LIMITS: dict[str, int] = {limit.name: limit.value for limit in TABLE}
if len(LIMITS) != len(TABLE):
    raise AssertionError("a limit is listed twice in limits.TABLE")


def limit(name: str) -> Limit:
    for entry in TABLE:
        if entry.name == name:
            return entry
    raise KeyError(name)


class Budget:
    """The steps one elaboration may still take (`LIMITS["steps"]`), and those of what it is part of.

        budget = Budget()
        budget.spend(len(items), node.where)   # raises E0405 once the steps run out

    `specc check` elaborates every model of a file: each has a budget of its
    own, whose steps also count towards the file's (`LIMITS["check_steps"]`).
    """

    __slots__ = ("left", "total", "parent", "what")

    def __init__(self, steps: Optional[int] = None, parent: Optional["Budget"] = None,
                 what: str = "elaboration") -> None:
        self.total = LIMITS["steps"] if steps is None else steps
        self.left = self.total
        self.parent, self.what = parent, what

    def spend(self, steps: int, where) -> None:
        self.left -= steps
        if self.left < 0:
            from .diagnostics import SpecError  # (diagnostics reads its own limits from here)

            raise SpecError("E0405", f"expected at most {self.total:,} steps of {self.what}, found more", where,
                            label="the limit is reached here",
                            help="check loops, `repeat` counts and the sizes of lists: each statement run, "
                                 "loop iteration and list item built counts one step")
        if self.parent is not None:
            self.parent.spend(steps, where)


# Python frames that the deepest spec within the limits above may need: ten per
# level of `nesting`, three per level of an expression and the value walkers, and
# room for the caller. `with_room` raises Python's limit to this, so that the
# located diagnostics always come first.
FRAMES_NEEDED = 10 * LIMITS["nesting"] + 3 * (LIMITS["expression_depth"] + LIMITS["value_depth"]) + 1_000

# The bytes of CPython's data stack those frames may take: no function of specc
# has a frame over 320 bytes (`tests/test_hostile.py` holds it to that).
FRAME_BYTES = 320
STACK_BYTES = 1 << 21
assert FRAMES_NEEDED * FRAME_BYTES <= STACK_BYTES


def with_room(function: Callable[P, R]) -> Callable[P, R]:
    """`function`, run with room for the deepest spec within the limits, in time and in depth.

    It raises Python's recursion limit to `FRAMES_NEEDED`, and runs `function`
    at the start of a fresh stretch of CPython's data stack, where a loop at any
    depth of the spec runs at the same speed (see `_on_a_fresh_chunk`).
    """
    @functools.wraps(function)
    def run_with_room(*args: P.args, **kwargs: P.kwargs) -> R:
        if sys.getrecursionlimit() < FRAMES_NEEDED:
            sys.setrecursionlimit(FRAMES_NEEDED)
        return _on_a_fresh_chunk(function, args, kwargs)
    return run_with_room


def _on_a_fresh_chunk(function, args, kwargs):
    return function(*args, **kwargs)


# CPython (3.11 on) keeps frames in chunks of a data stack, 16 KiB each, and
# frees a chunk as soon as the frame at its start returns. A loop whose calls
# cross from one chunk into the next maps and unmaps a chunk at every call
# (python/cpython#142183, mended only in later 3.13 and 3.14 releases): a
# spec's `repeat` loop refused at the steps limit took 15-23 s at seven depths
# of the caller's stack, and 1.6 s at the others. A frame declaring a stack of
# STACK_BYTES never fits the rest of a chunk: CPython gives it a chunk of its
# own, twice that size, and the frames of `function` above it fill at most
# FRAMES_NEEDED * FRAME_BYTES of the other half, so they never reach the
# chunk's end. Nothing writes the declared stack: it takes address space, not
# memory.
if sys.version_info >= (3, 11):
    _on_a_fresh_chunk.__code__ = _on_a_fresh_chunk.__code__.replace(co_stacksize=STACK_BYTES // 8)
