"""Every op's parameter and mult-add counts equal torchinfo's, at every rank the op takes.

For each op, a call with arguments that change its counts (groups, `per_channel`,
`dims`, `affine`, `bias`), in a one-layer model at each sample rank it
accepts: `specc shapes`' totals against `torchinfo.summary()` of the module
`specc.build` makes. With a symbolic batch specc counts one sample, so torchinfo,
run on a batch of 2 (batch and group norm refuse some layers a batch of 1),
counts twice its mult-adds; with a batch of 2 on the input line, the same.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
torchinfo = pytest.importorskip("torchinfo")

import specc  # noqa: E402
from specc.diagnostics import SpecError  # noqa: E402
from specc.ops import OPS  # noqa: E402

CALLS = {
    "conv": ["conv(6, k=3, g=2)", "conv(4, k=1, bias=false)"],
    "conv_transpose": ["conv_transpose(6, k=3, s=2, g=2)", "conv_transpose(4, k=2, bias=false, op=1, s=2)"],
    "linear": ["linear(5)", "linear(5, bias=false)"],
    "batchnorm": ["batchnorm", "batchnorm(affine=false)"],
    "groupnorm": ["groupnorm(2)", "groupnorm(4, affine=false)"],
    "instancenorm": ["instancenorm(affine=true)", "instancenorm(track_running_stats=true)"],
    "layernorm": ["layernorm", "layernorm(dims=2)", "layernorm(bias=false)", "layernorm(affine=false)"],
    "layernorm2d": ["layernorm2d", "layernorm2d(bias=false)"],
    "prelu": ["prelu", "prelu(per_channel=true)"],
    "local_response_norm": ["local_response_norm(3)"],
    "upsample": ["upsample(scale=2)"],
    "pixel_shuffle": ["pixel_shuffle(2)"],
    "pixel_unshuffle": ["pixel_unshuffle(2)"],
    "channel_shuffle": ["channel_shuffle(2)"],
    "center_crop": ["center_crop(2)"],
    "unflatten": ["unflatten(1, [2, -1])"],
    "stochastic_depth": ["stochastic_depth(0.5)"],
    "maxpool": ["maxpool(k=2)"],
    "avgpool": ["avgpool(k=2)"],
    "adaptive_avgpool": ["adaptive_avgpool(2)"],
    "adaptive_maxpool": ["adaptive_maxpool(2)"],
}
SAMPLES = {2: (4,), 3: (4, 8), 4: (4, 8, 8), 5: (4, 4, 6, 6)}


def cases():
    for name in sorted(OPS):
        for call in CALLS.get(name, [name]):
            for rank, sample in SAMPLES.items():
                sizes = " x ".join(map(str, sample))
                yield pytest.param(call, f"N x {sizes}", (2, *sample), id=f"{call}-rank{rank}")
                if rank in (2, 4):  # a batch of 2, which torchinfo counts mult-adds for
                    yield pytest.param(call, f"2 x {sizes}", (2, *sample), id=f"{call}-rank{rank}-batch2")


@pytest.mark.parametrize("call, input, size", list(cases()))
def test_counts_equal_torchinfo(call, input, size):
    text = f"model M:\n    input {input}\n    {call}\n"
    try:
        graph = specc.shapes(text)
    except SpecError as error:
        assert error.code in ("E0304", "E0402"), error  # a rank the op does not take, or dims beyond it
        return
    model = specc.build(text)
    stats = torchinfo.summary(model, input_size=size, verbose=0, mode="eval", device="cpu")
    batch = size[0] if graph.input[0] == "N" else 1
    assert (graph.total_params, graph.total_macs * batch) == (stats.total_params, stats.total_mult_adds)
