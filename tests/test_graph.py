"""`specc graph` and `specc.graph`: the layer graph drawn, and the data-flow edges behind it.

Evidence from outside specc's picture code:
- torch: the built module's forward hooks see, for every layer, the tensor the
  DAG says it reads (the very object its producer returned, through named
  values and skips) with the shape on the edge;
- headless Chromium (Debian's `chromium`) lays the SVG out: nodes, edges and the
  shape labels get real geometry, and a screenshot is not blank;
- the specs' own numbers: ResNet-152's stages `[3, 8, 36, 3]` fold into runs of
  2, 7, 35 and 2 identical blocks; yolo_like's `X = ... as v` lines say where
  each value is made;
- `specc shapes --json`, a separate path through the IR, for node and edge counts.
Golden DOT and Mermaid text of two small specs are pinned in tests/graph_goldens
(`SPECC_UPDATE_GOLDEN=1` rewrites them).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import specc
from specc import dag as dataflow
from specc.diagnostics import CODES

ROOT = Path(__file__).resolve().parent.parent
GOLDENS = Path(__file__).resolve().parent / "graph_goldens"
UPDATE = os.environ.get("SPECC_UPDATE_GOLDEN") == "1"
SKIP = "tests/graph_goldens/skip.spec"
UNET = "tests/graph_goldens/unet_small.spec"  # block tensor parameters, several results
BUNDLED = sorted(str(p.relative_to(ROOT)) for p in [*ROOT.glob("specs/**/*.spec"), *ROOT.glob("specs/yaml/*.yaml")])
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def specc_cli(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specc", *args], cwd=cwd, capture_output=True, timeout=120,
                          env={**os.environ, **(env or {})})


def drawn(*args: str) -> str:
    done = specc_cli("graph", *args)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode("utf-8")


def shapes_json(*args: str) -> dict:
    done = specc_cli("shapes", *args, "--json")
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


# ---------------------------------------------------------------- goldens


@pytest.mark.parametrize("spec, stem, args", [
    ("specs/lenet.spec", "lenet", ()),
    (SKIP, "skip", ()),
    (SKIP, "skip_depth0", ("--depth", "0")),
])
@pytest.mark.parametrize("fmt, suffix", [("dot", ".dot"), ("mermaid", ".mmd")])
def test_golden_text(spec: str, stem: str, args: tuple, fmt: str, suffix: str):
    text = drawn(spec, "--format", fmt, *args)
    golden = GOLDENS / f"{stem}{suffix}"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


# ---------------------------------------------------------------- every bundled spec


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("spec", BUNDLED)
def test_every_bundled_spec_draws_to_svg_and_png(spec: str, tmp_path: Path):
    """SVG through the command line (one <g class="node"> per box), PNG through the API; both of sane size."""
    out = tmp_path / "model.svg"
    done = specc_cli("graph", spec, "-o", str(out))
    assert done.returncode == 0 and done.stdout == b"", done.stderr.decode()
    root = ElementTree.parse(out).getroot()
    nodes = [g for g in root.iter(f"{SVG}g") if "node" in g.get("class", "").split()]
    dot = drawn(spec, "--format", "dot")
    assert len(nodes) == len(re.findall(r"^\s+n\d+ \[label=", dot, re.M)) > 1
    png = specc.graph(ROOT / spec).png()
    width, height = png_size(png)
    assert 50 < width < 40000 and 50 < height < 200000


def expected_boxes(report: dict) -> int:
    """Boxes at full depth with every block drawn: each computing row, each input and each value returned."""
    computing = [row for row in report["layers"] if row["op"] not in ("identity", "write", "read")]
    returned = len(re.findall(r'"value":', json.dumps(report["outputs"]))) if report["outputs"] else 1
    return len(computing) + len(report["inputs"]) + returned


@pytest.mark.parametrize("spec", ["specs/torchvision/googlenet_aux.spec", "specs/yolo_like.spec",
                                  "specs/torchvision/shufflenet_v2_x1_0.spec", SKIP, UNET])
def test_unfolded_picture_has_a_box_per_computing_row_and_an_edge_per_read(spec: str):
    report = shapes_json(spec)
    dot = drawn(spec, "--format", "dot", "--expand-runs")
    assert len(re.findall(r"^\s+n\d+ \[label=", dot, re.M)) == expected_boxes(report)
    distinct = {(e["from"], e["to"], json.dumps(e["shape"]), e["value"]) for e in report["edges"]}
    arrows = re.findall(r"^  n\d+ -> n\d+ \[label=.*class=\"(?:flow|value)\"", dot, re.M)
    assert len(arrows) == len(distinct)


# ---------------------------------------------------------------- the DAG against torch


def batch(shape, n: int = 2) -> tuple:
    return tuple(n if d == "N" else d for d in shape)


@pytest.mark.parametrize("spec, size, overrides", [
    ("specs/yolo_like.spec", None, None), ("specs/torchvision/googlenet_aux.spec", None, None),
    ("specs/torchvision/shufflenet_v2_x1_0.spec", None, None), ("specs/seeds/tied.spec", None, None),
    (SKIP, None, None), (UNET, None, None),
    ("specs/torchvision/fcn_resnet50.spec", (3, 64, 80), None),  # a block returning two depths' features
    ("specs/unet.spec", (1, 188, 188), {"width": 4}),  # a recursive block, skips cropped across each level
])
def test_every_layer_reads_what_the_dag_says_with_the_edge_shape(spec: str, size, overrides):
    """Forward hooks record what each torch module gets: the same tensor object its DAG producer gave,
    of the shape on the edge, and an output of the node's shape (a shared module: in order of application)."""
    torch = pytest.importorskip("torch")
    graph = specc.shapes(ROOT / spec, input=size, overrides=overrides)
    flow = dataflow.build(graph)
    model = specc.build(ROOT / spec, input=size, overrides=overrides).eval()
    modules = dict(model.named_modules(remove_duplicate=False))
    calls: dict[int, list] = {}
    for module in {id(m): m for m in modules.values()}.values():
        module.register_forward_hook(lambda m, args, out: calls.setdefault(id(m), []).append((args[0], out)))
    inputs = [torch.randn(batch(shape)) for _, shape in graph.inputs or (("x", graph.input),)]
    with torch.no_grad():
        model(*inputs)
    given = {f"input:{name}": tensor for (name, _), tensor in zip(graph.inputs or (("x", None),), inputs)}
    seen: dict[int, int] = {}
    checked = 0
    for node in flow.computing():
        if node.kind != "layer":
            continue
        module = modules[node.ir.path]
        got, out = calls[id(module)][seen.setdefault(id(module), 0)]
        seen[id(module)] += 1
        (read,) = node.reads
        assert tuple(got.shape) == batch(read.shape), node.id
        assert tuple(out.shape) == batch(node.shape), node.id
        source = flow.node(read.source)
        if source.kind in ("layer", "input") and read.shape == source.shape:  # not a slice of the channels
            assert got is given[source.id], f"{node.id} reads {source.id}"
            checked += 1
        given[node.id] = out
    assert checked > len(list(flow.computing())) // 3


def test_json_edges_and_reads_agree_and_name_the_values_they_carry():
    report = shapes_json("specs/yolo_like.spec")
    into: dict[str, list] = {}
    for edge in report["edges"]:
        into.setdefault(edge["to"], []).append((edge["from"], edge["value"], edge["shape"]))
    rows = {row["id"]: row for row in report["layers"]}
    assert len(rows) == len(report["layers"])  # ids are unique
    for row in report["layers"]:
        if row["op"] not in ("identity", "write", "read"):
            assert into.pop(row["id"]) == [(r["from"], r["value"], r["shape"]) for r in row["reads"]]
    assert set(into) == {"output:0", "output:1", "output:2"}
    # `head3 = n3 -> conv(...)`: the head reads `n3`, made by `out3`'s last layer.
    assert rows["head3"]["reads"] == [{"from": "out3.act", "value": "n3", "shape": ["N", 64, 32, 32]}]


def test_the_table_says_where_each_value_read_was_made():
    """yolo_like writes `stage4 = stage(...) as c5`: the table reads `c5 <- stage4`, and so on for each value."""
    text = (ROOT / "specs/yolo_like.spec").read_text(encoding="utf-8")
    made = dict((value, name) for name, value in re.findall(r"^\s+(\w+) = .* as (\w+)$", text, re.M))
    done = specc_cli("shapes", "specs/yolo_like.spec")
    reads = re.findall(r"\bread\s+(\w+) <- (\S+)", done.stdout.decode())
    assert reads and all(made[value] == where for value, where in reads)
    assert {value for value, _ in reads} == {"c3", "c4", "c5", "p4", "p5", "n3", "n4", "n5"}


# ---------------------------------------------------------------- folding


def run_boxes(dot: str) -> list[int]:
    return [int(n) for n in re.findall(r"bottleneck\([^)]*\) ×(\d+)", dot)]


def test_resnet152_stages_fold_into_runs_of_identical_blocks():
    """`stages=[3, 8, 36, 3]`: each stage's first block differs (stride or channels), the rest are one run."""
    assert run_boxes(drawn("specs/resnet152.spec", "--format", "dot")) == [2, 7, 35, 2]
    stages = [2, 4, 1, 3]
    wanted = [n - 1 for n in stages if n - 1 >= 2]  # a stage's block repeated once is no run
    assert run_boxes(drawn("specs/resnet152.spec", "--format", "dot", "--set", f"stages={stages}")) == wanted
    assert run_boxes(drawn("specs/resnet152.spec", "--format", "dot", "--expand-runs")) == []


def test_a_folded_run_is_one_box_with_its_shapes_and_totals():
    report = shapes_json("specs/resnet152.spec")
    stage3 = [m for m in report["modules"] if m["block"] == "bottleneck" and m["out"] == ["N", 1024, 14, 14]]
    run = stage3[1:]  # the first block of the stage halves the resolution
    dot = drawn("specs/resnet152.spec", "--format", "dot", "--depth", "0")
    (label,) = re.findall(r'label="(bottleneck\([^"]*×35[^"]*)", class="run"', dot)
    lines = label.split("\\n")
    assert lines[1] == f"{run[0]['path']} … {run[-1]['path']}"
    assert lines[2] == "[N, 1024, 14, 14] → [N, 1024, 14, 14]"
    params, macs = sum(m["params"] for m in run), sum(m["macs"] for m in run)
    assert lines[3] == f"{params:,} params, {macs:,} mult-adds"


def test_depth_folds_blocks_into_boxes_with_their_totals():
    report = shapes_json("specs/resnet18.spec")
    dot = drawn("specs/resnet18.spec", "--format", "dot", "--depth", "0")
    assert "subgraph" not in dot
    for module in (m for m in report["modules"] if "." not in m["path"]):
        assert f"{module['params']:,} params, {module['macs']:,} mult-adds" in dot, module["path"]
    deeper = drawn("specs/resnet18.spec", "--format", "dot", "--depth", "1")
    assert deeper.count("subgraph cluster_") == 5 and 'class="block", style="filled"' in deeper


# ---------------------------------------------------------------- text from the spec


# A string as the DSL writes it: a quote, a backslash before `n` (an escape to DOT), Mermaid's `#...;` and
# `|`, HTML, backticks.
HOSTILE = "'a\"b\\\\n|#35;<script>`x`&]'"


def hostile_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "hostile.spec"
    spec.write_text("block tagged(tag, c=4):\n    conv(c, k=1)\n\nmodel M:\n    input 4 x 8 x 8\n"
                    f"    tagged({HOSTILE})\n    tagged({HOSTILE})\n", encoding="utf-8")
    return spec


def test_spec_text_in_labels_is_escaped_for_dot_and_mermaid(tmp_path: Path):
    """A block argument reaches a label as `show` prints it; Graphviz and Mermaid must read back exactly that."""
    spec = hostile_spec(tmp_path)
    tag = specc.shapes(spec).body[0].args["tag"]
    from specc.expr import show

    wanted = f"tagged(tag={show(tag)}, c=4) ×2"
    svg = specc.graph(spec).svg()
    texts = ["".join(t.itertext()) for t in ElementTree.fromstring(svg.encode()).iter(f"{SVG}text")]
    assert wanted in texts
    mermaid = specc.graph(spec).mermaid
    (label,) = re.findall(r'subgraph c1\["([^"]*)"\]', mermaid)
    first = label.split("<br/>")[0]  # specc's own line break
    assert not re.search(r'["<>|`&\\]', first)
    assert re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), first) == wanted


# ---------------------------------------------------------------- the command line


def test_format_comes_from_the_suffix_and_files_are_written_whole(tmp_path: Path):
    for name, start in (("m.svg", b"<?xml"), ("m.png", PNG_MAGIC), ("m.dot", b"digraph"), ("m.mmd", b"%%")):
        done = specc_cli("graph", "specs/lenet.spec", "-o", str(tmp_path / name))
        assert done.returncode == 0 and done.stdout == b"", done.stderr
        assert (tmp_path / name).read_bytes().startswith(start)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.dot", "m.mmd", "m.png", "m.svg"]  # no temporaries


@pytest.mark.parametrize("args, wanted", [
    (["--format", "png"], "PNG is binary"),
    (["-o", "model.pdf"], "cannot tell the format"),
    (["--depth", "-1"], "expected --depth 0 or more"),
    (["-o", "no/such/dir/m.svg"], "cannot write"),
    (["--direction", "RL"], "invalid choice"),
])
def test_usage_mistakes_exit_2(args: list, wanted: str, tmp_path: Path):
    done = specc_cli("graph", str(ROOT / "specs/lenet.spec"), *args, cwd=tmp_path)
    assert done.returncode == 2 and wanted in done.stderr.decode(), done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_spec_error_exits_1_with_its_diagnostic():
    done = specc_cli("graph", "specs/lenet.spec", "--set", "classes=0")
    assert done.returncode == 1 and b"error[E0" in done.stderr and b"Traceback" not in done.stderr


def test_no_renderer_is_a_located_usage_error_and_dot_still_works():
    env = {"SPECC_GRAPHVIZ": "no-such-graphviz-program"}
    done = specc_cli("graph", "specs/lenet.spec", env=env)
    assert done.returncode == 2 and done.stdout == b""
    golden = GOLDENS / "E1001_no_renderer.txt"
    if UPDATE:
        golden.write_bytes(done.stderr)
    assert done.stderr == golden.read_bytes()
    assert specc_cli("graph", "specs/lenet.spec", "--format", "dot", env=env).returncode == 0


def test_every_drawing_code_has_a_golden():
    assert {code for code in CODES if code.startswith("E10")} == {p.name[:5] for p in GOLDENS.glob("E10*.txt")}


def test_graph_never_imports_torch():
    code = ("import sys; from specc.cli import main; main(['graph', 'specs/resnet18.spec', '--format', 'svg']); "
            "assert not any(m == 'torch' or m.startswith('torch.') for m in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout


def test_the_notebook_object_shows_as_svg_and_matches_the_command_line():
    picture = specc.graph(ROOT / "specs/resnet18.spec", depth=1, direction="LR")
    assert "<svg" in picture._repr_svg_()
    assert picture.dot == drawn("specs/resnet18.spec", "--depth", "1", "--direction", "LR", "--format", "dot")
    assert picture.mermaid.startswith("%% ResNet18") and "flowchart LR" in picture.mermaid
    assert picture.png().startswith(PNG_MAGIC)
    with pytest.raises(ValueError):
        specc.graph(ROOT / "specs/lenet.spec", direction="RL")


# ---------------------------------------------------------------- Chromium


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Debian's `chromium` is not installed (.ci/run installs it with apt-get when it can)")
    return found


def run_chromium(*args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"]
    return subprocess.run([chromium(), *flags, *args], capture_output=True, text=True, timeout=120)


MEASURE = """<script>
const boxes = [...document.querySelectorAll("g.node")];
const laid = boxes.filter(g => { const b = g.getBBox(); return b.width > 1 && b.height > 1; });
const edges = [...document.querySelectorAll("g.edge path")].filter(p => p.getTotalLength() > 1);
const texts = [...document.querySelectorAll("text")].filter(t => t.getComputedTextLength() > 0);
document.getElementById("result").textContent = JSON.stringify(
    {boxes: boxes.length, laid: laid.length, edges: edges.length, texts: texts.map(t => t.textContent)});
</script>"""


def test_chromium_lays_out_the_svg_nodes_edges_and_shapes(tmp_path: Path):
    chromium()
    report = shapes_json(SKIP)
    dot = drawn(SKIP, "--format", "dot")
    svg = drawn(SKIP)
    page = tmp_path / "page.html"
    page.write_text(f'<!doctype html><html><body>{svg[svg.index("<svg"):]}<pre id="result"></pre>{MEASURE}'
                    "</body></html>", encoding="utf-8")
    done = run_chromium("--dump-dom", page.as_uri())
    found = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    seen = json.loads(html.unescape(found.group(1)))
    assert seen["boxes"] == seen["laid"] == len(re.findall(r"^\s+n\d+ \[label=", dot, re.M))
    assert seen["edges"] == len(re.findall(r"^  n\d+ -> n\d+ ", dot, re.M))
    shapes = {"[" + ", ".join(map(str, e["shape"])) + "]" for e in report["edges"]}
    assert shapes <= {text.split(": ")[-1] for text in seen["texts"]}
    assert "early: [N, 8, 16, 16]" in seen["texts"]


def test_chromium_screenshot_of_the_svg_is_not_blank(tmp_path: Path):
    chromium()
    image = pytest.importorskip("PIL.Image")
    svg = tmp_path / "model.svg"
    assert specc_cli("graph", SKIP, "-o", str(svg)).returncode == 0
    shot = tmp_path / "shot.png"
    done = run_chromium(f"--screenshot={shot}", "--window-size=600,900", svg.as_uri())
    assert shot.exists(), done.stderr[-2000:]
    pixels = image.open(shot).convert("L")
    dark = sum(count for level, count in enumerate(pixels.histogram()) if level < 128)
    assert 0.002 < dark / (pixels.width * pixels.height) < 0.5
