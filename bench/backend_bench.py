"""Do specc's modules run as fast as hand-written ones? Both back-ends against the seeds and torchvision.

    python bench/backend_bench.py            # the full run (about a minute)
    python bench/backend_bench.py --quick    # fewer rounds

For each model, three modules with the same weights:

- hand-written: the seed notes' code (tests/seed_models.py), or
  torchvision's resnet18 for specs/torchvision/resnet18.spec;
- generated: the file `specc build` writes (`specc.emit`), imported from disk;
- in memory: `specc.build`'s module (the IR compiled to nn.Module classes).

Forward: eval mode under `torch.inference_mode()`, one thread
(`torch.set_num_threads(1)`), the variants timed in turn, round after round,
best of all rounds (the minimum is the least noisy estimate of the cost).
Construction: `Model()` for hand-written and generated code; for the
in-memory back-end `build_module(graph)` from a ready IR, and `specc.build`
from the spec file (parse, check, elaborate, build), best of a few.

Target: ratios against the hand-written module within noise of 1.0.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch
import torchvision

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import specc  # noqa: E402
from timing import best  # noqa: E402
from specc.backends.torch_module import build_module  # noqa: E402
import seed_models  # noqa: E402

# name, spec, hand-written factory, input shape (with batch)
CASES = [
    ("lenet, batch 1", "specs/lenet.spec", seed_models.lenet, (1, 1, 28, 28)),
    ("lenet, batch 256", "specs/lenet.spec", seed_models.lenet, (256, 1, 28, 28)),
    ("alexnet, batch 2", "specs/alexnet.spec", seed_models.alexnet, (2, 1, 224, 224)),
    ("resnet18 (d2l), batch 2", "specs/resnet18.spec", seed_models.resnet18, (2, 1, 224, 224)),
    ("resnet18 (torchvision), batch 2", "specs/torchvision/resnet18.spec", torchvision.models.resnet18,
     (2, 3, 224, 224)),
]



def interleaved_best(fns: dict[str, Callable[[], object]], budget: float, min_rounds: int) -> dict[str, float]:
    """Best time of each function, calling them in turn so that drift (heat, other load) hits all alike."""
    for fn in fns.values():
        fn()  # warm up: allocator, oneDNN primitives
    one = max(best(fn, 1) for fn in fns.values())
    rounds = max(min_rounds, min(200, int(budget / (one * len(fns)))))
    fastest = dict.fromkeys(fns, float("inf"))
    names = list(fns)
    for round in range(rounds):
        for name in names[round % len(names):] + names[:round % len(names)]:  # rotate: no one always goes first
            fn = fns[name]
            start = time.perf_counter()
            fn()
            fastest[name] = min(fastest[name], time.perf_counter() - start)
    return fastest


def import_generated(source: str, directory: Path, stem: str):
    path = directory / f"{stem}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"bench_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def same_weights(target: torch.nn.Module, source: torch.nn.Module) -> bool:
    """Copy `source`'s weights into `target` by position (the seeds number what specc names), if they line up.

    They do not for the d2l ResNet, whose Residual registers conv3 before bn1: then both keep their own
    default-initialised weights, which costs the same to run.
    """
    theirs = list(source.state_dict().values())
    ours = target.state_dict()
    if [tuple(v.shape) for v in ours.values()] != [tuple(v.shape) for v in theirs]:
        return False
    target.load_state_dict(dict(zip(ours, theirs)))
    return True


def run_case(name: str, spec: str, hand: Callable[[], torch.nn.Module], shape: tuple, directory: Path,
             budget: float, min_rounds: int) -> dict:
    path = ROOT / spec
    graph = specc.shapes(path)
    cls = getattr(import_generated(specc.emit(path), directory, Path(spec).stem + str(len(shape))), graph.model)

    construct = {
        "hand-written": lambda: hand(),
        "generated": lambda: cls(),
        "in memory": lambda: build_module(graph),
        "specc.build": lambda: specc.build(path),
    }
    construct_times = interleaved_best(construct, budget / 2, max(3, min_rounds // 2))

    torch.manual_seed(0)
    models = {"hand-written": hand().eval(), "generated": cls().eval(), "in memory": build_module(graph).eval()}
    copied = {key: same_weights(models[key], models["hand-written"]) for key in ("generated", "in memory")}
    x = torch.randn(*shape)
    with torch.inference_mode():
        reference = models["hand-written"](x)
        for key in ("generated", "in memory"):  # the same function, or at least the same shapes
            y = models[key](x)
            if copied[key]:
                torch.testing.assert_close(y, reference, atol=1e-4, rtol=1e-4)
            assert y.shape == reference.shape
        forward_times = interleaved_best({k: (lambda m=m: m(x)) for k, m in models.items()}, budget, min_rounds)
    return {"name": name, "forward": forward_times, "construct": construct_times}


def report(results: list[dict]) -> None:
    def table(title: str, key: str, columns: list[str]) -> None:
        print(f"\n{title} (ms, best of all rounds; ratio = variant / hand-written)")
        head = f"{'model':34}" + "".join(f"{c:>14}" for c in columns) + "".join(
            f"{'x ' + c:>16}" for c in columns[1:])
        print(head)
        print("-" * len(head))
        for r in results:
            times = r[key]
            base = times["hand-written"]
            row = f"{r['name']:34}" + "".join(f"{times[c] * 1e3:14.3f}" for c in columns)
            row += "".join(f"{times[c] / base:16.2f}" for c in columns[1:])
            print(row)

    table("Forward, one thread", "forward", ["hand-written", "generated", "in memory"])
    table("Construction", "construct", ["hand-written", "generated", "in memory", "specc.build"])
    print("\n`in memory` builds from a ready IR; `specc.build` also parses, checks and elaborates the spec.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (about 20 s)")
    args = parser.parse_args()
    budget, min_rounds = (1.5, 5) if args.quick else (6.0, 15)

    torch.set_num_threads(1)
    started = time.perf_counter()
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, specc {specc.__version__}, "
          f"{torch.get_num_threads()} thread")
    results = []
    with tempfile.TemporaryDirectory() as directory:
        for case in CASES:
            results.append(run_case(*case, Path(directory), budget, min_rounds))
            print(f"  measured {case[0]}", flush=True)
    report(results)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
