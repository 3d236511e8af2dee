"""Every input, syntax and name error (E00xx-E02xx), rendered in full, as a user sees it.

Each `tests/diagnostics/E0xxx_<what>.spec` triggers the error its name starts
with (the first one reported, when a case reports several). The test runs
`python -m specc check FILE` in that directory, as a user would, so paths in
the output are relative, and compares stderr with the golden
`E0xxx_<what>.txt` beside the spec. A first line `# run: shapes [ARGS]`
runs another command (for the errors only elaboration or `--model` can
cause). Two cases have no spec file: E0001 checks a file that does not
exist, E0002 writes its bad bytes at test time. `SPECC_UPDATE_GOLDEN=1`
rewrites the goldens.

Files starting with `_` are helpers used by a case (the other half of a
`use` cycle), not cases.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from specc.diagnostics import CODES

HERE = Path(__file__).resolve().parent / "diagnostics"
UPDATE = os.environ.get("SPECC_UPDATE_GOLDEN") == "1"

NOT_UTF8 = b"model M:\n    input 1 x 28 x 28\n    conv(6, k=5)  # caf\xe9 latin-1\n"


@dataclass(frozen=True)
class Case:
    stem: str
    data: Optional[bytes] = None  # bytes to write at test time, in a temporary directory
    exists: bool = True

    @property
    def code(self) -> str:
        return self.stem[:5]

    @property
    def file(self) -> str:
        return f"{self.stem}.spec"

    @property
    def golden(self) -> Path:
        return HERE / f"{self.stem}.txt"


GENERATED = [
    Case("E0001_missing_file", exists=False),
    Case("E0002_not_utf8", data=NOT_UTF8),
]
CASES = sorted([Case(p.stem) for p in HERE.glob("E0*.spec")] + GENERATED, key=lambda c: c.stem)


def command(case: Case) -> list[str]:
    args = ["check"]
    if case.exists and case.data is None:
        first = (HERE / case.file).read_text(encoding="utf-8").split("\n", 1)[0]
        if first.startswith("# run:"):
            args = shlex.split(first[len("# run:"):])
    return [sys.executable, "-m", "specc", args[0], case.file, *args[1:]]


def run(case: Case, tmp_path: Path) -> subprocess.CompletedProcess:
    cwd = HERE
    if case.data is not None:
        cwd = tmp_path
        (tmp_path / case.file).write_bytes(case.data)
    return subprocess.run(command(case), cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_rendered_diagnostic(case: Case, tmp_path: Path):
    if not case.exists:
        assert not (HERE / case.file).exists()
    done = run(case, tmp_path)
    assert done.stdout == ""
    assert done.returncode == CODES[case.code].category.exit_status, done.stderr
    assert done.stderr.startswith(f"error[{case.code}]: "), done.stderr
    assert "Traceback" not in done.stderr
    if UPDATE:
        case.golden.write_text(done.stderr, encoding="utf-8")
    assert case.golden.exists(), f"no golden {case.golden.name}; run with SPECC_UPDATE_GOLDEN=1 to write it"
    assert done.stderr == case.golden.read_text(encoding="utf-8")


def test_every_input_syntax_and_name_code_has_a_golden():
    pinned = {case.code for case in CASES if case.golden.exists()}
    wanted = {code for code in CODES if code <= "E0299"}
    assert sorted(wanted - pinned) == []


def test_every_golden_has_its_case():
    assert {p.stem for p in HERE.glob("*.txt")} == {c.stem for c in CASES}


# ---------------------------------------------------------------- several errors in one run


def errors_in(stem: str) -> list[str]:
    text = (HERE / f"{stem}.txt").read_text(encoding="utf-8")
    return [line.split(":")[0] for line in text.splitlines() if line.startswith("error[")]


def test_three_syntax_errors_on_separate_lines_are_reported_together():
    assert errors_in("E0101_three_syntax_errors") == ["error[E0101]"] * 3


def test_three_name_errors_are_reported_together():
    assert errors_in("E0203_three_name_errors") == ["error[E0203]", "error[E0201]", "error[E0203]"]


def test_one_missing_paren_is_one_error():
    """Recovery skips the whole bracketed statement, not just the line where the parser noticed."""
    assert errors_in("E0101_missing_paren_across_lines") == ["error[E0101]"]


# ---------------------------------------------------------------- what the messages must say


def golden(stem: str) -> str:
    return (HERE / f"{stem}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("stem, wanted", [
    ("E0101_missing_paren_across_lines", "the `(` at line 3, column 9 is never closed: add `)`"),
    ("E0103_end_of_file_in_call", "the `(` at line 3, column 9 is never closed: add `)`"),
    ("E0101_assign_for_compare", "write `==`"),
    ("E0101_input_with_commas", "`input 1 x 28 x 28`"),
    ("E0101_missing_colon", "expected `:`, found end of line"),
    ("E0101_two_layers_without_arrow", "join layers with `->`"),
    ("E0102_semicolon", "no `;` is needed"),
    ("E0201_unknown_op", "did you mean `conv`?"),
    ("E0202_unknown_kwarg", "did you mean `kernel`?"),
    ("E0203_unknown_name", "did you mean `channels`?"),
    ("E0209_unknown_library", "did you mean `d2l`?"),
    ("E0212_unknown_model", "did you mean `LeNet`"),
])
def test_help_lines(stem: str, wanted: str):
    assert wanted in golden(stem)


def test_messages_say_expected_and_found():
    """The house style: "expected X, found Y" (or a plain statement of the fact for a few codes)."""
    plain = ("E0001", "E0102", "E0106", "E0202", "E0203", "E0205", "E0206", "E0208", "E0209",
             "E0210", "E0211", "E0216")
    for case in CASES:
        if case.code in plain:
            continue
        first = golden(case.stem).splitlines()[0]
        assert "expected " in first and ", found " in first, first


def test_carets_sit_under_the_mistake():
    text = golden("E0202_unknown_kwarg")
    assert "    conv(6, kernal=3) -> relu\n  |             ^^^^^^^^ " in text
    text = golden("E0101_missing_colon")  # just past the end of the line that lacks the `:`
    assert "3 |     repeat 2\n  |             ^ the line ends here" in text
    text = golden("E0103_end_of_file_in_call")
    assert "3 |     conv(6, k=5\n  |                ^ the file ends here" in text


def test_no_expected_list_is_cut_short():
    """`accepts()` gives the tokens that can really follow; Lark's raw LALR sets needed "..."."""
    for case in CASES:
        assert " or ..." not in golden(case.stem).splitlines()[0], case.stem
