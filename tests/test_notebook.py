"""In Jupyter, the graph `specc.shapes()` returns shows as a table: `_repr_html_`, read back by an HTML parser.

The page must say what `specc shapes --columns all` says, cell for cell, with
every text escaped (an argument's quotes, the title's arrow), so a browser
shows the spec's text and never reads it as markup.
"""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import specc

ROOT = Path(__file__).resolve().parent.parent


class _Cells(HTMLParser):
    """The text of each table row's cells, and of the other elements (title, notes)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.texts: list[str] = []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        else:
            self.texts.append(data)


def parsed(page: str) -> _Cells:
    cells = _Cells()
    cells.feed(page)
    cells.close()
    return cells


def table_rows(text: str) -> list[list[str]]:
    """The text table's header and body rows, split at the runs of two or more spaces."""
    import re

    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("----")]
    body = [lines[1]] + lines[rules[0] + 1:rules[1]]
    return [[cell.strip() for cell in re.split(r"\s{2,}", line.strip())] for line in body]


def test_the_notebook_table_says_what_the_command_says(tmp_path):
    spec = tmp_path / "quoted.spec"
    spec.write_text('model Quoted:\n    input 3 x 16 x 16\n    conv(4, k=3, p=1) as skip\n'
                    '    upsample(scale=2, mode="bilinear") -> conv(4, k=3, s=2, p=1)\n'
                    '    add:\n        identity\n        skip\n    global_avgpool -> flatten -> linear(2)\n',
                    encoding="utf-8")
    page = specc.shapes(str(spec))._repr_html_()
    assert 'mode=&quot;bilinear&quot;' in page and 'mode="bilinear"' not in page
    assert "-&gt; output" in page
    cells = parsed(page)
    done = subprocess.run([sys.executable, "-m", "specc", "shapes", str(spec), "--columns", "all"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = table_rows(done.stdout)
    got = [[cell for cell in row if cell] for row in cells.rows[:len(expected)]]
    assert got == [[cell for cell in row if cell] for row in expected]
    assert any("inference peak" in text for text in cells.texts)


def test_every_bundled_model_renders():
    for path in sorted(ROOT.glob("specs/*.spec")):
        page = specc.shapes(str(path))._repr_html_()
        cells = parsed(page)
        assert len(cells.rows) >= 3 and page.startswith("<div>") and page.endswith("</div>")
