"""How fast is `specc shapes`? Against torchinfo, against importing torch, and as models grow.

    python bench/shapes_bench.py            # the full run (a minute or two)
    python bench/shapes_bench.py --quick    # fewer repetitions, no 10k-layer torchinfo on CPU

Three measurements, every ratio taken from numbers of the same run:

1. In process: `specc.api.shapes(spec)` (parse, check, elaborate, name;
   best of N) against `torchinfo.summary(model, input_size=...)` on the
   equivalent torch module: torchvision's resnet18/resnet152 at the spec's
   input, and a hand-built nn.Sequential for the synthetic specs. torchinfo
   runs a real forward pass; with `device="meta"` it runs the forward on
   meta tensors (shapes only, no arithmetic), which is the fairer rival.
   The contestants take turns, round by round, so a drift in the machine's
   speed does not end up in the ratios.
2. Growth: synthetic specs of 1k, 5k and 10k layers (conv -> batchnorm ->
   relu, written out line by line, so parsing grows too): time per layer
   should stay flat.
3. The command line: wall time of `python -m specc shapes FILE` against
   `python -c "import torch"` (specc never imports torch) and against
   `python -c "import pydantic.main"`, the floor of any process that builds
   specc's AST (specc's bytecode compiled first, as an install has it).

Targets (DESIGN.md, docs/decisions.md): at least 50x faster than torchinfo
on ResNet-152; linear growth; `specc shapes specs/resnet18.spec` well under
half a second. "Cold" parses the spec and the library it uses (`d2l`), as
the first spec of a process does; "warm" is a spec parsed before. Run it on
a quiet machine: torchinfo's forward uses every core, and loses more to a
neighbour's load than specc does, which inflates the ratios.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import interleaved  # noqa: E402
from specc.api import shapes  # noqa: E402
from specc.syntax import cache as parse_cache  # noqa: E402

SYNTHETIC_SIZES = (1_000, 5_000, 10_000)
SYNTHETIC_CHANNELS, SYNTHETIC_SIDE = 8, 8



# ---------------------------------------------------------------- the models


def synthetic_spec(layers: int) -> str:
    """`layers` layers, three to a line: conv -> batchnorm -> relu, ..."""
    cycle = [f"conv({SYNTHETIC_CHANNELS}, k=3, p=1)", "batchnorm", "relu"]
    ops = [cycle[i % 3] for i in range(layers)]
    lines = [" -> ".join(ops[i:i + 3]) for i in range(0, layers, 3)]
    body = "\n".join(f"    {line}" for line in lines)
    return f"model Synthetic{layers}:\n    input {SYNTHETIC_CHANNELS} x {SYNTHETIC_SIDE} x {SYNTHETIC_SIDE}\n{body}\n"


def synthetic_module(layers: int):
    from torch import nn

    c = SYNTHETIC_CHANNELS
    make = [lambda: nn.Conv2d(c, c, 3, padding=1), lambda: nn.BatchNorm2d(c), nn.ReLU]
    return nn.Sequential(*(make[i % 3]() for i in range(layers)))


def torchvision_module(name: str, **kwargs):
    import torchvision

    return getattr(torchvision.models, name)(**kwargs)


# ---------------------------------------------------------------- measurements


def torchinfo_run(make_module: Callable, input_size: tuple, device: Optional[str]) -> Callable[[], object]:
    import torchinfo

    module = make_module()
    kwargs = {"device": device} if device else {}
    return lambda: torchinfo.summary(module, input_size=input_size, verbose=0, **kwargs)


def row(*cells) -> str:
    widths = (26, 11, 11, 10, 8, 11, 11, 11)
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def in_process(cases: list[tuple[str, str, Callable, tuple, bool]], rounds: int) -> None:
    print("In process: specc.api.shapes against torchinfo.summary (seconds, best of runs)")
    print("  cold: parse, check, elaborate; warm: the spec parsed before (check and elaborate only)")
    print(row("model", "specc cold", "specc warm", "torchinfo", "meta", "x cpu cold", "x cpu warm", "x meta cold"))
    for name, spec, make_module, input_size, run_cpu in cases:
        def specc(spec=spec, input_size=input_size):
            return shapes(spec, input=input_size)
        specc()  # untimed: what a first call sets up once (lazy imports, Lark's tables)
        actions = {"cold": (specc, parse_cache.clear_memory, 3), "warm": (specc, None, 3),
                   "meta": (torchinfo_run(make_module, input_size, "meta"), None, 1)}
        if run_cpu:
            actions["cpu"] = (torchinfo_run(make_module, input_size, None), None, 1)
        times = interleaved(actions, rounds)
        cold_s, warm, meta = times["cold"], times["warm"], times["meta"]
        cpu = times.get("cpu", float("nan"))
        print(row(name, f"{cold_s:.4f}", f"{warm:.4f}", f"{cpu:.3f}", f"{meta:.3f}", f"{cpu / cold_s:.0f}x",
                  f"{cpu / warm:.0f}x", f"{meta / cold_s:.1f}x"))


def growth(files: dict[int, str], rounds: int) -> None:
    print("\nGrowth: specc.api.shapes on synthetic specs")
    print(row("layers", "seconds", "us / layer", "", "", ""))
    times = interleaved({layers: (lambda spec=spec: shapes(spec), parse_cache.clear_memory, 2)
                         for layers, spec in files.items()}, rounds)
    per_layer = []
    for layers, seconds in times.items():
        per_layer.append(seconds / layers * 1e6)
        print(row(f"{layers:,}", f"{seconds:.4f}", f"{per_layer[-1]:.1f}", "", "", ""))
    spread = max(per_layer) / min(per_layer)
    print(f"per-layer cost varies by {spread:.2f}x from {min(SYNTHETIC_SIZES):,} to {max(SYNTHETIC_SIZES):,} "
          f"layers ({'linear' if spread < 1.5 else 'NOT linear'})")


def command_line(specs: list[str], rounds: int) -> None:
    print("\nCommand line: wall time of a fresh process (seconds, best of runs)")
    # An installed package has its bytecode compiled (pip does it); a checkout
    # run with PYTHONDONTWRITEBYTECODE would compile specc's source every time.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "specc")], check=True, capture_output=True)
    python = sys.executable
    commands = {"python -c pass": [python, "-c", "pass"],
                "python -c 'import pydantic.main'": [python, "-c", "import pydantic.main"],
                "python -c 'import torch'": [python, "-c", "import torch"],
                **{f"specc shapes {Path(spec).name}": [python, "-m", "specc", "shapes", spec] for spec in specs}}
    times = interleaved({name: (lambda args=args: subprocess.run(args, cwd=ROOT, check=True, capture_output=True),
                                None, 1) for name, args in commands.items()}, rounds)
    torch_import, pydantic_import = times["python -c 'import torch'"], times["python -c 'import pydantic.main'"]
    for name, seconds in times.items():
        if not name.startswith("specc"):
            print(row(name, f"{seconds:.3f}", "", "", "", ""))
            continue
        print(row(name, f"{seconds:.3f}", f"{seconds / torch_import:.2f}x torch",
                  f"+{seconds - pydantic_import:.3f} s over pydantic", "", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions; skip slow torchinfo CPU runs")
    options = parser.parse_args()
    repeat = 3 if options.quick else 9

    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for layers in SYNTHETIC_SIZES:
            path = Path(tmp) / f"synthetic_{layers}.spec"
            path.write_text(synthetic_spec(layers), encoding="utf-8")
            files[layers] = str(path)

        rgb = (1, 3, 224, 224)
        side = (1, SYNTHETIC_CHANNELS, SYNTHETIC_SIDE, SYNTHETIC_SIDE)
        # specs/resnet18.spec is d2l's (1 x 224 x 224, 10 classes): run at torchvision's 3 x 224 x 224
        # against torchvision's resnet18 with 10 classes; specs/torchvision/resnet18.spec is exact.
        cases = [
            ("resnet18.spec", "specs/resnet18.spec", lambda: torchvision_module("resnet18", num_classes=10), rgb,
             True),
            ("torchvision/resnet18", "specs/torchvision/resnet18.spec", lambda: torchvision_module("resnet18"), rgb,
             True),
            ("resnet152.spec", "specs/resnet152.spec", lambda: torchvision_module("resnet152"), rgb, True),
            *((f"synthetic {n:,}", files[n], lambda n=n: synthetic_module(n), side,
               not options.quick or n < 10_000) for n in SYNTHETIC_SIZES),
        ]
        print(f"python {sys.version.split()[0]}; inputs: {rgb} for the resnets, {side} synthetic\n")
        in_process(cases, rounds=max(2, repeat // 3))
        growth(files, rounds=max(2, repeat // 2))
        command_line(["specs/lenet.spec", "specs/resnet18.spec", "specs/resnet152.spec", files[10_000]],
                     rounds=max(3, repeat // 2))


if __name__ == "__main__":
    main()
