"""Weights: a state_dict saved with `torch.save`, loaded into a built model all at once or not at all.

    module = build_module(graph)
    load(module, graph, "lenet.pt")      # every key and shape fits, or one E0703 and nothing loaded

The file is read with `torch.load(..., weights_only=True)`, so it can hold
tensors but no code. Before anything is copied, its keys and shapes are
compared with the model's: one diagnostic, located at the model in the
spec, lists every key that is missing from the file, every key the model
does not have (with "did you mean" when a missing key of the same shape has
a close name: a renamed layer), and every tensor of the wrong shape (with
the layer's line). Only a file that fits entirely is loaded, with
`load_state_dict(strict=True)`: never the silent partial load of
`strict=False`. The one key torch itself lets a file omit is a batch norm's
`num_batches_tracked` in a state_dict saved before torch had it.

A file that cannot be read, or holds no state_dict, is the command line's
mistake (E0701, E0702: exit 2); a state_dict that does not fit the spec is
reported as the spec's (E0703: exit 1), like a shape error, because either
the spec or the file may be the one to change.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Mapping, Optional, Union

from . import ir
from .diagnostics import SpecError
from .ops import format_shape

PathLike = Union[str, Path]
SHOWN = 5  # entries shown per list before "... and N more"
CLOSE = 0.8  # how alike two keys' names must be (difflib's ratio) to suggest one for the other
COMPARED = 200_000  # name comparisons at most, for a file and a model that share nothing


def load(module, graph: ir.Graph, path: PathLike) -> None:
    """Load the state_dict in `path` into `module` (built from `graph`), or raise one diagnostic."""
    state = read(path)
    fit(graph, expected(module), state, str(path))
    module.load_state_dict(state, strict=True)


def verify(graph: ir.Graph, path: PathLike) -> int:
    """Check that the state_dict in `path` fits the model of `graph`; returns its number of tensors.

    The model is built on torch's meta device: its keys and shapes, without memory for its weights.
    """
    import torch

    from .backends.torch_module import build_module

    state = read(path)
    with torch.device("meta"):
        module = build_module(graph)
    fit(graph, expected(module), state, str(path))
    return len(state)


def expected(module) -> dict[str, tuple[int, ...]]:
    return {key: tuple(tensor.shape) for key, tensor in module.state_dict().items()}


# ---------------------------------------------------------------- reading


def read(path: PathLike) -> Mapping[str, Any]:
    """The state_dict in `path`: a mapping of names to tensors (E0701 if unreadable, E0702 if not one)."""
    import pickle
    import re

    import torch

    name = str(path)
    try:
        with open(path, "rb") as file:
            file.read(1)
    except OSError as error:
        reason = (error.strerror or type(error).__name__).lower()
        raise SpecError("E0701", f"cannot read the weights file `{name}`: {reason}",
                        help="check the path; relative paths are taken from the current directory") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        refused = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(error))
        if refused is None:
            raise _unreadable(name) from None
        raise SpecError("E0702", f"expected a state_dict in `{name}`, found a pickled `{refused.group(1)}`, which "
                        "loading with `weights_only=True` refuses", help="save the model's state_dict, not the model: "
                        "`torch.save(model.state_dict(), PATH)` (unpickling an object can run code, so specc reads "
                        "tensors only)") from None
    except Exception:  # noqa: BLE001 - torch raises many kinds (RuntimeError, EOFError, ...) on a foreign file
        raise _unreadable(name) from None
    _check_state_dict(state, name)
    return state


_SAVE_HELP = "save the model's weights as a state_dict: `torch.save(model.state_dict(), PATH)`"


def _unreadable(name: str) -> SpecError:
    return SpecError("E0702", f"expected a file written by `torch.save` in `{name}`, found one torch cannot read",
                     help=_SAVE_HELP)


def _check_state_dict(state: Any, name: str) -> None:
    if not isinstance(state, Mapping):
        raise SpecError("E0702", f"expected a state_dict (names to tensors) in `{name}`, found a "
                        f"{type(state).__name__}", help=_SAVE_HELP)
    import torch

    wrong = [key for key, value in state.items() if not (isinstance(key, str) and isinstance(value, torch.Tensor))]
    if not wrong:
        return
    nested = [key for key in wrong if isinstance(state[key], Mapping)
              and any(isinstance(v, torch.Tensor) for v in state[key].values())]
    help = _SAVE_HELP
    if nested:  # a training checkpoint: {"model": state_dict, "optimizer": ..., "epoch": 3}
        help = (f"this looks like a training checkpoint: its {nested[0]!r} entry holds tensors; save that alone: "
                f"`torch.save(checkpoint[{nested[0]!r}], PATH)`")
    shown = ", ".join(f"{key!r} ({type(state[key]).__name__})" for key in wrong[:3])
    more = f" and {len(wrong) - 3} more" if len(wrong) > 3 else ""
    raise SpecError("E0702", f"expected a state_dict (names to tensors) in `{name}`, found entries that are not "
                    f"tensors: {shown}{more}", help=help)


# ---------------------------------------------------------------- fitting


def fit(graph: ir.Graph, want: dict[str, tuple], state: Mapping[str, Any], name: str) -> None:
    """Raise one E0703 unless `state` has exactly the keys of `want`, each of its shape."""
    found = {key: tuple(tensor.shape) for key, tensor in state.items()}
    missing = [key for key in want if key not in found and not _may_be_absent(key, state)]
    unexpected = [key for key in found if key not in want]
    wrong = [key for key in want if key in found and found[key] != want[key]]
    if not (missing or unexpected or wrong):
        return
    renamed = _renamed(missing, unexpected, want, found)
    missing = [key for key in missing if key not in renamed.values()]
    unexpected = [key for key in unexpected if key not in renamed]
    where = _locations(graph)
    sections = [
        ("renamed", [f"the file's `{old}`: did you mean `{new}`?" for old, new in renamed.items()]),
        ("missing from the file", [f"`{key}` {format_shape(want[key])}{where(key)}" for key in missing]),
        ("not in the model", [f"`{key}` {format_shape(found[key])}" for key in unexpected]),
        ("of the wrong shape", [f"`{key}`: expected {format_shape(want[key])}, found {format_shape(found[key])}"
                                f"{where(key)}" for key in wrong]),
    ]
    hint = _prefix_hint(want, found)
    lines = [*([hint] if hint else []), "nothing was loaded; the keys that do not fit:"]
    for title, entries in sections:
        if entries:
            lines.append(f"{title} ({len(entries)}):")
            lines.extend("  " + entry for entry in entries[:SHOWN])
            if len(entries) > SHOWN:
                lines.append(f"  ... and {len(entries) - SHOWN} more")
    counts = [(len(renamed), "renamed"), (len(missing), "missing"), (len(unexpected), "unexpected"),
              (len(wrong), "of the wrong shape")]
    words = [f"{count} {what}" for count, what in counts if count]
    total = sum(count for count, _ in counts)
    kinds = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    found_words = f"1 key that does not: {kinds}" if total == 1 else f"{total} keys that do not: {kinds}"
    raise SpecError("E0703", f"expected the weights in `{name}` to fit `{graph.model}`, found {found_words}",
                    graph.name_span or graph.span, label="the model the weights are for", help="\n".join(lines))


def _may_be_absent(key: str, state: Mapping[str, Any]) -> bool:
    """Batch norm's step counter, which torch fills in when a file saved before it existed lacks it."""
    if not key.endswith(".num_batches_tracked"):
        return False
    version = (getattr(state, "_metadata", None) or {}).get(key.rsplit(".", 1)[0], {}).get("version")
    return version is None or version < 2


def _renamed(missing: list[str], unexpected: list[str], want: dict, found: dict) -> dict[str, str]:
    """Pairs (the file's key -> the model's) that differ only a little in the layer's path: a layer renamed.

    Both keys name the same tensor of their layer (`weight`, `running_mean`) with the same shape,
    and the layers' paths are alike (`feature.0` and `features.0`): two unrelated naming schemes
    (`layer1.0.bn1` and `b2.0.bn1`) are no near miss, and get no suggestion.
    """
    if len(missing) * len(unexpected) > COMPARED:
        return {}
    scored = []
    for old in unexpected:
        old_layer, _, old_tensor = old.rpartition(".")
        matcher = difflib.SequenceMatcher(None, b=old_layer)
        for new in missing:
            new_layer, _, new_tensor = new.rpartition(".")
            if new_tensor != old_tensor or found[old] != want[new]:
                continue
            matcher.set_seq1(new_layer)
            if matcher.real_quick_ratio() >= CLOSE and matcher.quick_ratio() >= CLOSE:
                ratio = matcher.ratio()
                if ratio >= CLOSE:
                    scored.append((-ratio, old, new))
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for _, old, new in sorted(scored):
        if old not in pairs and new not in taken:
            pairs[old] = new
            taken.add(new)
    order = {key: index for index, key in enumerate(want)}
    return dict(sorted(pairs.items(), key=lambda pair: order[pair[1]]))


def _prefix_hint(want: dict, found: dict) -> Optional[str]:
    """`module.conv1.weight` for `conv1.weight` everywhere: a model saved wrapped (nn.DataParallel, a trainer)."""
    first = {key.split(".", 1)[0] for key in found}
    if len(first) != 1 or not all("." in key for key in found):
        return None
    prefix = first.pop() + "."
    stripped = {key[len(prefix):] for key in found}
    if stripped != set(want):
        return None
    return (f"every key in the file starts with `{prefix}`, as a wrapped model's do (nn.DataParallel's): "
            f"strip it, `{{k.removeprefix({prefix!r}): v for k, v in state.items()}}`")


def _locations(graph: ir.Graph):
    """`key -> ", of `conv` at net.spec:5:5"`: the layer a state_dict key belongs to, where the spec writes it."""
    nodes = {row.node.path: row.node for row in ir.walk(graph.body) if row.node.module}

    def where(key: str) -> str:
        node = nodes.get(key.rsplit(".", 1)[0])
        if node is None:
            return ""
        what = node.op if node.kind == "layer" else node.cls
        return f", of `{what}` at {node.span}"

    return where
