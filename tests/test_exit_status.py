"""Exit statuses, as a user's script sees them: 1 for a mistake in a spec, 2 for one on the command line.

The status comes from each code's category in `specc.diagnostics.CODES`;
this file pins which codes are usage errors, and makes usage mistakes on
purpose. The golden tests (`test_diagnostics_golden.py`,
`test_shapes_errors.py`, `test_yaml.py`, `test_weights.py`) run every
golden diagnostic through the command line and check its status against
the category.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from specc import cli
from specc.diagnostics import CODES, Category

ROOT = Path(__file__).resolve().parent.parent
LENET = str(ROOT / "specs" / "lenet.spec")

# The mistakes only a command line can make: a path, `--model`, `--set`, `--input`, a `--weights` file
# that cannot be read or holds no state_dict (one that does not fit the spec is the spec's kind: E0703);
# and an installation that cannot draw a picture (no Graphviz program for `specc graph`: E1001).
USAGE_CODES = {"E0001", "E0212", "E0501", "E0502", "E0701", "E0702", "E1001"}


def specc(*args: str, cwd: Path = ROOT, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_the_registry_says_which_codes_are_usage_errors():
    usage = {code for code, entry in CODES.items() if entry.category is Category.USAGE}
    assert usage == USAGE_CODES


def test_a_spec_problem_never_exits_2():
    """`input` with five sizes is the spec's mistake (E0220), not the command line's."""
    done = specc("shapes", "-", stdin="model M:\n    input 1 x 2 x 3 x 4 x 5\n    relu\n")
    assert done.returncode == 1 and "error[E0220]" in done.stderr, done.stderr


@pytest.mark.parametrize("args, wanted", [
    (["check", "specs/no_such_file.spec"], "error[E0001]"),
    (["check", "specs"], "is a directory"),
    (["shapes", "specs"], "is a directory"),
    (["fmt", "specs"], "is a directory"),
    (["check", "README"], "no such file"),           # a path without a suffix is still a path
    (["shapes", LENET, "--no-such-flag"], "unrecognized arguments"),
    (["shapes", LENET, "--input", "0x28x28"], "error[E0502]"),
    (["shapes", LENET, "--input", "axbxc"], "error[E0502]"),
    (["shapes", LENET, "--set", "classes"], "error[E0501]"),
    (["shapes", LENET, "--set", "nope=3"], "error[E0501]"),
    (["shapes", LENET, "--set", "classes=[1"], "error[E0501]"),
    (["shapes", LENET, "--model", "Nope"], "error[E0212]"),
    (["shapes", LENET, "--dump", "nowhere"], "invalid choice"),
    (["build", LENET, "-o", "specs"], "is a directory"),
    (["build", LENET, "--weights", "specs"], "error[E0701]"),
    (["build", LENET, "--weights", "specs/no_such_file.pt"], "error[E0701]"),
    (["build", LENET, "--weights", LENET], "error[E0702]"),
    (["check", LENET, "--set", "nope=3"], "error[E0501]"),
    (["check", LENET, "--model", "Nope"], "error[E0212]"),
    ([], "required"),
])
def test_usage_errors_exit_2(args: list[str], wanted: str):
    done = specc(*args)
    assert done.returncode == 2, done.stderr
    assert wanted in done.stderr
    assert "Traceback" not in done.stderr


def test_standard_input_is_a_file_named_stdin():
    done = specc("check", "-", stdin="model M:\n    input 3\n    lienar(2)\n")
    assert done.returncode == 1
    assert "--> <stdin>:3:5" in done.stderr


def test_a_bug_in_specc_is_reported_without_a_traceback(monkeypatch, capsys):
    def broken(args):
        raise KeyError("boom")

    monkeypatch.setattr(cli, "cmd_check", broken)
    monkeypatch.delenv("SPECC_DEBUG", raising=False)
    assert cli.main(["check", LENET]) == Category.INTERNAL.exit_status
    err = capsys.readouterr().err
    assert err.startswith("error[E0901]: internal error in specc: KeyError: 'boom'")
    assert "Traceback" not in err and "this is a bug in specc" in err
