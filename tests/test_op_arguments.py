"""Every argument of every op, walked over the edges of torch's range: specc refuses exactly what torch does.

For each op and each of its arguments, the values at and around the bounds
torch checks (0 and 1 for sizes, 0 and 1 for probabilities, float32's
largest number for an activation's scalars, the input's rank for a dim,
every choice and one that is none), at every input rank the op is drawn at.
specc must raise `SpecError` exactly when torch fails to build the module
or to run its first forward (in training mode, where it checks the most);
where both accept, the shapes must agree. torch is built by the property
test's independent interpreter (`test_shapes_properties.build_module`),
never from specc's tables, with its documented rules (`Refused`).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from specc.api import shapes  # noqa: E402
from specc.diagnostics import SpecError  # noqa: E402
from specc.ops import OPS  # noqa: E402

from test_shapes_properties import TORCH_ERRORS, build_module, run_module, show  # noqa: E402

FLOAT32_MAX = 3.4028234663852886e38
BOUNDARIES = {
    "channels": [-1, 0, 1, 2, 3],
    "groups": [-1, 0, 1, 2, 3],
    "optional_int": [0, 1, 4, 5],
    "size": [-1, 0, 1, 2, 3, (1, 2), (2, 0)],
    "optional_size": [0, 1, 2, 3, (2, 3)],
    "padding": [-1, 0, 1, 2, (0, 1)],
    "conv_padding": [-1, 0, 1, 2, "same", "valid", "full"],
    "dim": [-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5],
    "probability": [-0.1, -1e-9, 0.0, 0.5, 1.0, 1.0000001, 1.5],
    "float": [-1.0, 0.0, 1e-12, 1.0, 1e39],
    "scalar": [-3.5e38, -FLOAT32_MAX, -1.0, 0.0, 1e-39, 3e-39, 1.0, FLOAT32_MAX, 3.5e38],
    "positive_float": [-1.0, -1e-12, 0.0, 1e-12, 1.0],
    "scale": [-1.0, 0.0, 0.1, 0.5, 1, 1.5, 2],
    "sizes": [(-1,), (2, -1), (-1, 2), (4, 1), (0, -1), (-1, -1), (-2, -2), (3, 5)],
    "bool": [True, False],
    "optional_bool": [True, False],
}
# The arguments an op needs besides the one walked (a call that torch and specc both accept).
BASE = {
    "conv": {"channels": 4, "kernel": 3}, "conv_transpose": {"channels": 4, "kernel": 3}, "linear": {"features": 3},
    "groupnorm": {"groups": 2}, "local_response_norm": {"size": 2}, "upsample": {"scale": 2},
    "pixel_shuffle": {"factor": 2}, "pixel_unshuffle": {"factor": 2}, "channel_shuffle": {"groups": 2},
    "center_crop": {"size": 2},
    "unflatten": {"dim": 1, "sizes": (2, -1)}, "stochastic_depth": {"p": 0.5}, "maxpool": {"kernel": 2},
    "avgpool": {"kernel": 2}, "adaptive_avgpool": {"size": 2}, "adaptive_maxpool": {"size": 2},
}
EXCLUDES = {("upsample", "size"): "scale"}  # walking one of two exclusive arguments drops the other
SAMPLES = {2: (4,), 3: (4, 6), 4: (4, 6, 6), 5: (4, 4, 4, 4)}
RANKS = {"conv": (3, 4, 5), "dim": (2, 3, 4, 5)}  # where a walk depends on the rank, every rank


def ranks_of(name: str) -> list[int]:
    """The sample ranks op `name` accepts with its base arguments (found through torch, not specc)."""
    found = []
    for rank, sample in SAMPLES.items():
        x = torch.randn(2, *sample)
        try:
            run_module(build_module(name, dict(BASE.get(name, {})), x), x)
        except TORCH_ERRORS:
            continue
        found.append(rank)
    return found


def cases():
    for name, op in sorted(OPS.items()):
        ranks = ranks_of(name)
        for arg in op.args:
            values = [*arg.choices, "bogus"] if arg.choices else BOUNDARIES[arg.kind]
            walk_ranks = ranks if arg.kind == "dim" or len(ranks) == 1 else ranks[:1] + ranks[-1:]
            for rank in walk_ranks:
                for value in values:
                    yield pytest.param(name, arg.name, value, rank, id=f"{name}-{arg.name}={value!r}-rank{rank}")


def spec_text(name: str, args: dict, rank: int) -> str:
    call = ", ".join(f"{key}={show(value)}" for key, value in args.items())
    return f"model M:\n    input N x {' x '.join(map(str, SAMPLES[rank]))}\n    {name}({call})\n"


@pytest.mark.parametrize("name, arg, value, rank", list(cases()))
def test_specc_refuses_exactly_what_torch_refuses(name, arg, value, rank):
    args = dict(BASE.get(name, {}))
    args.pop(EXCLUDES.get((name, arg), ""), None)
    args[arg] = value
    x = torch.randn(2, *SAMPLES[rank])
    try:
        theirs, refused = tuple(run_module(build_module(name, dict(args), x), x).shape), None
    except TORCH_ERRORS as error:
        theirs, refused = None, error
    text = spec_text(name, args, rank)
    try:
        ours = tuple(2 if d == "N" else d for d in shapes(text).output)
        error = None
    except SpecError as caught:
        ours, error = None, caught
    assert (error is None) == (refused is None), f"{text}specc: {error!r}\ntorch: {refused!r}"
    assert ours == theirs, text
