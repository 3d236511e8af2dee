"""How fast does specc parse? A 10,000-line spec, against Lark and Python's own parser.

    python bench/parse_bench.py            # 10,000 lines, best of 5 rounds
    python bench/parse_bench.py --quick    # 2,000 lines, best of 3 rounds

Every number comes from the same run, the contestants taking turns round by
round, so the ratios hold on a busy machine whose speed drifts:

- `specc parse_text`: the whole front-end as `specc` runs it (the
  recursive-descent fast path: lex, indentation, parse, the typed AST with
  spans). The target is well under a second for 10,000 lines.
- `specc through Lark`: the same text through the reference parser
  (`specc.syntax.lalr`), which reads what the fast path steps aside from.
- `lark, bare tree`: the same grammar and text through Lark with no
  positions, no indentation checks and no AST: the floor for any front-end
  built on Lark's LALR parser. Like specc's parsers, the baselines run with
  the cycle collector paused.
- `python ast.parse`: CPython's C parser on a Python file of the same shape
  (one call chain a line), for scale.

It also checks that the cost per line stays flat from 1,000 lines up.
"""

from __future__ import annotations

import argparse
import ast as python_ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lark import Lark  # noqa: E402

from timing import interleaved  # noqa: E402
from specc import collector  # noqa: E402
from specc.syntax import lalr  # noqa: E402
from specc.syntax.lalr import Indenter, _grammar_text  # noqa: E402
from specc.syntax.parse import parse_text  # noqa: E402

LINE = "conv(64, k=3, p=1) -> batchnorm -> relu  # layer {i}"
PYTHON_LINE = "x = relu(batchnorm(conv(x, 64, k=3, p=1)))  # layer {i}"


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


def bare_lark() -> Lark:
    return Lark(_grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=True,
                postlex=Indenter("bench.spec"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 lines, fewer repetitions")
    args = parser.parse_args()
    lines, repeat = (2_000, 3) if args.quick else (10_000, 5)

    text, python, small = spec_text(lines), python_text(lines), spec_text(1_000)
    lark = bare_lark()
    # The baselines get what specc gives itself: no cycle collection while parsing.
    reference = paused(lambda: lalr.parse_text(text, "bench.spec"))
    parse_text(text, "bench.spec")  # warm: import and build what the first parse needs
    reference()
    times = interleaved({
        "specc": (lambda: parse_text(text, "bench.spec"), None, 1),
        "small": (lambda: parse_text(small, "bench.spec"), None, 3),
        "reference": (reference, None, 1),
        "lark": (paused(lambda: lark.parse(text)), None, 1),
        "python": (paused(lambda: python_ast.parse(python)), None, 1),
    }, repeat)
    specc_s, reference_s, lark_s, python_s = times["specc"], times["reference"], times["lark"], times["python"]

    print(f"Parsing a {lines:,}-line spec (best of {repeat}, taking turns)")
    print(f"  specc parse_text      {specc_s:8.3f} s   {specc_s / lines * 1e6:7.1f} us/line"
          f"   ({lines / specc_s:,.0f} lines/s)")
    print(f"  specc through Lark    {reference_s:8.3f} s   the fast path is {reference_s / specc_s:.1f}x faster")
    print(f"  lark, bare tree       {lark_s:8.3f} s   specc takes {specc_s / lark_s:.2f}x Lark's floor")
    print(f"  python ast.parse      {python_s:8.3f} s   specc takes {specc_s / python_s:.1f}x CPython's parser")

    small_s = times["small"]
    spread = (specc_s / lines) / (small_s / 1_000)
    print(f"  per-line cost at {lines:,} lines is {spread:.2f}x that at 1,000 "
          f"({'linear' if spread < 1.5 else 'NOT linear'})")


if __name__ == "__main__":
    main()
