"""No user text reaches generated code except validated identifiers and numbers.

Each case tries to smuggle code into the file `specc build` writes, through a
place where a spec names something or passes a string: model, block,
parameter and statement names, `let`/`for` names, string arguments, `--set`
values, the spec's own path. Either specc rejects the spec cleanly (a
`SpecError`: exit 1 or 2, no traceback, no file), or the file

- parses to nothing but imports of torch/nn (and OrderedDict), classes
  deriving from nn.Module/nn.Sequential, and in them `__init__`/`forward`,
  whose calls go only to torch, `self`, `super()` and the file's classes;
- keeps the header to its three comment lines, any payload text inside them;
- when run in a sandboxed interpreter (an empty directory, specc
  unimportable), defines exactly the expected classes, builds and runs the
  model, and never executes the payload: it would create the file CANARY
  and print PWNED.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import subprocess
import sys
import tokenize
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import specc  # noqa: E402
from specc.backends.python_source import MARKER  # noqa: E402
from specc.cli import main  # noqa: E402
from specc.diagnostics import SpecError  # noqa: E402

CANARY = "CANARY"
SIGN = "PWNED"
# Python that, if it ever ran, would leave CANARY in the working directory and print PWNED.
CODE = "open('CANARY', 'w'); print('PWNED')"
# The same code wrapped to break out of a line, a comment or a string, written with a spec's escapes.
PAYLOADS = [
    f"x\\nimport os; {CODE}\\n#",
    f"x\\\"\\\"\\\"\\n{CODE}\\n\\\"\\\"\\\"",
    f"x\\'\\'\\'; {CODE}; \\'\\'\\'",
    f"\\\\\\n{CODE}",
]

# Runs every accepted case's file in one sandboxed interpreter (importing torch takes seconds), each in its
# own empty directory, with specc made unimportable; what each prints is captured separately.
RUNNER = r"""
import sys
sys.modules["specc"] = None
import contextlib, importlib.util, io, json, os, traceback
import torch
results = {}
for job in json.loads(sys.stdin.read()):
    os.chdir(job["sandbox"])
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            name = "smuggled_" + str(len(results))
            spec = importlib.util.spec_from_file_location(name, job["path"])
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            classes = sorted(k for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == name)
            net = getattr(module, job["model"])().eval()
            with torch.no_grad():
                y = net(torch.randn(2, 1, 8, 8))
        results[job["id"]] = {"classes": classes, "out": list(y.shape), "printed": printed.getvalue()}
    except Exception:
        results[job["id"]] = {"error": traceback.format_exc(), "printed": printed.getvalue()}
print(json.dumps(results))
"""


@dataclass
class Case:
    id: str
    spec: str
    classes: set[str] = field(default_factory=set)  # expected when specc accepts the spec
    args: list[str] = field(default_factory=list)
    model: str = "M"
    rejected: bool | None = None  # True: must be rejected; False: must be accepted; None: either, if safe
    filename: str = "model.spec"
    files: dict[str, str] = field(default_factory=dict)


def model(body: str, header: str = "model M", blocks: str = "") -> str:
    lines = "".join(f"    {line}\n" for line in body.strip("\n").split("\n"))
    return f"{blocks}{header}:\n    input 1 x 8 x 8\n{lines}"


BLOCK = "block b({params}):\n    conv({use}, k=3, p=1)\n"


def block(params: str, use: str, name: str = "b") -> str:
    return BLOCK.format(params=params, use=use).replace("block b(", f"block {name}(")


CASES = [
    # -- model names: the grammar allows only identifiers; some identifiers mean something to Python
    Case("model-name-punctuation", "model M; import os:\n    input 1 x 8 x 8\n    relu\n", rejected=True),
    Case("model-name-call", "model M(__import__('os')):\n    input 1 x 8 x 8\n    relu\n", rejected=True),
    Case("model-name-keyword", model("relu", header="model import"), rejected=True),
    *[Case(f"model-name-{name}", model("conv(4, k=3)", header=f"model {name}"), {name}, model=name)
      for name in ("self", "object", "exec", "print", "x", "__init__", "Module", "Sequential")],
    *[Case(f"model-name-shadows-{name}", model("a = conv(4, k=3)\ns = seq:\n    c = conv(4, k=3)\n    relu\n"
                                               "add:\n    identity\n    conv(4, k=3, p=1)\nconcat:\n    identity\n"
                                               "    relu", header=f"model {name}"), {name}, model=name)
      for name in ("nn", "torch", "OrderedDict", "super")],
    # -- block names
    Case("block-name-keyword", model("def(4)", blocks=block("c", "c", name="def")), rejected=True),
    *[Case(f"block-name-{name}", model(f"{name}(4)\n{name}(6)", blocks=block("c", "c", name=name)), None)
      for name in ("nn", "torch", "ordered_dict", "super", "sequential", "module", "tensor", "m", "__import__",
                   "self")],
    Case("block-names-colliding", model("m(4)\nm_block(4)\nm2(4)\nm(6) -> relu",
                                        blocks=block("c", "c", name="m") + block("c", "c", name="m_block")
                                        + block("c", "c", name="m2")), None),
    # -- block parameter names
    *[Case(f"param-name-{name}", model("b(4)\nb(6)", blocks=block(name, name)), {"B", "M"})
      for name in ("self", "nn", "torch", "super", "OrderedDict", "in_channels", "x", "B", "M", "print",
                   "__class__")],
    Case("param-name-keyword", model("b(4)", blocks=block("lambda", "lambda")), rejected=True),
    Case("param-name-class", model("b(4)\nb(6)", blocks=block("n", "n", name="c") + "block b(C):\n    c(C)\n"),
         {"B", "C", "M"}),
    Case("param-name-ordered-dict-used",
         model("b(4)\nb(6)", blocks="block b(OrderedDict):\n    a = conv(OrderedDict, k=1)\n"
                                    "    s = seq:\n        c = conv(4, k=1)\n        relu\n"), {"B", "M"}),
    # -- named statements (attributes)
    *[Case(f"named-{name}", model(f"{name} = conv(4, k=3, p=1)\nadd:\n    identity\n    conv(4, k=3, p=1)"), None)
      for name in ("x", "out", "identity", "torch", "nn", "super", "OrderedDict", "print", "M", "self", "forward",
                   "_modules", "__class__", "training")],
    Case("named-in-block", model("b(4)\nb(6)", blocks="block b(c):\n    nn = conv(c, k=1)\n    torch = relu\n"
                                                      "    add:\n        identity\n        x = conv(c, k=1)\n"),
         {"B", "M"}),
    # -- let and for names never reach the file
    Case("let-names", model("let nn = 4\nlet torch = 2\nconv(nn * torch, k=3)"), {"M"}),
    Case("for-names", model("for OrderedDict, super in [(4, 1), (8, 3)]:\n    conv(OrderedDict, k=super)"), {"M"}),
    # -- string arguments
    *[Case(f"string-padding-{i}", model(f'conv(4, k=3, p="{payload}")'), rejected=True)
      for i, payload in enumerate(PAYLOADS)],
    Case("string-padding-same", model('conv(4, k=3, p="same")'), {"M"}, rejected=False),
    *[Case(f"string-block-arg-unused-{i}", model(f'b(4, label="{payload}")\nb(6, label="other")',
                                                 blocks=block('c, label="x"', "c")), {"B", "M"}, rejected=False)
      for i, payload in enumerate(PAYLOADS)],
    Case("string-block-arg-used", model('b(4)\nb(4, pad="valid")\nb(4, pad="sa" + "me")',
                                        blocks=block('c, pad="same"', "c").replace("p=1", "p=pad")),
         {"B", "M"}, rejected=False),
    *[Case(f"string-block-arg-used-payload-{i}", model(f'b(4, pad="{payload}")',
                                                       blocks=block('c, pad="same"', "c").replace("p=1", "p=pad")),
           rejected=True)
      for i, payload in enumerate(PAYLOADS)],
    *[Case(f"string-model-param-{i}", model("conv(4, k=3)", header=f'model M(label="{payload}")'), {"M"},
           rejected=False)
      for i, payload in enumerate(PAYLOADS)],
    Case("string-as-size", model(f'conv("{PAYLOADS[0]}", k=3)'), rejected=True),
    Case("string-as-input", f'model M:\n    input "{PAYLOADS[0]}" x 8 x 8\n    relu\n', rejected=True),
    # -- --set values
    *[Case(f"set-string-{i}", model("conv(4, k=3)", header='model M(label="x", classes=4)'), {"M"},
           args=["--set", f'label="{payload}"'], rejected=False)
      for i, payload in enumerate(PAYLOADS)],
    Case("set-raw-newline", model("conv(4, k=3)", header='model M(label="x")'),
         args=["--set", f'label="x\n{CODE}"'], rejected=True),
    Case("set-raw-carriage-return", model("conv(4, k=3)", header='model M(label="x")'), {"M"},
         args=["--set", f'label="x\r{CODE}"']),
    Case("set-unicode-line-separator", model("conv(4, k=3)", header='model M(label="x")'), {"M"},
         args=["--set", f'label="x\u2028{CODE}\u0085#"']),
    Case("set-string-for-int", model("conv(classes, k=3)", header="model M(classes=4)"),
         args=["--set", f'classes="{PAYLOADS[0]}"'], rejected=True),
    Case("set-name-payload", model("conv(4, k=3)", header="model M(classes=4)"),
         args=["--set", f"classes;{CODE}=1"], rejected=True),
    Case("set-unknown-name", model("conv(4, k=3)", header="model M(classes=4)"),
         args=["--set", "__class__=1"], rejected=True),
    Case("set-list-of-strings", model("conv(4, k=3)", header="model M(arch=[1])"), {"M"},
         args=["--set", f'arch=["{PAYLOADS[0]}", (1, "{PAYLOADS[1]}")]']),
    # -- the spec's path
    *[Case(f"path-{i}", model("conv(4, k=3)"), {"M"}, filename=name, rejected=False)
      for i, name in enumerate(['q"uote.spec', "q'uote.spec", "ha#sh.spec", 'tri"""ple.spec', "mod\u00e8le_\u65e5.spec",
                                "cr\rx.spec", "ls\u2028x.spec", "back\\slash.spec", f"{CODE}.spec"])],
    Case("path-newline", model("conv(4, k=3)"), {"M"}, filename=f"x\nimport os; {CODE}\n#.spec"),
    # -- a library with a strange name
    Case("use-strange-library", model("b(4)\nb(6)", header='use "l\'i#b.spec"\nmodel M'), {"B", "M"},
         files={"l'i#b.spec": block("c", "c")}, rejected=False),
]


# ---------------------------------------------------------------- what a safe file looks like


ALLOWED_IMPORTS = {("torch", None), ("torch", "nn"), ("collections", "OrderedDict")}


def check_structure(text: str, classes: set[str]) -> None:
    tree = ast.parse(text)
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the module docstring
    defined = []
    for node in body:
        if isinstance(node, ast.Import):
            assert [(a.name, a.asname) for a in node.names] == [("torch", None)], ast.dump(node)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and all((node.module, a.name) in ALLOWED_IMPORTS and a.asname is None
                                           for a in node.names), ast.dump(node)
        elif isinstance(node, ast.ClassDef):
            check_class(node)
            defined.append(node.name)
        else:
            raise AssertionError(f"unexpected top-level statement: {ast.dump(node)}")
    assert len(defined) == len(set(defined)), f"a class defined twice: {defined}"
    if classes:
        assert set(defined) == classes
    check_calls(tree, set(defined))


def check_class(node: ast.ClassDef) -> None:
    assert not node.decorator_list and not node.keywords
    assert len(node.bases) == 1 and ast.unparse(node.bases[0]) in ("nn.Module", "nn.Sequential")
    for item in node.body:
        assert isinstance(item, ast.FunctionDef), ast.dump(item)
        assert item.name in ("__init__", "forward") and not item.decorator_list
        args = item.args
        assert not (args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs)
        assert args.args[0].arg == "self"
        names = [a.arg for a in args.args]
        assert len(names) == len(set(names))


def check_calls(tree: ast.AST, classes: set[str]) -> None:
    """Every call goes to torch, nn, self, super() or a class of the file; every string is a name or a mode."""
    for node in ast.walk(tree):
        assert not isinstance(node, (ast.Lambda, ast.Global, ast.Nonlocal, ast.Delete, ast.With, ast.Try,
                                     ast.While, ast.For, ast.If, ast.Raise, ast.Await, ast.Yield))
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            root = func.split(".")[0].split("[")[0].split("(")[0]
            assert (root in ("nn", "self", "torch") or func in classes | {"super", "OrderedDict", "super().__init__"}
                    ), f"call to {func}"
            if root == "nn":
                assert func.count(".") == 1 and isinstance(getattr(torch.nn, func[3:], None), type), func
            if root == "torch":
                assert func == "torch.cat", func
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node is not docstring(tree):
            assert node.value in ("same", "valid") or node.value.isidentifier() or node.value.isdigit(), node.value
        if isinstance(node, ast.Name):
            assert node.id.isascii() and node.id.isidentifier()


def docstring(tree: ast.Module):
    first = tree.body[0] if tree.body else None
    return first.value if isinstance(first, ast.Expr) else None


def check_comments(text: str) -> None:
    lines = text.split("\n")
    assert lines[0].startswith(MARKER + " ") and lines[1].startswith("# Overrides: ")
    assert lines[2] == "# Regenerate with `specc build` rather than editing by hand."
    assert lines[3].startswith('"""') and lines[3].endswith('"""')
    assert all(line.isascii() and line.isprintable() for line in lines), "a non-printable or non-ASCII character"
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if SIGN in token.string or "import os" in token.string:
            assert token.type == tokenize.COMMENT and token.start[0] <= 2, token


# ---------------------------------------------------------------- running the cases


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    crash: str = ""  # a Python traceback out of specc: a bug, never a way to reject a spec
    text: str = ""  # the generated file, when there is one
    run: dict = field(default_factory=dict)  # the sandboxed run of the file
    directory: Path = Path()


def build(case: Case, directory: Path) -> Outcome:
    """`specc build SPEC -o out.py ARGS`, in process (the cases are many; starting Python each time is slow)."""
    directory.mkdir()
    for name, text in case.files.items():
        (directory / name).write_text(text, encoding="utf-8")
    (directory / case.filename).write_text(case.spec, encoding="utf-8")
    stdout, stderr, crash = io.StringIO(), io.StringIO(), ""
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["build", case.filename, "-o", "out.py", *case.args])
    except SystemExit as exit:
        code = exit.code
    except Exception:
        code, crash = -1, traceback.format_exc()
    finally:
        os.chdir(cwd)
    out = directory / "out.py"
    return Outcome(code, stdout.getvalue(), stderr.getvalue(), crash,
                   out.read_text(encoding="utf-8") if out.exists() else "", directory=directory)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("injection")
    results = {case.id: build(case, root / f"case{i}") for i, case in enumerate(CASES)}
    jobs = []
    for case in CASES:
        outcome = results[case.id]
        if outcome.code == 0 and outcome.text:
            sandbox = outcome.directory / "sandbox"
            sandbox.mkdir()
            jobs.append({"id": case.id, "path": str(outcome.directory / "out.py"), "model": case.model,
                         "sandbox": str(sandbox)})
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(root), "PYTHONHASHSEED": "0"}
    run = subprocess.run([sys.executable, "-I", "-c", RUNNER], input=json.dumps(jobs), cwd=root, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("\n") == 1 and SIGN not in run.stderr  # each file's own output is captured
    for case_id, result in json.loads(run.stdout.splitlines()[-1]).items():
        results[case_id].run = result
    return results


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_nothing_is_smuggled_into_the_generated_file(case: Case, outcomes):
    outcome = outcomes[case.id]
    assert not outcome.crash, outcome.crash
    assert SIGN not in outcome.stdout
    assert not list(outcome.directory.rglob(CANARY)), "the payload ran"
    if outcome.code != 0:
        assert case.rejected is not False, f"specc rejected a spec it should accept:\n{outcome.stderr}"
        assert outcome.code in (1, 2)
        assert outcome.stderr.startswith(("error[", "specc: error:")), outcome.stderr
        assert not outcome.text
        return
    assert case.rejected is not True, "specc accepted a spec it should reject"
    check_comments(outcome.text)
    check_structure(outcome.text, case.classes)
    assert "error" not in outcome.run, outcome.run.get("error")
    assert SIGN not in outcome.run["printed"]
    if case.classes:
        assert set(outcome.run["classes"]) == case.classes


# ---------------------------------------------------------------- the Python API


def test_api_path_with_a_newline(tmp_path):
    """Through the API a Path is always a file, whatever its name: the header escapes it."""
    path = tmp_path / f"x\nimport os; {CODE}\n#.spec"
    path.write_text(model("conv(4, k=3)"), encoding="utf-8")
    text = specc.emit(path)
    check_comments(text)
    check_structure(text, {"M"})
    assert "\\nimport os" in text.split("\n")[0]


@pytest.mark.parametrize("overrides", [{f"a\n{CODE}": 1}, {"classes": f"x\n{CODE}"}, {"__class__": 1},
                                       {"classes": 2, "extra\n#": 3}])
def test_api_overrides_are_checked(overrides):
    with pytest.raises(SpecError):
        specc.emit(model("conv(classes, k=3)", header="model M(classes=4)"), overrides=overrides)


def test_api_string_override_is_escaped_in_the_header():
    text = specc.emit(model("conv(4, k=3)", header='model M(label="x")'),
                      overrides={"label": f'x\n"""{CODE}\r\u2028'})
    check_comments(text)
    check_structure(text, {"M"})
