"""How fast does specc parse? A 10,000-line spec against Lark's own parse and Python's parser.

    python bench/parse_bench.py            # 10,000 lines, best of 5 rounds
    python bench/parse_bench.py --quick    # 2,000 lines, best of 3 rounds

Every number comes from the same run, the contestants taking turns round by
round, so the ratios hold on a busy machine whose speed drifts:

- `specc parse_text`: the whole front-end as `specc` runs it: Lark's lexer
  and LALR parser, the indenter with its checks, and the tree builder's
  callbacks making the typed AST with spans as the parser reduces.
- `lark, bare tree`: Lark's own parse of the same text with the same
  grammar, LALR, contextual lexer and the same indenter, but no positions
  and no transformer: the parse tree Lark builds by default. specc's target
  is to stay within 1.5x of it.
- `python ast.parse`: CPython's C parser on a Python file of the same shape
  (one call chain a line), for scale.

Everything runs with the cycle collector paused, as specc parses. It also
checks that the cost per line stays flat from 1,000 lines up, and times
what parsing adds to a fresh process: importing Lark and loading its cached
tables, then `specc shapes specs/resnet18.spec` on the command line.
"""

from __future__ import annotations

import argparse
import ast as python_ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lark import Lark  # noqa: E402

from timing import interleaved  # noqa: E402
from specc import collector  # noqa: E402
from specc.syntax.lalr import Indenter, _grammar_text  # noqa: E402
from specc.syntax.parse import parse_text  # noqa: E402

LINE = "conv(64, k=3, p=1) -> batchnorm -> relu  # layer {i}"
PYTHON_LINE = "x = relu(batchnorm(conv(x, 64, k=3, p=1)))  # layer {i}"

# Run in a fresh process: what the first DSL text costs before its parse.
START_UP = """\
import time
import specc.syntax.ast  # specc's own start-up, before any parsing
start = time.perf_counter()
import lark
from specc.syntax import lalr
imported = time.perf_counter()
lalr._parser()
print(imported - start, time.perf_counter() - imported)
"""


def spec_text(lines: int) -> str:
    body = "\n".join("    " + LINE.format(i=i) for i in range(lines - 2))
    return f"model Big:\n    input 3 x 32 x 32\n{body}\n"


def python_text(lines: int) -> str:
    body = "\n".join("    " + PYTHON_LINE.format(i=i) for i in range(lines - 1))
    return f"def big(x):\n{body}\n"


def paused(action):
    """`action` run as specc runs its parser: with the cycle collector paused."""
    def run():
        with collector.paused():
            return action()
    return run


def bare_lark(text: str) -> Lark:
    """Lark with specc's grammar and indenter, building its own tree: no positions, no transformer."""
    indenter = Indenter("bench.spec")
    indenter.text = text  # the indenter's checks look at the text, as in specc's parse
    return Lark(_grammar_text(), parser="lalr", lexer="contextual", postlex=indenter, cache=True)


def parsing(lines: int, repeat: int) -> None:
    text, python, small = spec_text(lines), python_text(lines), spec_text(1_000)
    lark = bare_lark(text)
    parse_text(text, "bench.spec")  # warm: import and load what the first parse needs
    times = interleaved({
        "specc": (lambda: parse_text(text, "bench.spec"), None, 1),
        "small": (lambda: parse_text(small, "bench.spec"), None, 3),
        "lark": (paused(lambda: lark.parse(text)), None, 1),
        "python": (paused(lambda: python_ast.parse(python)), None, 1),
    }, repeat)
    specc_s, lark_s, python_s = times["specc"], times["lark"], times["python"]

    print(f"Parsing a {lines:,}-line spec (best of {repeat}, taking turns)")
    print(f"  specc parse_text      {specc_s:8.3f} s   {specc_s / lines * 1e6:7.1f} us/line"
          f"   ({lines / specc_s:,.0f} lines/s)")
    print(f"  lark, bare tree       {lark_s:8.3f} s   specc takes {specc_s / lark_s:.2f}x Lark's own parse"
          f" ({'within' if specc_s / lark_s <= 1.5 else 'NOT within'} 1.5x)")
    print(f"  python ast.parse      {python_s:8.3f} s   specc takes {specc_s / python_s:.1f}x CPython's parser")

    small_s = times["small"]
    spread = (specc_s / lines) / (small_s / 1_000)
    print(f"  per-line cost at {lines:,} lines is {spread:.2f}x that at 1,000 "
          f"({'linear' if spread < 1.5 else 'NOT linear'})")


def start_up(runs: int) -> None:
    """Lark's share of a fresh process, and `specc shapes specs/resnet18.spec` as a user runs it."""
    # An installed package has its bytecode compiled (pip does it).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "specc")], check=True, capture_output=True)
    imports, loads = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", START_UP], cwd=ROOT, check=True, capture_output=True, text=True)
        imported, loaded = map(float, out.stdout.split())
        imports.append(imported)
        loads.append(loaded)
    shapes = [sys.executable, "-m", "specc", "shapes", "specs/resnet18.spec"]
    times = interleaved({
        "specc": (lambda: subprocess.run(shapes, cwd=ROOT, check=True, capture_output=True), None, 1),
        "python": (lambda: subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True), None, 1),
    }, runs)
    print(f"\nA fresh process (best of {runs})")
    print(f"  import lark and lalr  {min(imports):8.3f} s")
    print(f"  load the parser       {min(loads):8.3f} s   (LALR tables cached by Lark in the temp directory)")
    print(f"  specc shapes specs/resnet18.spec   {times['specc']:.3f} s on the command line "
          f"({'under' if times['specc'] < 0.3 else 'NOT under'} 0.3 s; `python -c pass` takes {times['python']:.3f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 lines, fewer repetitions")
    args = parser.parse_args()
    lines, repeat = (2_000, 3) if args.quick else (10_000, 5)
    parsing(lines, repeat)
    start_up(5 if args.quick else 10)


if __name__ == "__main__":
    main()
