"""Hostile input (issue 14): never a hang, a traceback, a blow-up or a file read it should not.

One test (or a few) per class of defect the robustness campaign found. Each
asserts the exit status (1 for the spec, 2 for the command line), that the
diagnostic is located, and that the work is bounded by a limit of
`specc/limits.py`, counted (often with the limit lowered, so the test is
quick), never timed. The rendered texts are pinned by the goldens in
`tests/diagnostics`, `tests/shape_diagnostics` and `tests/yaml_diagnostics`.
"""

from __future__ import annotations

import difflib
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from specc import api, cli, limits, sources
from specc.diagnostics import SpecError, _closest, render, suggest
from specc.fmt import format_text
from specc.syntax import lalr, yaml as yaml_front
from specc.syntax.words import blank_error_lines, statement_lines

from hostile_bench import at_depth  # bench/: the benchmark's row and a test here call from the same depths

ROOT = Path(__file__).resolve().parent.parent
M = "model M:\n    input 1 x 28 x 28\n"


def error_of(source, **options) -> SpecError:
    with pytest.raises(SpecError) as caught:
        api.shapes(source, **options)
    return caught.value


def located(error: SpecError) -> bool:
    return all(one.span is not None for one in error.errors)


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        status = cli.main(argv)
    except SystemExit as exit:
        status = exit.code
    return status, capsys.readouterr().err


# ---------------------------------------------------------------- 1. limits count work


def test_the_limits_table_of_the_design_doc_is_limits_table():
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| ([\d,]+) \| (E\d{4}|—) \| (.+) \|$", text, re.MULTILINE)
    documented = {name: (int(value.replace(",", "")), "" if code == "—" else code, what)
                  for name, value, code, what in rows}
    assert documented == {lim.name: (lim.value, lim.code, lim.bounds.replace("|", "/")) for lim in limits.TABLE}


def test_elaborate_reads_its_limits_from_the_one_table():
    from specc import elaborate

    assert elaborate.LIMITS is limits.LIMITS


BUNDLED = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "specs").rglob("*")
                 if path.suffix in (".spec", ".yaml"))


@pytest.mark.parametrize("spec", BUNDLED)
def test_every_bundled_spec_is_ten_times_under_every_limit(spec, capsys, monkeypatch):
    """With each limit cut to a tenth, a bundled spec's report is the same, to the byte."""
    def report() -> tuple:
        return tuple((cli.main(argv), capsys.readouterr()) for argv in (["shapes", "--json", spec], ["check", spec]))
    monkeypatch.chdir(ROOT)
    full = report()
    for name, value in limits.LIMITS.items():
        monkeypatch.setitem(limits.LIMITS, name, max(1, value // 10))
    assert report() == full
    assert full[0][0] == 0


@pytest.mark.parametrize("body", [
    "    for i in range(100000):\n        for j in range(100000):\n            let x = i\n",
    "    repeat 10000:\n        repeat 10000:\n            let x = 1\n",
    "    concat:\n        for i in range(100000):\n            for j in range(100000):\n                let x = j\n"
    "        identity\n",
])
def test_loops_that_make_no_layers_count_their_steps(body, monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "steps", 20_000)
    error = error_of(M + body + "    relu\n")
    assert error.code == "E0405" and "steps" in error.message and located(error)


def test_the_steps_of_a_model_are_its_own():
    """A model well under the limit elaborates; a fresh budget for each elaboration."""
    text = M + "    for i in range(1000):\n        let x = i\n    relu\n"
    for _ in range(3):
        api.shapes(text)


def test_check_counts_the_steps_of_all_a_files_models(monkeypatch):
    """Each model within its own steps, the file over its total: `check` stops, `shapes` of each passes."""
    monkeypatch.setitem(limits.LIMITS, "steps", 5_000)
    monkeypatch.setitem(limits.LIMITS, "check_steps", 12_000)
    model = "model M{i}:\n    input 1 x 8 x 8\n    for i in range(2000):\n        let x = i\n    relu\n"
    text = "".join(model.format(i=i) for i in range(6))
    error = pytest.raises(SpecError, api.check, text).value
    assert error.code == "E0405" and "one file" in error.message and located(error)
    for i in range(6):
        api.shapes(text, model=f"M{i}")


def test_values_built_and_compared_cost_steps(monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "steps", 50_000)
    build = M + "    for i in range(100):\n        let x = [0] * 1000\n    relu\n"
    compare = M + "    let a = [0] * 1000\n    let b = [0] * 1000\n    for i in range(100):\n" \
                  "        if a == b:\n            identity\n    relu\n"
    for text in (build, compare):
        error = error_of(text)
        assert error.code == "E0405" and "steps" in error.message


def test_a_block_called_twice_per_level_counts_its_instances():
    """Each body is elaborated once (the cache), but naming would walk 2^60 instances."""
    text = "block tree(n):\n    if n > 0:\n        tree(n - 1)\n        tree(n - 1)\n\n" + M + "    tree(60)\n    relu\n"
    error = error_of(text)
    assert error.code == "E0405" and "block instances" in error.message and located(error)


def test_branches_count_as_nodes(monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "nodes", 500)
    text = "block wide():\n    add:\n        for i in range(100):\n            identity\n\n" + M + \
           "    repeat 10:\n        wide\n"
    error = error_of(text)
    assert error.code == "E0405" and "branches" in error.message


@pytest.mark.parametrize("value", ["[[0] * 100000] * 100000", "[[[0] * 100] * 100] * 100", "[\"a\" * 1000] * 1000"])
def test_nested_values_are_bounded_as_a_whole(value):
    error = error_of("block b(x):\n    relu\n\n" + M + f"    b({value})\n")
    assert error.code == "E0405" and "items" in error.message and located(error)
    assert len(error.message) < 200


def test_values_nested_deeper_than_the_limit_are_refused():
    depth = limits.LIMITS["value_depth"]
    lets = "    let v0 = [0]\n" + "".join(f"    let v{i + 1} = [v{i}]\n" for i in range(depth + 1))
    error = error_of(M + lets + "    relu\n")
    assert error.code == "E0405" and "nested" in error.message


def test_values_in_messages_are_abbreviated():
    error = error_of(M + "    let x = [[7] * 50000]\n    for a, b in x:\n        relu\n")
    assert error.code == "E0218" and "..." in error.message and len(error.message) < 200
    error = error_of(M + "    repeat [0] * 50000:\n        relu\n")
    assert error.code == "E0401" and "..." in error.message and len(error.message) < 200


def test_a_concat_sum_is_checked_against_the_size_limit():
    error = error_of("model M:\n    input 1048576 x 1 x 1\n    concat:\n        for i in range(1000):\n"
                     "            identity\n")
    assert error.code == "E0405" and located(error)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path, capsys):
    big = tmp_path / "big.spec"
    with open(big, "wb") as stream:
        stream.truncate(1 << 30)  # sparse: a 1 GiB file that takes no space
    status, err = run_cli(["check", str(big)], capsys)
    assert status == 2 and "error[E0001]" in err and "1,073,741,824 bytes" in err


def test_standard_input_is_bounded_too(monkeypatch, capsys):
    monkeypatch.setitem(limits.LIMITS, "file_bytes", 100)
    monkeypatch.setattr(sys, "stdin", _Stdin(b"# " + b"x" * 200 + b"\n"))
    status, err = run_cli(["check", "-"], capsys)
    assert status == 2 and "more than the 100 bytes" in err


class _Stdin:
    def __init__(self, data: bytes) -> None:
        import io

        self.buffer = io.BytesIO(data)


def test_a_used_file_too_large_is_refused_at_the_use(tmp_path, monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "file_bytes", 100)
    (tmp_path / "big.spec").write_text("block b():\n    relu\n" + "# padding\n" * 20)
    main = tmp_path / "main.spec"
    main.write_text('use "big.spec"\n' + M + "    relu\n")
    error = error_of(main)
    assert error.code == "E0405" and error.span.line == 1


def test_a_yaml_alias_is_parsed_once_and_counted_at_every_use(monkeypatch):
    calls = []
    real = yaml_front.parse_fragment
    monkeypatch.setattr(yaml_front, "parse_fragment", lambda *a: calls.append(a) or real(*a))
    text = "models:\n  M:\n    input: [1, 28, 28]\n    layers:\n      - &a 'relu -> relu'\n" + "      - *a\n" * 500
    module = yaml_front.parse_yaml(text, "alias_once.yaml")
    assert len(module.models[0].body) == 502 and len(calls) == 1
    monkeypatch.setitem(limits.LIMITS, "yaml_text", 1_000)
    with pytest.raises(SpecError) as caught:
        yaml_front.parse_yaml(text, "alias_limit.yaml")
    assert caught.value.code == "E0405" and len(caught.value.errors) == 1


def test_rendering_is_bounded(capsys):
    many = M + "".join(f"    unknown_{i}\n" for i in range(300))
    error = pytest.raises(SpecError, api.check, many).value
    text = render(error, sources.text_of)
    assert text.count("error[E0201]") == limits.LIMITS["shown_errors"]
    assert "and 200 more errors" in text
    wide = M + "    relu -> " + "relu -> " * 2000 + "nosuch\n"
    text = render(pytest.raises(SpecError, api.check, wide).value, sources.text_of)
    assert max(len(line) for line in text.splitlines()) < limits.LIMITS["message_chars"] + 20
    assert "^^^^^^" in text  # the carets sit in the window around the mistake


def test_control_characters_never_reach_the_terminal():
    error = pytest.raises(SpecError, api.check, M + '    conv("\x1b[31mred")\n').value
    text = render(error, sources.text_of)
    assert "\x1b" not in text and "\ufffd" in text


def test_specc_build_refuses_a_model_larger_than_memory_before_torch_allocates(monkeypatch):
    pytest.importorskip("torch")
    import torch

    monkeypatch.setattr(torch.nn, "Linear", None)  # were it reached, building would fail otherwise
    with pytest.raises(SpecError) as caught:
        api.build("model M:\n    input 1000000\n    linear(99600)\n")
    assert caught.value.code == "E0405" and "built in memory" in caught.value.message and located(caught.value)


# ---------------------------------------------------------------- 2. algorithms at most n log n


def test_did_you_mean_is_exactly_difflibs():
    rng = random.Random(14)
    words = sorted({"".join(rng.choice("abcde_") for _ in range(rng.randint(1, 9))) for _ in range(2000)})
    for _ in range(200):
        word = rng.choice(words) + rng.choice(["", "a", "x", "_"])
        assert _closest(word, words) == difflib.get_close_matches(word, words, n=3, cutoff=0.6)


def test_did_you_mean_is_worked_out_only_for_the_errors_shown(monkeypatch):
    blocks = "".join(f"block blk{i}(c):\n    conv(c, k=1)\n" for i in range(300))
    text = blocks + M + "".join(f"    blkx{i}(8)\n" for i in range(300))
    error = pytest.raises(SpecError, api.check, text).value
    import specc.diagnostics as diagnostics

    made = []
    monkeypatch.setattr(diagnostics, "suggest", lambda *a: made.append(a) or suggest(*a))
    render(error, sources.text_of)
    assert 0 < len(made) <= limits.LIMITS["suggestions"]


def test_misspelt_yaml_keys_are_grouped_by_sorting_not_by_pairs():
    """`_innermost` agrees with its definition (a complaint inside another beats the outer one) at random."""
    from specc.syntax.yaml import _innermost

    class Mark:
        def __init__(self, index):
            self.index = index

    class Node:
        def __init__(self, start, end):
            self.start_mark, self.end_mark = Mark(start), Mark(end)

    rng = random.Random(3)
    for _ in range(200):
        nodes = []
        def nest(start, end, depth):  # noqa: E306 - a laminar family, as YAML's nodes are
            nodes.append(Node(start, end))
            cut = start
            while depth and cut < end and rng.random() < 0.7:
                width = rng.randint(0, max(0, (end - cut) // 2))
                nest(cut, cut + width, depth - 1)
                cut += width + 1
        nest(0, 100, 4)
        groups = {(i, rng.choice(["type", "missing"])): (node, []) for i, node in enumerate(nodes)}
        expected = {g: v for g, v in groups.items() if g[1] != "type" or not any(
            other is not v[0] and v[0].start_mark.index <= other.start_mark.index
            and other.end_mark.index <= v[0].end_mark.index for other, _ in groups.values())}
        assert _innermost(groups) == expected


def _reference_errors(text: str) -> list:
    """Recovery as it was: the whole text parsed again after each blanking (the order to match)."""
    lines, errors = text.split("\n"), []
    while True:
        try:
            lalr._parse_once("\n".join(lines), "r.spec")
        except SpecError as error:
            errors.extend(error.errors)
            if error.code != "E0109" and len(errors) < lalr.MAX_REPORTED:
                span = error.errors[0].span
                first, last = statement_lines(lines, span.line)
                if lalr._INDENTER.open_brackets:
                    first = min(first, lalr._INDENTER.open_brackets[0].line)
                if blank_error_lines(lines, error, first, last):
                    continue
        return sorted({(e.code, e.span, e.message) for e in errors})


def test_recovery_finds_what_a_whole_reparse_per_error_finds():
    from specc import collector

    rng = random.Random(14)
    seeds = [p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("specs/**/*.spec"))]
    pieces = ["(", ")", "[", ":", "\n", "    ", "\t", "->", "if", "else:", "elif x:", "#", "\\", '"', ",", "=", "1",
              "concat:", "repeat 2:", "model M:", "block b():", "\n    ", "\n        ", "in.", "=="]
    with collector.paused():
        for _ in range(150):
            text = list(rng.choice(seeds))
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(text) + 1)
                if rng.random() < 0.6:
                    text.insert(i, rng.choice(pieces))
                else:
                    del text[i:i + rng.randint(1, 5)]
            text = "".join(text)
            if not text.strip():
                continue
            try:
                lalr.parse_text(text, "r.spec")
                found = []
            except SpecError as error:
                found = sorted({(e.code, e.span, e.message) for e in error.errors})
            assert found == _reference_errors(text), text


def _tokens_parsed(monkeypatch) -> list[int]:
    """Counts the tokens the parser reads (through the indenter, which sees each one)."""
    count = [0]
    real = lalr.Indenter.process

    def process(self, stream):
        for token in real(self, stream):
            count[0] += 1
            yield token
    monkeypatch.setattr(lalr.Indenter, "process", process)
    return count


@pytest.mark.parametrize("spread", [False, True])
def test_recovery_parses_a_file_about_once(spread, monkeypatch):
    """The tokens read over all attempts, counted: about the file's, however many errors it has."""
    lines = ["    conv(64, k=3, p=1) -> batchnorm -> relu"] * 5_000
    clean = M + "\n".join(lines) + "\n"
    for i in (range(0, 5_000, 250) if spread else [4_990]):
        lines[i] = "    conv(6,, k=3)"
    broken = M + "\n".join(lines) + "\n"
    count = _tokens_parsed(monkeypatch)
    lalr.parse_text(clean, "clean.spec")
    once, count[0] = count[0], 0
    error = pytest.raises(SpecError, lalr.parse_text, broken, "many.spec").value
    assert len(error.errors) == (limits.LIMITS["syntax_errors"] if spread else 1)
    assert count[0] < 1.1 * once


@pytest.mark.skipif(sys.platform != "linux" or sys.version_info < (3, 11),
                    reason="counts page faults (Linux) of CPython's chunked data stack (3.11 on)")
def test_a_loop_costs_the_same_at_every_depth_of_the_callers_stack(tmp_path):
    """A loop whose calls cross from one 16 KiB chunk of frames into the next maps a chunk at every call.

    Over 80 depths, 20 KiB of the caller's stack, some depth puts a chunk's end
    inside the loop unless `limits.with_room` starts specc's work on a chunk of
    its own; each mapping is a page fault, counted (not timed).
    """
    import resource

    spec = tmp_path / "loop.spec"
    spec.write_text(M + "    repeat 40:\n        repeat 100:\n            let z = 1\n    relu\n")
    api.shapes(spec)

    def faults() -> int:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        api.shapes(spec)
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    worst = max(at_depth(depth, faults) for depth in range(80))
    assert worst < 400, f"{worst} page faults for a loop of 4,000 iterations"


def test_every_frame_of_specc_fits_the_room_on_the_data_stack():
    """`limits.STACK_BYTES` holds `FRAMES_NEEDED` frames of at most `FRAME_BYTES`; no code of specc has a larger one."""
    def codes(code):
        yield code
        for constant in code.co_consts:
            if isinstance(constant, type(code)):
                yield from codes(constant)
    slots = 7  # the frame's own fields in CPython 3.11-3.13: code, globals, builtins, locals, ...
    largest = max(((code.co_nlocals + len(code.co_cellvars) + len(code.co_freevars) + code.co_stacksize + slots) * 8,
                   getattr(code, "co_qualname", code.co_name))
                  for path in (ROOT / "specc").rglob("*.py")
                  for code in codes(compile(path.read_text(encoding="utf-8"), str(path), "exec")))
    assert largest[0] <= limits.FRAME_BYTES, largest


# ---------------------------------------------------------------- 3. every value checked


@pytest.mark.parametrize("expression", ['[1] < ["a"]', '[[1]] <= [["a"]]', '(1, "a") < (1, 2)', 'true < 1',
                                        '"a" >= 1'])
def test_incomparable_values_are_a_type_error(expression):
    error = error_of(M + f"    let x = {expression}\n    relu\n")
    assert error.code == "E0401" and located(error)


def test_comparisons_keep_pythons_meaning():
    text = M + "    let ok = [1, 2] < [1, 3] and (1, 2) == (1, 2) and [true] == [1] and not ([1] == (1,))\n" \
               "    relu if ok else identity\n"
    graph = api.shapes(text)
    assert graph.body[0].op == "relu"


def test_incomparable_values_in_yaml_and_set(tmp_path, capsys):
    spec = tmp_path / "cmp.yaml"
    spec.write_text("models:\n  M:\n    input: [1, 28, 28]\n    layers:\n      - let: {x: '[1] < [\"a\"]'}\n"
                    "      - relu\n")
    status, err = run_cli(["shapes", str(spec)], capsys)
    assert status == 1 and "error[E0401]" in err and "cmp.yaml:5:" in err
    lenet = str(ROOT / "specs" / "lenet.spec")
    status, err = run_cli(["shapes", lenet, "--set", 'classes=[1] < ["a"]'], capsys)
    assert status == 2 and "error[E0501]" in err


@pytest.mark.parametrize("literal", ["9" * 5000, "1e309", "1" * 400 + ".0"])
def test_number_literals_python_cannot_hold_are_refused_where_written(literal):
    error = pytest.raises(SpecError, api.check, M + f"    linear({literal})\n").value
    assert error.code == "E0405" and error.span.line == 3


def test_huge_and_infinite_yaml_numbers_are_refused(tmp_path):
    for value in ["9" * 5000, ".inf", ".nan", "1.0e999"]:
        spec = tmp_path / "n.yaml"
        spec.write_text(f"models:\n  M:\n    input: [1, 28, 28]\n    layers:\n      - linear: {value}\n")
        error = error_of(spec)
        assert error.code == "E0405" and error.span.line == 5


def test_a_negative_number_to_a_fractional_power(capsys):
    error = error_of(M + "    let x = (-1) ** 0.5\n    relu\n")
    assert error.code == "E0402" and located(error)


def test_input_takes_ascii_digits_only(capsys):
    for given in ("1x28x2²", "1x٢٨x28", "1x28x" + "9" * 30):
        status, err = run_cli(["shapes", str(ROOT / "specs" / "lenet.spec"), "--input", given], capsys)
        assert status == 2 and "error[E0502]" in err


def test_deep_recursion_ends_in_a_diagnostic_not_recursion_error():
    """60 blocks, each 18 `if`s deep, called from a deep stack: the nesting limit comes first."""
    lines = []
    for i in range(60):
        lines.append(f"block b{i}(n):")
        lines += ["    " * (j + 1) + "if n > 0:" for j in range(18)]
        lines.append("    " * 19 + f"b{i + 1}(n)")
    text = "\n".join(lines) + "\nblock b60(n):\n    relu\n\n" + M + "    b0(1)\n"

    def deep(n):
        return deep(n - 1) if n else error_of(text)

    error = deep(300)
    assert error.code == "E0406" and located(error)


def test_lists_nested_at_every_level_of_a_recursion():
    """Expressions 90 deep at each of 60 levels of blocks: deep, and within every limit, so it elaborates."""
    nested = "[" * 90 + "n" + "]" * 90
    text = f"block r(n, x):\n    if n > 0:\n        r(n - 1, {nested})\n    relu\n\n" + M + "    r(60, 0)\n"

    def deep(n):
        return deep(n - 1) if n else api.shapes(text)

    assert deep(300).output == ("N", 1, 28, 28)
    growing = "block r(n, x):\n    if n > 0:\n        r(n - 1, [[[[[[x]]]]]])\n    relu\n\n" + M + "    r(60, 0)\n"
    error = error_of(growing)
    assert error.code == "E0405" and "nested" in error.message and located(error)


def test_an_unmatched_closer_in_a_yaml_string(tmp_path):
    spec = tmp_path / "closer.yaml"
    spec.write_text("models:\n  M:\n    input: [1, 28, 28]\n    layers:\n      - linear: '1]'\n")
    error = error_of(spec)
    assert error.code == "E0101" and error.span.line == 5 and "the end of the string" in error.message


@pytest.mark.parametrize("yaml_text", [
    "models:\n  M:\n    input: [1, 28, 28]\n    layers:\n      - conv: 6\n        name: αlpha\n",
    "models:\n  M:\n    input: [1, 28, 28]\n    layers:\n      - conv: 6\n        name: ｆｃ\n",
    "blocks:\n  ｂlk:\n    - relu\nmodels:\n  M:\n    input: [1, 28, 28]\n    layers: [relu]\n",
    "models:\n  M:\n    params: {ωidth: 8}\n    input: [1, 28, 28]\n    layers: [relu]\n",
])
def test_names_must_be_ascii_in_yaml(yaml_text, tmp_path, capsys):
    spec = tmp_path / "names.yaml"
    spec.write_text(yaml_text, encoding="utf-8")
    for argv in (["build", str(spec)], ["fmt", "--to", "spec", str(spec)], ["shapes", str(spec)]):
        status, err = run_cli(argv, capsys)
        assert status == 1 and "error[E0604]" in err and "names.yaml:" in err


def test_names_must_be_ascii_in_the_dsl():
    error = pytest.raises(SpecError, api.check, M + "    αlpha = relu\n").value
    assert error.code == "E0102" and error.span.line == 3


@pytest.mark.parametrize("name, text, to", [
    ("nul.spec", M + "    relu  # a\x00b\n", "yaml"),
    ("inf.spec", M + "    dropout(1e309)\n", None),
    ("long.spec", M + "    " + "a" * 1100 + " = relu\n", "yaml"),
    ("noname.yaml", "models:\n  M:\n    input: [1, 28, 28]\n    layers:\n      - conv: 6\n        name:\n", "spec"),
])
def test_fmt_reports_what_it_cannot_write(name, text, to):
    with pytest.raises(SpecError) as caught:
        format_text(text, name, to)
    assert located(caught.value)


@pytest.mark.parametrize("name, text", [
    ("comments.spec", "# only a comment\n"),
    ("tab.yaml", "models:\n  M:\n    input: [1,\t28, 28]\n    layers: [relu]\n"),
])
def test_fmt_converts_what_it_can(name, text):
    for to in ("spec", "yaml"):
        format_text(text, name, to)  # checked by parsing its own output back


# ---------------------------------------------------------------- 5. `use` stays inside a root


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    (root / "blocks.spec").write_text("block b(c):\n    conv(c, k=1)\n")
    (root / "sub" / "deeper.spec").write_text('use "../blocks.spec"\n')
    (tmp_path / "outside.spec").write_text("block o():\n    relu\n")
    (root / "secret.spec").write_text("TOKEN=never-shown\n")
    return root


def _compile(root: Path, use: str, **options):
    spec = root / "main.spec"
    spec.write_text(f"use {use}\n" + M + "    relu\n")
    return api.shapes(spec, **options)


@pytest.mark.parametrize("use", ['"/etc/passwd"', '"../outside.spec"', '"sub/../../outside.spec"',
                                 '"notes.txt"', '"secret.spec"', '"/proc/self/environ"', '"dev_link.spec"',
                                 '"outside_link.spec"', '"fifo.spec"'])
def test_use_is_refused_outside_the_roots(use, project):
    os.symlink("/dev/zero", project / "dev_link.spec")
    os.symlink(project.parent / "outside.spec", project / "outside_link.spec")
    if hasattr(os, "mkfifo"):
        os.mkfifo(project / "fifo.spec")
    with pytest.raises(SpecError) as caught:
        _compile(project, use)
    error = caught.value
    assert error.code == "E0209" and error.span.line == 1
    assert "never-shown" not in render(error, sources.text_of)


def test_use_inside_the_roots(project, tmp_path, monkeypatch):
    _compile(project, '"blocks.spec"')
    _compile(project, '"sub/deeper.spec"')  # `..` within the root
    library = tmp_path / "library"
    (library / "nets").mkdir(parents=True)
    (library / "nets" / "lib.spec").write_text('use "../common.spec"\nblock l():\n    relu\n')
    (library / "common.spec").write_text("block c():\n    relu\n")
    with pytest.raises(SpecError):
        _compile(project, '"nets/lib.spec"')
    _compile(project, '"nets/lib.spec"', library_paths=[library])
    monkeypatch.setenv("SPECC_PATH", str(library))
    _compile(project, '"nets/lib.spec"')


def test_lib_path_on_the_command_line(project, tmp_path, capsys):
    library = tmp_path / "library"
    library.mkdir()
    (library / "lib.spec").write_text("block l():\n    relu\n")
    spec = project / "main.spec"
    spec.write_text('use "lib.spec"\n' + M + "    l\n")
    assert run_cli(["check", str(spec)], capsys)[0] == 1
    assert run_cli(["check", str(spec), "--lib-path", str(library)], capsys)[0] == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_on_the_command_line_is_refused(tmp_path, capsys):
    fifo = tmp_path / "net.spec"
    os.mkfifo(fifo)
    status, err = run_cli(["check", str(fifo)], capsys)
    assert status == 2 and "FIFO" in err
    out = tmp_path / "out.py"
    os.mkfifo(out)
    status, err = run_cli(["build", str(ROOT / "specs" / "lenet.spec"), "-o", str(out)], capsys)
    assert status == 2 and "FIFO" in err


def test_dev_stdin_is_a_path(tmp_path):
    """`/dev/stdin` names whatever standard input is: read when it is a file, refused when a pipe (`-` reads that)."""
    lenet = ROOT / "specs" / "lenet.spec"
    command = [sys.executable, "-m", "specc", "check", "/dev/stdin"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(lenet, "rb") as stream:
        done = subprocess.run(command, stdin=stream, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(command, input=lenet.read_text(), capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2 and "write `-`" in done.stderr


# ---------------------------------------------------------------- 6. writes never destroy data


@pytest.fixture
def converted(tmp_path):
    spec = tmp_path / "net.spec"
    spec.write_text("# the net\n" + M + "    relu\n")
    return spec, tmp_path / "net.yaml"


@pytest.mark.parametrize("existing, why", [
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b"just some notes\n", "not a spec"),
    (b"models:\n  Other:\n    input: [3]\n    layers: [relu]\n", "another spec"),
    (b"# my own words\nmodels:\n  M:\n    input: [1, 28, 28]\n    layers: [relu]\n", "comments"),
])
def test_fmt_to_never_replaces_what_it_cannot_prove_it_wrote(existing, why, converted, capsys):
    spec, target = converted
    target.write_bytes(existing)
    status, err = run_cli(["fmt", "--to", "yaml", "--write", str(spec)], capsys)
    assert status == 2 and why in err
    assert target.read_bytes() == existing


def test_fmt_to_replaces_a_file_that_says_the_same(converted, capsys):
    spec, target = converted
    target.write_text(format_text(spec.read_text(), str(spec), "yaml").replace("layers:", "layers:  "))
    status, err = run_cli(["fmt", "--to", "yaml", "--write", str(spec)], capsys)
    assert status == 0, err


def test_fmt_to_leaves_directories_and_fifos_alone(converted, capsys):
    spec, target = converted
    target.mkdir()
    status, err = run_cli(["fmt", "--to", "yaml", "--write", str(spec)], capsys)
    assert status == 2 and "directory" in err


def test_every_os_error_on_a_write_is_exit_2(converted, monkeypatch, capsys):
    spec, target = converted
    import specc.files

    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(specc.files, "write_atomically", refuse)
    status, err = run_cli(["fmt", "--to", "yaml", "--write", str(spec)], capsys)
    assert status == 2 and "permission denied" in err
    spec.write_text(M + "        relu\n".replace("        ", "    "))
    status, err = run_cli(["fmt", "--write", str(spec)], capsys)
    assert status in (0, 2) and "Traceback" not in err
    status, err = run_cli(["build", str(ROOT / "specs" / "lenet.spec"), "-o", str(spec.parent / "x" / "y.py")], capsys)
    assert status == 2 and "cannot write" in err


def test_fmt_write_onto_a_missing_folder_is_exit_2(tmp_path, capsys):
    spec = tmp_path / "net.spec"
    spec.write_text(M + "    relu\n")
    (tmp_path / "net.yaml").symlink_to(tmp_path / "missing" / "net.yaml")
    status, err = run_cli(["fmt", "--to", "yaml", "--write", str(spec)], capsys)
    assert status == 2 and "Traceback" not in err


# ---------------------------------------------------------------- found by the fuzzer (bench/fuzz.py)


def test_a_yaml_call_named_as_a_dsl_keyword_is_not_written_to_the_dsl():
    text = "models:\n  M:\n    input: [1, 28, 28]\n    layers:\n      - 'true': [6]\n      - conv: [6, {'not': 1}]\n"
    error = pytest.raises(SpecError, format_text, text, "kw.yaml", "spec").value
    assert error.code == "E0207" and error.span.line == 5


def test_a_module_name_that_is_a_keyword_is_written_quoted():
    text = M + '    "input" = relu\n'
    assert '"input" = relu' in format_text(text, "quoted.spec")
    assert "name: input" in format_text(text, "quoted.spec", "yaml")


def test_a_quoted_name_the_yaml_form_refuses_is_reported_by_fmt():
    error = pytest.raises(SpecError, format_text, M + '    "lay 1{i}" = relu\n', "q.spec", "yaml").value
    assert error.code == "E0221" and error.span.line == 3


def test_a_long_chain_of_conditional_layers_is_no_deep_expression():
    """`->` nests nothing: each layer of a chain starts afresh, in both front-ends."""
    chain = " -> ".join(["linear(4) if true else identity"] * 60)
    text = "model M:\n    input 8\n    " + chain + "\n"
    assert len(api.shapes(text).body) == 60
    format_text(format_text(text, "chain.spec", "yaml"), "chain.yaml", "spec")


def test_yaml_statements_nest_no_deeper_than_dsl_blocks(tmp_path):
    def nested(levels: int) -> str:
        lines, pad = ["models:", "  M:", "    input: [1, 8, 8]", "    layers:"], "      "
        for _ in range(levels):
            lines.append(pad + "- seq:")
            pad += "    "
        return "\n".join([*lines, pad + "- relu"]) + "\n"

    format_text(nested(limits.LIMITS["block_depth"] - 1), "deep.yaml", "spec")
    error = pytest.raises(SpecError, format_text, nested(60), "deeper.yaml", "spec").value
    assert error.code == "E0109" and located(error)


def test_yaml_module_names_are_as_long_as_dsl_names():
    text = "models:\n  M:\n    input: [1, 28, 28]\n    layers:\n      - conv: 6\n        name: " + "n" * 1100 + "\n"
    error = pytest.raises(SpecError, format_text, text, "long.yaml", "spec").value
    assert error.code in ("E0405", "E0604") and located(error) and len(error.message) < 200


@pytest.mark.parametrize("text, name", [
    ("model M:\n    input 3\n    \"m{" + "x" * 1100 + "}\" = relu\n", "quoted.spec"),  # a quoted module name
    ("use: " + "x" * 1100 + "\nmodels:\n  M:\n    input: [3]\n    layers:\n      - relu\n", "library.yaml"),
], ids=["quoted-module-name", "yaml-library-name"])
@pytest.mark.parametrize("to", [None, "spec", "yaml"])
def test_a_name_too_long_for_one_front_end_is_too_long_for_both(text: str, name: str, to):
    """The fuzzing campaign found `fmt` writing text the other front-end refused (a FormatterBug, exit 3)."""
    error = pytest.raises(SpecError, format_text, text, name, to).value
    assert error.code == "E0405" and located(error) and "1,000 characters" in error.message


def test_dict_keys_are_strings_or_numbers():
    error = error_of(M + "    let d = {[1]: 2}\n    relu\n")
    assert error.code == "E0401" and located(error)
    error = error_of("block b(x):\n    relu\n\n" + M + '    b({"a": [[0] * 1000] * 1000})\n')
    assert error.code == "E0405" and "items" in error.message


def test_a_name_given_twice_in_a_long_unpacking_is_found_in_one_pass():
    """`as (a0, ..., a99999, a0)`: each name is compared with those before it through a set, not a list."""
    from specc.check import _first_repeated

    compared = [0]

    class Name(str):
        __hash__ = str.__hash__

        def __eq__(self, other):
            compared[0] += 1
            return str.__eq__(self, other)

    names = [Name(f"a{i}") for i in range(5000)] + [Name("a0")]
    assert _first_repeated(names) == "a0" and compared[0] < 2 * len(names)
    pair = "block pair(c):\n    conv(c, k=1) as lo\n    output (lo, lo)\n\n"
    error = error_of(pair + M + "    pair(4) as (" + ", ".join(f"a{i}" for i in range(300)) + ", a7)\n    output a0\n")
    twice = [one for one in error.errors if "`a7` is named twice" in one.message]
    assert twice and twice[0].code == "E0321" and twice[0].span.line == 7


def test_the_statements_of_a_body_share_one_scope(monkeypatch):
    """A name is looked up through the scopes a body is nested in, not through one scope per earlier statement.

    20,000 layers one to a line made a chain of 20,000 scopes, walked at every lookup (seconds of
    quadratic work); the walk is now as long as the nesting, whatever the number of statements.
    """
    from specc.expr import Env

    walked = []
    real = Env.get

    def get(self, name, default=None):
        depth, env = 0, self
        while env is not None:
            depth, env = depth + 1, env.parent
        walked.append(depth)
        return real(self, name, default)

    monkeypatch.setattr(Env, "get", get)
    text = "model M:\n    input 8\n    let a = 4\n" + "    relu\n" * 2000 + "    linear(a)\n    default linear(bias=false)\n" \
        + "    relu\n" * 2000 + "    linear(a)\n"
    graph = api.shapes(text)
    assert len(graph.body) == 4002 and graph.body[-1].out_shape[-1] == 4
    assert graph.total_params == 4 * 8 + 4 + 4 * 4  # the `default` holds for the statements after it
    assert walked and max(walked) < 10


@pytest.mark.parametrize("kind", ["smallest", "nearest"])
def test_the_trials_of_a_search_for_a_fitting_input_share_one_budget(kind, monkeypatch):
    """Each trial may run the model past the error (a loop of 80,000 steps here): together they stop at `search_steps`."""
    from specc import elaborate

    spent = []  # the steps of each trial elaboration
    real = elaborate._Elaborator.fits

    def fits(self, *args):
        try:
            return real(self, *args)
        finally:
            spent.append(self.state.budget.total - self.state.budget.left)
    monkeypatch.setattr(elaborate._Elaborator, "fits", fits)
    monkeypatch.setitem(limits.LIMITS, "search_steps", 100_000)
    mistake = {"smallest": "    input 1 x 8 x 8\n    conv(4, k=16)\n",
               "nearest": "    input 1 x 65 x 64\n    conv(4, k=3, p=1) as skip\n    repeat 6:\n        maxpool(k=2)\n"
                          "    upsample(scale=64)\n    concat:\n        identity\n        skip\n"}[kind]
    loop = "    for i in range(200):\n        for j in range(200):\n            let z = 1\n"
    hint = {"smallest": "needs an input of at least 1 x 16 x 16", "nearest": "at which the branches agree: 64 and 128"}

    error = error_of("model M:\n" + mistake + "    relu\n")
    assert hint[kind] in error.help  # without the loop the search finds the sizes
    spent.clear()
    error = error_of("model M:\n" + mistake + loop + "    relu\n")
    assert error.code in ("E0303", "E0302") and located(error) and hint[kind] not in error.help
    assert max(spent) > 40_000 and 100_000 < sum(spent) <= 100_000 + 1_000  # stopped where the budget ran out


def test_warnings_are_capped_as_errors_are(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(limits.LIMITS, "shown_errors", 5)
    spec = tmp_path / "unread.spec"
    spec.write_text("model M:\n    input 8\n" + "".join(f"    relu as v{i}\n" for i in range(8)), encoding="utf-8")
    status, err = run_cli(["check", str(spec)], capsys)
    assert status == 0 and err.count("warning[W0301]") == 5 and "unread.spec:3:13" in err
    assert err.rstrip().endswith("... and 3 more warnings (the first 5 are shown)")


def test_generated_code_finds_each_instance_of_a_class_directly(monkeypatch):
    """A class of many instances, each with its own derived sizes: every instance is looked up by id.

    `list.index` compared the instance with those before it (a deep dataclass comparison): a
    thousand blocks took ten seconds to write. Counted as comparisons of IR modules.
    """
    from specc import ir

    graph = api.shapes(ROOT / "specs" / "torchvision" / "efficientnet_v2_s.spec",
                       overrides={"depths": [2, 4, 4, 6, 9, 300]})
    compared = [0]
    real = ir.Module.__eq__

    def eq(self, other):
        compared[0] += 1
        return real(self, other)
    monkeypatch.setattr(ir.Module, "__eq__", eq)
    from specc.backends.python_source import emit

    source = emit(graph, spec="efficientnet_v2_s.spec")
    compile(source, "<generated>", "exec")
    assert compared[0] < 1_000
