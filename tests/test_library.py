"""The bundled libraries: clean under every static check, which is why loading them skips those checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from specc.check import check_program
from specc.diagnostics import SpecError
from specc.resolve import libraries, library_text, load

LIBRARY_DIR = Path(__file__).resolve().parent.parent / "specc" / "lib"


@pytest.mark.parametrize("name", libraries())
def test_every_bundled_library_passes_specc_check_as_a_file(name: str):
    result = subprocess.run([sys.executable, "-m", "specc", "check", str(LIBRARY_DIR / f"{name}.spec")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_library_listing_and_text_are_the_files_in_the_package():
    assert "d2l" in libraries()
    assert library_text("d2l") == (LIBRARY_DIR / "d2l.spec").read_text(encoding="utf-8")


def test_a_bundled_library_is_loaded_as_trusted_and_a_used_file_is_not(tmp_path: Path):
    (tmp_path / "mine.spec").write_text("block twice(c):\n    conv(c, k=3, p=1) -> conv(c, k=3, p=1)\n")
    spec = tmp_path / "net.spec"
    spec.write_text('use d2l\nuse "mine.spec"\n\nmodel Net:\n    input 1 x 8 x 8\n    twice(4) -> relu\n')
    program = load(spec)
    bundled = {Path(unit.name).name: unit.bundled for unit in program.units.values()}
    assert bundled == {"<d2l>": True, "mine.spec": False, "net.spec": False}


def test_a_used_file_is_still_checked(tmp_path: Path):
    (tmp_path / "mine.spec").write_text("block broken(c):\n    conv(c, kernel_sizes=3)\n")
    spec = tmp_path / "net.spec"
    spec.write_text('use d2l\nuse "mine.spec"\n\nmodel Net:\n    input 1 x 8 x 8\n    relu\n')
    with pytest.raises(SpecError) as raised:
        check_program(load(spec))
    assert "kernel_sizes" in str(raised.value)
