"""SVG and PNG from DOT text, drawn by a Graphviz program run as a child process.

    svg = render(dot_text, "svg")      # bytes

The program is `graphviz-pure` (a self-contained port of Graphviz's `dot`,
one executable in a wheel, and a dependency of specc, so a plain `pip
install` draws), else the system's `dot`; `$SPECC_GRAPHVIZ` names another.
A missing program is E1001 (exit 2: the installation, not the spec, lacks
something); a program that fails on specc's DOT is specc's bug (E0901).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from typing import Optional

from ..diagnostics import SpecError

PROGRAMS = ("graphviz-pure", "dot")  # in order of preference: graphviz-pure draws the same bytes everywhere
ENVIRONMENT = "SPECC_GRAPHVIZ"
TIMEOUT = 300  # seconds; ResNet-152 at full depth takes well under one


def render(dot: str, fmt: str) -> bytes:
    """The picture of `dot` in `fmt` ("svg" or "png")."""
    program = find_program()
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=dot.encode("utf-8"), capture_output=True,
                              timeout=TIMEOUT, check=False)
    except OSError as error:
        raise _missing(f"`{program}` cannot be run ({error.strerror or error})") from None
    except subprocess.TimeoutExpired:
        raise _failed(program, f"it did not finish in {TIMEOUT} s") from None
    if done.returncode != 0 or not done.stdout:
        raise _failed(program, _last_line(done.stderr) or f"it exited with status {done.returncode}")
    return done.stdout


def find_program() -> str:
    """The Graphviz program to run: `$SPECC_GRAPHVIZ`, else graphviz-pure, else dot (E1001 when none is there)."""
    chosen = os.environ.get(ENVIRONMENT)
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            raise _missing(f"`{ENVIRONMENT}={chosen}` names no program that can be run")
        return found
    for name in PROGRAMS:
        found = _beside_python(name) or shutil.which(name)
        if found is not None:
            return found
    raise _missing("neither `graphviz-pure` nor Graphviz's `dot` was found")


def _beside_python(name: str) -> Optional[str]:
    """`name` among this interpreter's scripts: a virtual environment's, even when it is not activated."""
    scripts = sysconfig.get_path("scripts")
    return shutil.which(name, path=scripts) if scripts else None


def _missing(found: str) -> SpecError:
    return SpecError("E1001", f"expected a Graphviz program to draw SVG or PNG, found none: {found}",
                     help="`pip install graphviz-pure` (specc depends on it: reinstalling specc brings it), or "
                          f"install Graphviz, or set {ENVIRONMENT} to its `dot`; `--format dot` and "
                          "`--format mermaid` need no program")


def _failed(program: str, why: str) -> SpecError:
    return SpecError("E0901", f"internal error in specc: `{program}` could not draw the graph specc wrote: {why}",
                     help="this is a bug in specc, not in your spec: please report it with the spec and the "
                          "command (`--format dot` prints what specc gave the program)")


def _last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
