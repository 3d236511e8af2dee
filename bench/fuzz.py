"""A fuzzing campaign against specc: hostile input must end in a `SpecError`, in time and memory.

    python bench/fuzz.py                              # one minute, seed 0
    python bench/fuzz.py --inputs 100000 --seconds 0  # the long campaign (hours on a busy machine)
    python bench/fuzz.py --seconds 5 --seed 3         # a short run (the test suite runs one)

Inputs, in turn:

- `dsl` and `yaml`: mutations of every bundled spec (`specs/`, `specs/yaml/`,
  the bundled library, `tests/data/`): characters inserted, deleted,
  duplicated and swapped; snippets known to hurt (huge numbers, deep
  brackets, `[[0] * 100000] * 100000`, loops without layers, `use` of a
  FIFO, `..` or an absolute path, YAML aliases and tags, non-ASCII names,
  NULs and terminal escapes); lines duplicated, dropped, indented.
- `generated`: random programs from the grammar (blocks, models, every
  statement kind, random expressions), as DSL or, through `fmt --to yaml`,
  as YAML, mutated half of the time.
- `cli`: random argument vectors for every command (`--set`, `--input`,
  `--model`, `--depth`, `-o`, `--lib-path`, `fmt --to/--write/--check`),
  through `specc.cli.main` with its output captured.

Each text is compiled through `specc.api.shapes` (its table, JSON and
generated source, which must compile) and formatted both ways
(`fmt.format_text`); a `SpecError` is rendered as the command line would.
Anything else raised (a `FormatterBug` included), an exit status 3, or
generated Python that does not compile is a failure: the input is saved in
`--out` with its traceback. An input that takes over `--slow` seconds of
CPU is counted (and saved); one that takes over `--hard` seconds of CPU is
stopped. CPU time, not wall time: on a machine shared with other work, the
wall clock measures the neighbours too (the report gives the slowest wall
time as well). The report gives the counts and the peak memory of the
process (its maximum resident set, `resource.getrusage`). The slowest input
is kept in `--out` too, to be timed again alone: `slowest.spec` or
`slowest.yaml`, and `slowest.txt` with its time (and, for a command line,
its arguments).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from specc import api, cli, sources  # noqa: E402
from specc.backends.python_source import emit  # noqa: E402
from specc.diagnostics import CODES, SpecError, render  # noqa: E402
from specc.fmt import format_text  # noqa: E402
from specc.report import to_json, to_table  # noqa: E402
from specc.syntax import cache  # noqa: E402

SEEDS = sorted([*ROOT.glob("specs/*.spec"), *ROOT.glob("specs/**/*.spec"), *ROOT.glob("specc/lib/*.spec"),
                *ROOT.glob("tests/data/*.spec")])
YAML_SEEDS = sorted(ROOT.glob("specs/yaml/*.yaml"))


class Hang(BaseException):
    """Raised by the alarm in an input that passed `--hard` seconds (a BaseException: nothing catches it)."""


@dataclass
class Report:
    inputs: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    spec_errors: int = 0
    failures: list[str] = field(default_factory=list)  # where each failing input was saved
    slow: list[str] = field(default_factory=list)
    hung: list[str] = field(default_factory=list)
    slowest: float = 0.0  # CPU seconds
    slowest_wall: float = 0.0
    slowest_input: str = ""  # which input it was, and where it was saved
    elapsed: float = 0.0
    peak_mib: float = 0.0

    def lines(self) -> list[str]:
        kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(self.by_kind.items()))
        return [
            f"inputs                     {self.inputs:,} ({kinds})",
            f"refused (exit 1 or 2)      {self.spec_errors:,}",
            f"non-SpecError exceptions   {len(self.failures):,}" + "".join(f"\n  {p}" for p in self.failures[:20]),
            f"inputs over the slow mark  {len(self.slow):,}" + "".join(f"\n  {p}" for p in self.slow[:20]),
            f"inputs stopped (hard)      {len(self.hung):,}",
            f"slowest input              {self.slowest:.2f} s of CPU, {self.slowest_input}",
            f"slowest wall time          {self.slowest_wall:.2f} s",
            f"peak memory (max RSS)      {self.peak_mib:,.0f} MiB",
            f"elapsed                    {self.elapsed:,.0f} s",
        ]

    @property
    def ok(self) -> bool:
        return not (self.failures or self.slow or self.hung)


# ---------------------------------------------------------------- mutations

# Expressions that hurt, put where an expression goes (in place of a number or a name).
EXPRESSIONS = [
    "0", "-1", "1.5", "9" * 30, "9" * 5000, "1e309", "1e-320", "1_000", "(-1) ** 0.5", "(-8) ** (1 / 3)",
    "2 ** 64", "10 ** 15 + 1", "1 / 0", "7 // 0", "7 % 0", "[1] < [\"a\"]", "(1, \"a\") < (1, 2)", "true < 1",
    "[[1]] < [[\"a\"]]", "[1, 2] == [1, 2]", "\"a\" < 1", "[" * 60 + "]" * 60, "(" * 60 + "1" + ")" * 60,
    "[[0] * 100000] * 100000", "[[[0] * 100] * 100] * 100", "[0] * 100000", "range(100000)", "\"a\" * 100000",
    "enumerate([1, 2], 999999999999999)", "zip(range(9), range(9))", "max([])", "min(1, \"a\")", "len(5)",
    "sum([1e308, 1e308])", "round(1e300)", "int(1e300)", "abs(-9)", "list((1, 2))", "in.c", "in.h", "in.shape",
    "in.shape[9]", "\"same\"", "true", "x" * 1100, "(1,)", "[]", "()", "1 if true else \"a\"", "not []",
    "1048576", "1048577", "1000000000000", "65536 * 65536", "3.0", "-0.0", "1e-9",
    '{"a": 1}', "{[1]: 2}", '{"a": [[0] * 100] * 100}', '{"a": 1} < {"b": 2}', "x.c", "image.hw", "N",
    "training", "[1, 2, 3][1:]", "[1, 2, 3][::-1]", "range(9)[::0]",
]
# Statements that hurt, put between lines at the indentation of the line they follow.
STATEMENTS = [
    "let z = {e}", "relu -> {e}", "conv({e})", "conv(6, k={e})", "linear({e})", "maxpool(k={e})",
    "repeat 10000:\n{p}    repeat 10000:\n{p}        let z = 1", "repeat {e}:\n{p}    relu",
    "for i in range(100000):\n{p}    for j in range(100000):\n{p}        let z = i",
    "for i in {e}:\n{p}    relu", "for a, b in {e}:\n{p}    relu", "if {e}:\n{p}    relu\n{p}else:\n{p}    identity",
    "concat:\n{p}    for i in range(1000):\n{p}        identity", "add:\n{p}    identity\n{p}    conv(3, k=1)",
    "concat:\n{p}    conv(1048576, k=1)\n{p}    conv(1048576, k=1)", "seq:\n{p}    {e}",
    "n = seq:\n{p}    let q = 1", "rec(60)", "deep(0)", "b(" + "[" * 90 + "]" * 90 + ")",
    "conv(6, k=1000000000000)", "linear(99600)", "linear(10, in=3)", "batchnorm(eps=-1)", "dropout(2.0)",
    "conv(6, g=7)", "conv(0)", "avgpool(k=99999, s=1)", "relu(1)", "input 1 x 28 x 28", "use d2l",
    "conv(6, k=3) as v{e}", "v -> relu", "output {e}", 'output {"a": x, "b": {e}}', "output (x, x) if training else x",
    "input extra: 3 x 8 x 8", "default conv(k={e})", "mul:\n{p}    identity\n{p}    sigmoid",
    "chunk 2:\n{p}    identity\n{p}    identity", "\"m{{e}}\" = relu",
    "init linear: weight=normal(std={e}), bias=zeros", "init conv: weight=kaiming_normal(mode={e})",
    "init conv, linear: weight=xavier_uniform(gain={e})", "init layer fc: weight=constant({e})",
    "pair({e}) as (lo, hi)", "pair(4) as (lo, hi, lo)", "pair(4) as ({e}, hi)", "pair(4) -> relu as (lo, hi)",
    "merge(4, skip={e})", "merge(4, {e})", "conv(4, k=1) as s\n{p}merge(4, s)", "merge(4, s, s)",
    "output (lo, hi)", "output ({e}, {e})", "lo -> merge(4, hi)", "enc(3) as (a, b)\n{p}output (a, b)",
    "center_crop({e})", "center_crop((in.h - 1, {e}))", "v -> center_crop(in.hw) as w",
]
DEFINITIONS = [
    "block rec(n):\n    if n > 0:\n        rec(n - 1)\n        rec(n - 1)",
    "block deep(n):\n    deep(n + 1)", "block b(x):\n    relu",
    "block nest(n):\n" + "".join("    " * (i + 1) + "if n > 0:\n" for i in range(18)) + "    " * 19 + "nest(n - 1)",
    "use \"blocks.spec\"", "use \"fifo.spec\"", "use \"../outside.spec\"", "use \"/etc/passwd\"",
    "use \"dir.spec\"", "use \"outside_link.spec\"", "use \"secret.spec\"", "use \"latin.spec\"",
    "use \"big.spec\"", "use \"notes.txt\"", "use \"lib.yaml\"", "use nosuch", "use \"fuzz.spec\"",
    "model M2:\n    input 1 x 28 x 28\n    relu", "model M3(a=[1, 2]):\n    input 3\n    linear(a[0])",
    "model M4(x={e}):\n    input 1 x 8 x 8\n    conv(x)", "# \x00 \x1b[31m",
    "model Two:\n    input a: 1 x 8 x 8\n    input b: 1 x 8 x 8\n    a -> conv(4) as c\n    output {\"c\": c, \"b\": b}",
    "model D = M(classes={e})", "model E = E(x=1)",
    "block pair(c):\n    conv(c, k=3, p=1) as lo\n    conv(c, k=3, s=2, p=1) as hi\n    output (lo, hi)",
    "block merge(c, skip: tensor):\n    concat:\n        identity\n        skip\n    conv(c, k={e})",
    "block enc(n):\n    if n > 0:\n        enc(n - 1) as (a, b)\n        a -> relu as c\n        output (c, b)\n"
    "    else:\n        relu as a\n        output (a, a)",
    "block twin(t: tensor, u: tensor):\n    add:\n        t\n        u\n    output ({e}, t)",
    "model T(x: tensor):\n    input 3 x 8 x 8\n    relu",
]
YAML_VALUES = [
    "&a relu", "*a", "!!python/object:os.system ls", "!!binary aGk=", "'1]'", "\"\\x00\"", "1.0e999", ".nan",
    ".inf", "9" * 5000, "[1,\t2]", "αlpha", "ｂlk", "~", "", "{}", "[]", "'[1] < [\"a\"]'", "'(-1) ** 0.5'",
    "'[[0] * 100000] * 100000'", "'x' * 1100", "\"fifo.spec\"", "{path: ../x.spec}", "{path: /etc/passwd}",
    "\"skip: tensor\"", "'αlpha: tensor'", "'pair(4) as (lo, hi)'", "'output (lo, hi)'",
    "10000", "'range(100000)'", "yes", "null", "2024-01-01", "<<", "? a", "|\n  relu",
]
CHARS = "abcxyz019_ ()[]{}:,.=+-*/<>#'\"\\\t\n\r\x00\x1b²αｂ\u2028\ufeff"
_NUMBER = re.compile(r"(?<![A-Za-z_0-9.])[0-9]+(?:\.[0-9]+)?(?![A-Za-z_0-9.])")
_NAME = re.compile(r"(?<![A-Za-z_0-9.])[a-z_][a-z_0-9]*(?![A-Za-z_0-9(])")
_KEYWORDS = {"use", "block", "model", "input", "let", "seq", "repeat", "for", "in", "if", "elif", "else", "not",
             "and", "or", "true", "false", "concat", "add", "x", "models", "blocks", "layers", "params", "do",
             "then", "chain", "name"}
_YAML_SCALAR = re.compile(r"(?<=: )[^\n#{}\[\],]+|(?<=- )[^\n#{}\[\],:]+")


def mutate(text: str, rng: random.Random, yaml: bool = False) -> str:
    for _ in range(rng.choice((1, 1, 1, 1, 2, 3))):
        roll = rng.random()
        if roll < 0.35:
            text = _replace_atom(text, rng, yaml)
        elif roll < 0.55:
            text = _insert_statement(text, rng, yaml)
        elif roll < 0.62:
            text = text.rstrip("\n") + "\n" + rng.choice(DEFINITIONS).replace("{e}", rng.choice(EXPRESSIONS)) + "\n"
        elif roll < 0.75:
            text = _mutate_lines(text, rng)
        else:
            text = _mutate_chars(text, rng, yaml)
    return text


def _replace_atom(text: str, rng: random.Random, yaml: bool) -> str:
    pattern = _YAML_SCALAR if yaml and rng.random() < 0.5 else _NUMBER if rng.random() < 0.7 else _NAME
    matches = [m for m in pattern.finditer(text) if m.group().strip() not in _KEYWORDS]
    if not matches:
        return text
    match = rng.choice(matches)
    if yaml and pattern is _YAML_SCALAR:
        value = rng.choice(YAML_VALUES) if rng.random() < 0.6 else repr(rng.choice(EXPRESSIONS))
    else:
        value = rng.choice(EXPRESSIONS)
    return text[:match.start()] + value + text[match.end():]


def _insert_statement(text: str, rng: random.Random, yaml: bool) -> str:
    lines = text.split("\n")
    indented = [i for i, line in enumerate(lines) if line[:1] == " " and not line.strip().startswith("#")]
    index = rng.choice(indented) if indented and rng.random() < 0.9 else rng.randrange(len(lines))
    line = lines[index]
    pad = line[:len(line) - len(line.lstrip())]
    statement = rng.choice(STATEMENTS).replace("{e}", rng.choice(EXPRESSIONS)).replace("{p}", pad)
    if yaml:
        statement = ("- " if not line.lstrip().startswith("- ") else "- ") + repr(statement.split("\n")[0])
    lines.insert(index + 1, pad + statement)
    return "\n".join(lines)


def _mutate_chars(text: str, rng: random.Random, yaml: bool) -> str:
    i = rng.randrange(len(text) + 1)
    roll = rng.random()
    if roll < 0.35:
        return text[:i] + rng.choice(CHARS) + text[i:]
    if roll < 0.6:
        return text[:i] + text[i + rng.randint(1, 12):]
    if roll < 0.8:
        j = rng.randrange(len(text) + 1)
        return text[:i] + text[j:j + rng.randint(1, 80)] + text[i:]
    piece = rng.choice(YAML_VALUES) if yaml else rng.choice(EXPRESSIONS)
    return text[:i] + piece + text[i:]


def _mutate_lines(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    roll = rng.random()
    if roll < 0.3:
        lines[i:i] = [lines[i]] * rng.choice((1, 2, 10, 50))
    elif roll < 0.5:
        del lines[i:i + rng.randint(1, 3)]
    elif roll < 0.7:
        lines[i] = rng.choice(("    ", "  ", "\t", "        ")) + lines[i]
    elif roll < 0.85:
        lines[i] = lines[i].lstrip()
    else:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


# ---------------------------------------------------------------- generated programs

OPS = ["conv(8, k=3, p=1)", "conv(c, k=k)", "conv(4, k=(1, 3), s=2)", "relu", "sigmoid", "batchnorm", "flatten",
       "maxpool(k=2, s=2)", "avgpool(k=3, s=1, p=1)", "global_avgpool", "linear(10)", "dropout(0.5)", "identity",
       "adaptive_avgpool((2, 2))", "tanh", "linear(classes)"]


class Generator:
    """Random programs from the grammar: every statement kind, random expressions, depth bounded."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.blocks: list[tuple[str, int]] = []
        self.tensors = False  # whether `pair` (two results) and `merge` (a tensor parameter) are defined

    def program(self) -> str:
        rng = self.rng
        out = []
        if rng.random() < 0.3:
            out.append("use d2l")
        for index in range(rng.randint(0, 3)):
            name = f"b{index}"
            params = rng.randint(0, 2)
            out.append(f"block {name}({', '.join(['c', 'k=3'][:params])}):")
            out.extend(self.body(2, rng.randint(1, 4)))
            self.blocks.append((name, params))
        if rng.random() < 0.4:  # blocks that take a tensor and that return several values
            out += ["block pair(c):", "    " + self.chain() + " as lo", "    lo -> " + self.chain() + " as hi",
                    "    output " + rng.choice(["(lo, hi)", "(hi, lo)", "(lo, hi, lo)", "lo"])]
            out += ["block merge(c, skip: tensor):", "    " + rng.choice(["concat:", "add:", "mul:"]),
                    "        identity", "        skip", *self.body(1, rng.randint(0, 2))]
            self.tensors = True
        for index in range(rng.randint(1, 2)):
            out.append(f"model M{index}(classes=10, widths=[8, 16], flag=true):")
            out.append("    input " + rng.choice(["1 x 28 x 28", "3 x 32 x 32", "8", "2 x 3 x 16 x 16", "c x 4 x 4"]))
            out.extend(self.body(1, rng.randint(1, 6)))
        return "\n".join(out) + "\n"

    def body(self, depth: int, count: int) -> list[str]:
        pad = "    " * depth
        lines = []
        for _ in range(count):
            lines.extend(self.statement(depth, pad))
        return lines

    def statement(self, depth: int, pad: str) -> list[str]:
        rng = self.rng
        roll = rng.random() if depth < 5 else 0
        if roll < 0.45:
            return [pad + self.chain()]
        if roll < 0.5 and self.tensors:
            return [pad + f"pair({self.expr(1)}) as (a{depth}, b{depth})",
                    pad + f"{rng.choice(['a', 'b'])}{depth} -> merge({self.expr(1)}, {rng.choice(['a', 'b'])}{depth})"
                    + rng.choice(["", " as m", " -> " + self.chain()])]
        if roll < 0.52:
            return [pad + f"let v{depth} = {self.expr(3)}"]
        if roll < 0.6:
            return [pad + f"n{depth} = {self.chain()}"]
        head = rng.choice(["concat:", "add:", "seq:", f"repeat {self.expr(1)}:", f"for i{depth} in {self.expr(2)}:",
                           f"for i{depth}, w{depth} in enumerate(widths):", f"if {self.expr(2)}:"])
        lines = [pad + head, *self.body(depth + 1, rng.randint(1, 3))]
        if head.startswith("if") and rng.random() < 0.5:
            if rng.random() < 0.5:
                lines += [pad + f"elif {self.expr(2)}:", *self.body(depth + 1, 1)]
            lines += [pad + "else:", *self.body(depth + 1, 1)]
        return lines

    def chain(self) -> str:
        rng = self.rng
        items = []
        for _ in range(rng.randint(1, 4)):
            if self.blocks and rng.random() < 0.3:
                name, params = rng.choice(self.blocks)
                items.append(name if not params else f"{name}({', '.join(self.expr(1) for _ in range(params))})")
            elif rng.random() < 0.1:
                items.append(f"{rng.choice(OPS)} if {self.expr(1)} else identity")
            else:
                items.append(rng.choice(OPS))
        return " -> ".join(items)

    def expr(self, depth: int) -> str:
        rng = self.rng
        if depth <= 0 or rng.random() < 0.35:
            return rng.choice(["1", "2", "8", "0", "3.5", "true", "false", "\"same\"", "classes", "flag", "widths",
                               "in.c", "in.h", "in.shape", "i1", "c", "k", "[]", "(1, 2)"])
        form = rng.randrange(8)
        a, b = self.expr(depth - 1), self.expr(depth - 1)
        if form == 0:
            return f"{a} {rng.choice(['+', '-', '*', '/', '//', '%', '**'])} {b}"
        if form == 1:
            return f"{a} {rng.choice(['<', '<=', '==', '!=', '>', '>='])} {b}"
        if form == 2:
            return f"({a}, {b})"
        if form == 3:
            return f"[{a}, {b}]"
        if form == 4:
            return f"{a}[{b}]"
        if form == 5:
            return f"{rng.choice(['len', 'min', 'max', 'range', 'sum', 'int', 'abs', 'list', 'zip'])}({a})"
        if form == 6:
            return f"{a} if {b} else {self.expr(depth - 1)}"
        return f"not {a}" if rng.random() < 0.5 else f"{a} {rng.choice(['and', 'or'])} {b}"


# ---------------------------------------------------------------- the files `use` can reach


def prepare(folder: Path) -> None:
    """The neighbourhood of the fuzzed spec: a library, a FIFO, a directory, a symlink out, non-specs."""
    (folder / "blocks.spec").write_text("block b(c):\n    conv(c, k=3, p=1) -> relu\n")
    (folder / "lib.yaml").write_text("blocks:\n  y:\n    - relu\n")
    (folder / "dir.spec").mkdir(exist_ok=True)
    (folder / "secret.spec").write_text("API_KEY=do-not-print-me\n")
    (folder / "notes.txt").write_text("model M:\n")
    (folder / "latin.spec").write_bytes(b"block l():\n    relu  # caf\xe9\n")
    with open(folder / "big.spec", "wb") as stream:
        stream.truncate(5 << 20)  # over the file limit (sparse: nothing is written)
    (folder.parent / "outside.spec").write_text("block o():\n    relu\n")
    with contextlib.suppress(OSError):
        os.symlink("/etc/hostname", folder / "outside_link.spec")
    if hasattr(os, "mkfifo"):
        with contextlib.suppress(OSError):
            os.mkfifo(folder / "fifo.spec")


# ---------------------------------------------------------------- running one input


def compile_text(path: Path) -> bool:
    """Everything specc does with a spec file, short of torch: compile, report, generate, format.

    Returns whether compiling it ended in a `SpecError` (the formatter's verdict aside).
    """
    name = str(path)
    refused = False
    try:
        graph = api.shapes(path)
    except SpecError as error:
        _check_error(error)
        refused = True
    else:
        to_table(graph)
        to_json(graph)
        source = emit(graph, spec=path.name)
        compile(source, "<generated>", "exec")  # a SyntaxError here is a bug (or an injection)
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return refused
    for to in (None, "yaml" if path.suffix == ".spec" else "spec"):
        try:
            format_text(text, name, to)
        except SpecError as error:
            _check_error(error)
    return refused


def _check_error(error: SpecError) -> None:
    for one in error.errors:
        if one.code not in CODES or CODES[one.code].category.exit_status == 3:
            raise AssertionError(f"an internal error reported as a diagnostic: {one}")
    render(error, sources.text_of)


def run_cli(argv: list[str], stdin: bytes = b"") -> int:
    """Run `specc ARGV` in this process, output captured; its exit status (0, 1 or 2, else a failure)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")  # `-` reads this, never the terminal
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = cli.main(argv)
            except SystemExit as exit:  # argparse's usage errors
                status = exit.code
    finally:
        sys.stdin = saved
    if status not in (0, 1, 2):
        raise AssertionError(f"specc {' '.join(argv)} exited {status}:\n{err.getvalue()[-3000:]}")
    return status


def cli_vector(rng: random.Random, folder: Path, spec: Path) -> list[str]:
    command = rng.choice(["check", "shapes", "shapes", "build", "fmt", "fmt", "schema", "ops", "nosuch"])
    files = [str(spec), str(folder / rng.choice(["blocks.spec", "fifo.spec", "dir.spec", "big.spec", "none.spec",
                                                 "latin.spec", "lib.yaml", "secret.spec"])), "-"]
    argv = [command]
    if command in ("check", "fmt"):
        argv += rng.sample(files[:2], rng.randint(1, 2))
    elif command in ("shapes", "build"):
        argv.append(rng.choice(files[:2]))
    options = {
        "shapes": ["--json", "--depth", "--set", "--input", "--model", "--lib-path", "--dump"],
        "build": ["-o", "--force", "--set", "--input", "--model", "--lib-path", "--dump"],
        "check": ["--lib-path", "--dump"],
        "fmt": ["--to", "--write", "--check"],
    }.get(command, ["--help"])
    for option in rng.sample(options, rng.randint(0, len(options))):
        argv.append(option)
        value = {
            "--depth": lambda: rng.choice(["0", "1", "-1", "x", "99999999999999999999"]),
            "--set": lambda: rng.choice(["classes=3", "classes=[1] < [\"a\"]", "ratio=4", "x", "classes=9" + "9" * 5000,
                                         "widths=[[0] * 100000] * 100000", "flag=(-1) ** 0.5", "classes=", "=1",
                                         "classes=1\n2", "αβ=1"]),
            "--input": lambda: rng.choice(["1x28x28", "1x28x2²", "0x1", "8 x 3 x 224 x 224", "x", "1x" * 9,
                                           "9" * 30, "1x28x28x28x28", ""]),
            "--model": lambda: rng.choice(["M", "M0", "LeNet", "nosuch", ""]),
            "--lib-path": lambda: rng.choice([str(folder), "/nonexistent", str(folder / "blocks.spec")]),
            "--dump": lambda: rng.choice(["parse", "resolve", "check", "elaborate", "name", "nosuch"]),
            "-o": lambda: rng.choice([str(folder / "out.py"), str(folder / "dir.spec"), str(folder / "fifo.spec"),
                                      str(folder / "blocks.spec"), "-", str(folder / "ro" / "out.py")]),
            "--to": lambda: rng.choice(["spec", "yaml", "json"]),
        }.get(option)
        if value is not None:
            argv.append(value())
    return argv


# ---------------------------------------------------------------- the campaign


# The most work a spec is allowed before it is refused: a loop that runs into the steps limit.
REFERENCE = ("model Loop:\n    input 3\n    for i in range(100000):\n        for j in range(100000):\n"
             "            let z = i\n    linear(2)\n")


def reference_seconds(repeats: int = 2) -> float:
    """CPU seconds this machine takes, now, to refuse `REFERENCE`: a yardstick for the slow mark.

    The test suite sets its slow mark as a multiple of this, measured in the
    same process, so that a loaded or slow machine does not fail it.
    """
    with tempfile.TemporaryDirectory(prefix="specc-fuzz-") as temporary:
        path = Path(temporary) / "reference.spec"
        path.write_text(REFERENCE, encoding="utf-8")
        took = []
        for _ in range(repeats):
            began = time.process_time()
            if not compile_text(path):
                raise AssertionError("the reference loop was not refused: has the steps limit changed?")
            took.append(time.process_time() - began)
    return max(took)


def run(seconds: float = 60.0, inputs: int = 0, seed: int = 0, out: Optional[Path] = None, slow: float = 5.0,
        hard: float = 30.0, progress: Optional[Callable[[Report], None]] = None) -> Report:
    """Fuzz until `seconds` pass (0: no time limit) or `inputs` inputs are done (0: no count limit)."""
    rng = random.Random(seed)
    report = Report()
    seeds = [p.read_text(encoding="utf-8") for p in SEEDS]
    yaml_seeds = [p.read_text(encoding="utf-8") for p in YAML_SEEDS]
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="specc-fuzz-") as temporary:
        folder = Path(temporary) / "work"
        folder.mkdir()
        prepare(folder)
        (folder / "ro").mkdir()
        os.chmod(folder / "ro", 0o555)
        timers = hasattr(signal, "setitimer")
        previous = (signal.signal(signal.SIGVTALRM, _alarm), signal.signal(signal.SIGALRM, _alarm)) if timers else None
        try:
            while True:
                elapsed = time.monotonic() - start
                if (seconds and elapsed >= seconds) or (inputs and report.inputs >= inputs):
                    break
                kind = rng.choice(["dsl", "dsl", "dsl", "yaml", "yaml", "generated", "generated", "cli"])
                _one(kind, rng, seeds, yaml_seeds, folder, report, out, slow, hard)
                if progress is not None and report.inputs % 1000 == 0:
                    progress(report)
        finally:
            if previous is not None:
                signal.signal(signal.SIGVTALRM, previous[0])
                signal.signal(signal.SIGALRM, previous[1])
            os.chmod(folder / "ro", 0o755)
    report.elapsed = time.monotonic() - start
    report.peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 1 << 20)
    return report


def _alarm(signum, frame):
    raise Hang()


def _one(kind: str, rng: random.Random, seeds: list[str], yaml_seeds: list[str], folder: Path, report: Report,
         out: Optional[Path], slow: float, hard: float) -> None:
    text, suffix, argv = _input(kind, rng, seeds, yaml_seeds, folder)
    path = folder / f"fuzz{suffix}"
    if text is not None:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    report.inputs += 1
    report.by_kind[kind] = report.by_kind.get(kind, 0) + 1
    if argv is not None:  # what the command read, kept with a failure: the next input overwrites it
        text = (folder / "cli.spec").read_text(encoding="utf-8", errors="replace")
    began, began_cpu = time.monotonic(), time.process_time()
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_VIRTUAL, hard)  # CPU time of this process
        signal.setitimer(signal.ITIMER_REAL, max(4 * hard, 120))  # a wait that uses no CPU (a FIFO read) too
    try:
        if argv is not None:
            refused = run_cli(argv, (folder / "cli.spec").read_bytes()) != 0
        else:
            refused = compile_text(path)
        report.spec_errors += refused
    except Hang:
        report.hung.append(_save(out, kind, text, argv, "stopped after the hard limit", suffix))
    except BaseException as error:  # noqa: BLE001 - the point of the exercise
        if isinstance(error, KeyboardInterrupt):
            raise
        report.failures.append(_save(out, kind, text, argv, traceback.format_exc(), suffix))
    finally:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
    took, wall = time.process_time() - began_cpu, time.monotonic() - began
    took_text = f"took {took:.2f} s of CPU ({wall:.2f} s of wall time)"
    report.slowest_wall = max(report.slowest_wall, wall)
    if took > report.slowest:
        report.slowest = took
        report.slowest_input = f"input {report.inputs:,} ({kind}, {wall:.2f} s of wall time)"
        if out is not None:  # kept to time again alone: a record is broken a few dozen times a run
            report.slowest_input += ", kept in " + _save_slowest(out, text, argv, took_text, suffix)
    if took > slow:
        report.slow.append(_save(out, kind, text, argv, took_text, suffix))
    if len(cache._MEMORY) > 8:  # noqa: SLF001 - keep the in-process AST cache small between inputs
        cache.clear_memory()
    for name in [n for n in sources._TEXTS if n.startswith(str(folder))]:  # noqa: SLF001
        del sources._TEXTS[name]  # noqa: SLF001


def _input(kind: str, rng: random.Random, seeds: list[str], yaml_seeds: list[str], folder: Path):
    if kind == "dsl":
        return mutate(rng.choice(seeds), rng), ".spec", None
    if kind == "yaml":
        return mutate(rng.choice(yaml_seeds), rng, yaml=True), ".yaml", None
    if kind == "generated":
        text = Generator(rng).program()
        if rng.random() < 0.3:
            try:
                text, suffix = format_text(text, "generated.spec", "yaml"), ".yaml"
            except SpecError:
                suffix = ".spec"
        else:
            suffix = ".spec"
        return (mutate(text, rng, yaml=suffix == ".yaml") if rng.random() < 0.5 else text), suffix, None
    spec = folder / "cli.spec"
    spec.write_text(mutate(rng.choice(seeds), rng) if rng.random() < 0.7 else rng.choice(seeds), encoding="utf-8",
                    errors="surrogatepass")
    return None, ".spec", cli_vector(rng, folder, spec)


def _save(out: Optional[Path], kind: str, text: Optional[str], argv: Optional[list[str]], why: str,
          suffix: str) -> str:
    if out is None:
        return f"{kind}: {why.strip().splitlines()[-1][:200]}"
    number = len(list(out.glob("[0-9]*.txt")))
    return _write(out / f"{number:05d}-{kind}", text, argv, why, suffix)


def _save_slowest(out: Path, text: Optional[str], argv: Optional[list[str]], why: str, suffix: str) -> str:
    for old in out.glob("slowest.*"):  # the record before this one
        old.unlink()
    return _write(out / "slowest", text, argv, why, suffix)


def _write(stem: Path, text: Optional[str], argv: Optional[list[str]], why: str, suffix: str) -> str:
    """The input, beside a note of why it was kept (with the command line, for one); the note's path."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        stem.with_suffix(suffix).write_text(text, encoding="utf-8", errors="surrogatepass")
    with open(stem.with_suffix(".txt"), "w", encoding="utf-8") as note:
        if argv is not None:
            note.write("argv: " + repr(argv) + "\n\n")
        note.write(why)
    return str(stem.with_suffix(".txt"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="time budget (0: none; default 60)")
    parser.add_argument("--inputs", type=int, default=0, help="stop after this many inputs (0: no count limit)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("fuzz-failures"),
                        help="where failing, slow and the slowest inputs are saved (default: ./fuzz-failures)")
    parser.add_argument("--slow", type=float, default=5.0, help="an input over this many CPU seconds is reported")
    parser.add_argument("--hard", type=float, default=30.0, help="an input over this many CPU seconds is stopped")
    args = parser.parse_args()
    if args.out.exists() and not any(args.out.iterdir()):
        shutil.rmtree(args.out)

    def progress(report: Report) -> None:
        print(f"  {report.inputs:,} inputs, {len(report.failures)} failures, {len(report.slow)} slow, "
              f"{time.strftime('%H:%M:%S')}", flush=True)

    report = run(args.seconds, args.inputs, args.seed, args.out, args.slow, args.hard, progress)
    print(f"specc fuzz (seed {args.seed})")
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
