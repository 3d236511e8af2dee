"""The static analyses held to torch: receptive fields, activation memory, FLOPs. Measured, never pinned.

- Receptive fields: every probed layer's field (per axis) equals the extent
  of the input its units depend on, measured by brute force with torch's
  autograd (`torch_measure.field_extents` says what makes the measured extent
  exactly the theoretical maximum), for the bundled seed models (residual,
  concat, named values, upsampling) on inputs larger than their fields, for
  small models of every geometry specc knows, on both axes, and for random
  programs (`test_shapes_properties.programs`).
- Memory: the inference peak, the bytes autograd saves and the training
  peak equal what torch allocates and saves on the CPU
  (`torch_measure.memory_figures`), for every bundled model, every op, and
  random programs.
- FLOPs: each conv and linear layer's FLOPs, less its bias additions, equal
  `torch.utils.flop_counter.FlopCounterMode`'s count for that module.
  (Mult-adds are held to torchinfo's elsewhere: `tests/test_op_counts.py`.)
"""

from __future__ import annotations

import glob
import math
import textwrap

import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # the test workers share the cores; one thread each is fastest in all

import specc  # noqa: E402
from specc.analysis import WHOLE, analyse  # noqa: E402
from specc.analysis import fields, flops, memory  # noqa: E402
from specc.ir import walk  # noqa: E402
from specc.ops import OPS  # noqa: E402
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from specc.diagnostics import SpecError  # noqa: E402
from test_shapes_properties import LONG, programs, render  # noqa: E402
from torch_measure import field_extents, memory_figures  # noqa: E402

# ---------------------------------------------------------------- receptive fields of the bundled models

# (spec, overrides, input, depth of the rows probed (None: all), whether both axes are measured, units probed
# side by side). Inputs are taller than the largest field and, where only the height is measured, narrow (the
# bundled models' kernels are square; the small models below hold the axes apart). Where a field depends on
# the unit's phase (after an upsampling), consecutive units cover its period: the autoencoder's is 4 (a
# stride-2 transposed conv, then a 2x upsampling), the detector's 2, a U-Net's 2 ** depth (its up-convolutions
# give each unit the field of the one at the bottom it comes from).
SEED_MODELS = [
    ("specs/lenet.spec", {}, (1, 1, 64, 64), None, True, 1),
    ("specs/lenet_bn.spec", {}, (1, 1, 64, 64), None, True, 1),
    ("specs/autoencoder.spec", {}, (1, 1, 64, 64), None, True, 4),
    ("specs/seeds/lenet_train_ch6.spec", {}, (1, 1, 48, 48), None, True, 1),
    ("specs/seeds/mlp.spec", {}, (1, 1, 28, 28), None, True, 1),
    ("specs/seeds/softmax.spec", {}, (1, 1, 28, 28), None, True, 1),
    ("specs/seeds/dropout_mlp.spec", {}, (1, 1, 28, 28), None, True, 1),
    ("specs/alexnet.spec", {}, (1, 1, 256, 96), None, False, 1),
    ("specs/vgg11.spec", {"ratio": 4}, (1, 1, 192, 32), 0, False, 1),
    ("specs/nin.spec", {}, (1, 1, 240, 68), 0, False, 1),
    ("specs/resnet18.spec", {}, (1, 1, 480, 32), 1, False, 1),
    ("specs/googlenet.spec", {}, (1, 1, 736, 32), 0, False, 1),
    ("specs/densenet.spec", {"growth": 8}, (1, 1, 576, 32), 0, False, 1),
    ("specs/yolo_like.spec", {"width": 4}, (1, 3, 480, 64), 0, False, 2),
    ("specs/unet.spec", {"width": 4, "depth": 3}, (1, 1, 188, 188), 2, True, 8),
    ("specs/unet.spec", {"width": 4, "depth": 3, "padding": 1}, (1, 1, 160, 160), 2, True, 8),
]
PROBES = 8  # layers probed per model at most (besides the last), spread over its depth


def probed_rows(graph, facts, depth):
    """Module rows (the ones hooks can reach) at or above `depth`, one per distinct field, at most PROBES + 1."""
    seen, rows = set(), []
    for row in walk(graph.body):
        node = row.node
        if not node.module or node.kind == "value" or node.shared is not None:
            continue
        if depth is not None and row.depth > depth:
            continue
        if id(facts.field(node)) not in seen:
            seen.add(id(facts.field(node)))
            rows.append(row)
    if len(rows) > PROBES + 1:
        step = len(rows) / PROBES
        rows = [rows[int(i * step)] for i in range(PROBES)] + [rows[-1]]
    return rows


def check_fields(spec, overrides, shape, depth, both_axes, phases):
    """Each probed layer: a field of a size is that size in torch; a whole field is the extent that all the
    layer's units together depend on (the whole input, but for rows that a strided layer's floor leaves out)."""
    graph = specc.shapes(spec, input=shape, overrides=overrides)
    facts = analyse(graph)
    rows = probed_rows(graph, facts, depth)
    views = {row.node.path: row.node.in_shape for row in rows if row.node.kind == "layer" and row.node.op == "flatten"}
    whole = frozenset(row.node.path for row in rows if WHOLE in facts.field(row.node).sizes())
    measured = field_extents(specc.build(spec, input=shape, overrides=overrides), shape,
                             [row.node.path for row in rows], phases, views, whole)
    axes = range(len(shape) - 2) if both_axes else range(1)
    wrong = []
    for row in rows:
        sizes = facts.field(row.node).sizes()
        unit, every = measured[row.node.path]
        expected = [every[axis] if sizes[axis] == WHOLE else sizes[axis] for axis in axes]
        got = [unit[axis] for axis in axes]
        if expected != got:
            wrong.append(f"{row.node.path} ({row.node.op if row.node.kind == 'layer' else row.node.cls}): "
                         f"specc {[sizes[axis] for axis in axes]}, torch {got} (all units: {every})")
    assert not wrong, "\n".join(wrong)
    return rows


@pytest.mark.parametrize("spec, overrides, shape, depth, both_axes, phases", SEED_MODELS,
                         ids=[case[0].removeprefix("specs/") + "".join(f",{k}={v}" for k, v in case[1].items())
                              for case in SEED_MODELS])
def test_receptive_fields_of_the_bundled_models(spec, overrides, shape, depth, both_axes, phases):
    rows = check_fields(spec, overrides, shape, depth, both_axes, phases)
    assert len(rows) >= 2  # the probes reach into the model, not only its last layer


# ---------------------------------------------------------------- every geometry, both axes

GEOMETRIES = {
    "non-square windows": """
        conv(4, k=(1, 7), s=(1, 2), p=(0, 3)) -> relu
        conv(4, k=3, d=(2, 1), p=(2, 1)) -> maxpool(k=3, s=2, p=1, ceil_mode=true)
        conv(4, k=3, p="same", d=2) -> maxpool(k=(2, 3), s=(2, 1), d=(1, 2)) -> avgpool(k=3, s=(1, 2), p=1)
    """,
    "even kernels, same padding": """
        conv(4, k=3, s=2) -> conv(4, k=(2, 4), p="same")
        concat:
            identity
            conv(4, k=3, p=1) -> conv(4, k=2, p="same", d=3)
    """,
    "transposed convolutions": """
        conv(4, k=3, s=2) -> conv_transpose(4, k=3, s=2, p=1, output_padding=1)
        conv(4, k=3, s=4) -> conv_transpose(4, k=4, s=2, p=1) -> conv(4, k=3)
        conv(4, k=3, s=3) -> conv_transpose(4, k=1, s=2) -> conv(4, k=3) -> conv_transpose(4, k=3, s=3, d=2)
    """,
    "upsampling": """
        conv(4, k=3, s=2) -> upsample(scale=2) -> conv(4, k=3)
        upsample(scale=3, mode="bilinear") -> conv(4, k=3, s=2)
        upsample(scale=2, mode="bicubic") -> conv(4, k=3)
        conv(4, k=3, s=3) -> upsample(scale=(2, 3), mode="bilinear", align_corners=true)
        upsample(size=(120, 111), mode="nearest-exact") -> conv(4, k=3, s=2) -> upsample(scale=1.5)
    """,
    "pixel shuffles": """
        conv(16, k=3) -> pixel_shuffle(2) -> conv(4, k=3) -> pixel_unshuffle(2) -> conv(4, k=3)
    """,
    "adaptive pools": """
        conv(4, k=3) -> adaptive_avgpool((7, 5)) -> conv(4, k=3, p=1) -> adaptive_maxpool((3, 1))
    """,
    "branches": """
        conv(8, k=3)
        add:
            conv(8, k=5, p=2)
            conv(8, k=(1, 3), p=(0, 1)) -> conv(8, k=(3, 1), p=(1, 0))
            identity
        concat:
            maxpool(k=3, s=1, p=1)
            conv(8, k=3, p=2, d=2)
        chunk 2:
            conv(8, k=7, p=3)
            identity
        split [4, 12]:
            identity
            conv(12, k=1) -> conv(12, k=3, s=2, p=1) -> upsample(scale=2)
    """,
    "named values": """
        conv(4, k=3, p=1) as first
        conv(4, k=3, s=2) -> conv(4, k=3, s=2, p=1) -> upsample(scale=4)
        concat:
            identity
            first
        first -> conv(4, k=5, p=2) as late
        add:
            late
            conv(4, k=3, p=1)
    """,
    "reductions over positions": """
        conv(4, k=3) -> softmax(dim=-1) -> conv(4, k=3)
        layernorm(dims=2) -> conv(4, k=3)
    """,
    "squeeze and excitation": """
        conv(8, k=3)
        mul:
            global_avgpool -> conv(8, k=1) -> sigmoid
            identity
    """,
    "normalisations over positions": """
        conv(4, k=3) -> groupnorm(2) -> conv(4, k=3)
    """,
    "blocks": """
        down(8) -> down(8) -> conv(8, k=3)
        add:
            down(8) -> upsample(scale=2)
            identity
    """,
}

BLOCKS = "block down(c):\n    conv(c, k=3, p=1) -> relu -> maxpool(k=2)\n\n"


@pytest.mark.parametrize("name", GEOMETRIES)
def test_fields_of_every_geometry(name, tmp_path):
    body = textwrap.indent(textwrap.dedent(GEOMETRIES[name]).strip(), "    ")
    spec = tmp_path / "geometry.spec"
    spec.write_text(f"{BLOCKS}model Geometry:\n    input 2 x 96 x 104\n{body}\n", encoding="utf-8")
    check_fields(str(spec), {}, (1, 2, 96, 104), None, True, phases=12)  # every period up to 12


def test_fields_in_one_and_three_dims(tmp_path):
    spec = tmp_path / "dims.spec"
    spec.write_text("model OneD:\n    input N x 2 x 60\n    conv(4, k=5, s=2) -> maxpool(k=3, s=2) -> "
                    "upsample(scale=3, mode=\"linear\") -> conv(4, k=3, d=2)\n\n"
                    "model ThreeD:\n    input N x 2 x 9 x 17 x 15\n    conv(4, k=(1, 3, 5), s=(1, 2, 1)) -> "
                    "maxpool(k=2) -> upsample(scale=2, mode=\"trilinear\") -> conv(4, k=3)\n", encoding="utf-8")
    for model, shape in (("OneD", ("N", 2, 60)), ("ThreeD", ("N", 2, 9, 17, 15))):
        graph = specc.shapes(str(spec), model=model, input=shape)
        facts = analyse(graph)
        rows = probed_rows(graph, facts, None)
        whole = frozenset(row.node.path for row in rows if WHOLE in facts.field(row.node).sizes())
        measured = field_extents(specc.build(str(spec), model=model, input=shape), shape,
                                 [row.node.path for row in rows], phases=12, every=whole)
        for row in rows:
            sizes = facts.field(row.node).sizes()
            unit, every = measured[row.node.path]
            assert [every[axis] if size == WHOLE else size for axis, size in enumerate(sizes)] == unit, row.node.path


# Ops through which every path keeps a positive value and a nonzero derivative (the measurement's premise,
# `torch_measure`): random programs of only these are measured. (A norm can make values negative, and a ReLU
# after it then cuts paths; `hardtanh` saturates.)
POSITIVE = {"conv", "conv_transpose", "maxpool", "avgpool", "adaptive_avgpool", "adaptive_maxpool", "global_avgpool",
            "global_maxpool", "upsample", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "relu", "relu6",
            "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "hardswish", "sigmoid", "tanh", "softplus",
            "batchnorm", "dropout", "dropout2d", "dropout3d", "stochastic_depth", "identity", "center_crop", "prelu"}


@settings(max_examples=30 * (20 if LONG else 1), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(programs())
def test_fields_of_random_programs(program):
    """Random stacks, branches, named values and blocks of the ops in POSITIVE, every layer probed where its
    probes see no border: the units probed cover the field's period and their fields lie inside the input."""
    text = render(program)
    try:
        graph = specc.shapes(text)
    except SpecError:
        assume(False)
    layers = [row.node for row in walk(graph.body) if row.node.kind == "layer"]
    assume(len(graph.input) >= 3 and all(node.op in POSITIVE for node in layers))
    facts = analyse(graph)
    shape = (1, *graph.input[1:])
    rows = [row for row in walk(graph.body) if row.node.module and row.node.shared is None
            and measurable(facts.field(row.node), row.node.out_shape, shape)]
    assume(rows)
    whole = frozenset(row.node.path for row in rows if WHOLE in facts.field(row.node).sizes())
    measured = field_extents(specc.build(text), shape, [row.node.path for row in rows], 12, every=whole)
    for row in rows:
        unit, every = measured[row.node.path]
        sizes = facts.field(row.node).sizes()
        assert [every[axis] if size == WHOLE else size for axis, size in enumerate(sizes)] == unit, \
            f"{row.node.path}\n{text}"


def measurable(field, out_shape: tuple, input_shape: tuple, probes: int = 12) -> bool:
    """Whether probing `probes` units from the centre of each axis measures `field` exactly."""
    if field.axes is None or not field.aligned or None in field.axes:
        return False
    if all(axis == WHOLE for axis in field.axes):
        return True
    if len(out_shape) != len(input_shape):
        return False
    for axis, n_out, n_in in zip(field.axes, out_shape[2:], input_shape[2:]):
        if axis == WHOLE:
            continue
        centre = n_out // 2
        if axis.period > probes or centre + axis.period > n_out:
            return False  # the probes would not cover every phase
        for o in range(centre, centre + axis.period):
            lo, hi = axis.lo[o % axis.period], axis.hi[o % axis.period]
            if lo is not None and not (0 <= lo + axis.advance * (o // axis.period) and
                                       hi + axis.advance * (o // axis.period) < n_in):
                return False  # a border clips it
    return True


def test_a_field_is_taken_in_the_first_inputs_pixels():
    """A branch computed from another input alone adds no position of the first; joined, the first's shows."""
    graph = specc.shapes("model TwoInputs:\n    input image: 2 x 32 x 32\n    input mask: 1 x 32 x 32\n"
                         "    conv(4, k=3, p=1)\n    concat:\n        identity\n        mask -> conv(4, k=5, p=2)\n")
    facts = analyse(graph)
    layers = [row.node for row in walk(graph.body) if row.node.kind == "layer"]
    assert facts.field(layers[0]).sizes() == (3, 3)
    assert facts.field(layers[-1]).axes is None  # the mask's conv: nothing of the image
    assert facts.field(graph.body[-1]).sizes() == (3, 3)


DENSE = """model Dense(n=200):
    input 3 x 32 x 32
    conv(8, k=3, p=1)
    repeat n:
        concat:
            identity
            conv(2, k=3, p=1)
    conv(8, k=1)
    chunk 2:
        conv(4, k=3, p=1)
        identity
"""


def test_a_dense_block_keeps_a_bounded_number_of_runs_and_exact_mixed_fields(monkeypatch):
    """Each `concat` of a dense block adds a run of channels, each with a field of its own; past
    `field_runs` neighbours merge, so the work stays linear (the fuzzing campaign found a 1,000-layer
    block taking seconds). A layer that reads every channel gets the exact field either way, a `chunk`
    of a merged tensor at least its exact one."""
    graph = specc.shapes(DENSE)
    capped = analyse(graph)
    assert max(len(runs) for runs in capped.segments.values()) == fields.RUNS_LIMIT
    monkeypatch.setattr(fields, "RUNS_LIMIT", 1 << 20)
    exact = analyse(graph)
    assert max(len(runs) for runs in exact.segments.values()) == 201
    layers = [row.node for row in walk(graph.body) if row.node.kind == "layer"]
    mixing = [node for node in layers if node.op == "conv" and node.args["kernel"] == (1, 1)]
    assert capped.field(mixing[0]).sizes() == exact.field(mixing[0]).sizes() == (403, 403)
    for node in layers:
        assert all(c >= e for c, e in zip(capped.field(node).sizes(), exact.field(node).sizes()))


# ---------------------------------------------------------------- memory

BUNDLED = sorted(glob.glob("specs/*.spec") + glob.glob("specs/seeds/*.spec") + glob.glob("specs/torchvision/*.spec"))
# Custom layers are user code: what they save is assumed (their input), not known.
DECLARING = {"specs/seeds/centered.spec", "specs/seeds/mylinear.spec"}
# The memory model does not depend on the size: the large models run smaller, for speed.
SMALLER = {"specs/alexnet.spec": 96, "specs/vgg11.spec": 32, "specs/nin.spec": 68, "specs/resnet152.spec": 64,
           "specs/unet.spec": 188,
           **{spec: 96 for spec in BUNDLED if spec.startswith("specs/torchvision/")}}


NARROWER = {"specs/unet.spec": {"width": 8}}


@pytest.mark.parametrize("spec", [spec for spec in BUNDLED if spec not in DECLARING])
def test_memory_of_the_bundled_models(spec):
    overrides = NARROWER.get(spec, {})
    sample = specc.shapes(spec, overrides=overrides).input[1:]
    if spec in SMALLER:
        sample = (sample[0], SMALLER[spec], SMALLER[spec])
    shape = (2, *sample)
    memory = analyse(specc.shapes(spec, input=shape, overrides=overrides)).memory
    figures = memory_figures(spec, shape, overrides)
    assert (memory.inference_peak, memory.training_saved, memory.training_peak) == figures


OP_STATEMENTS = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "hardswish", "hardsigmoid",
       "hardtanh", "softplus", "prelu", "prelu(per_channel=true)", "sigmoid", "tanh", "softmax", "log_softmax",
       "softmax(dim=-1)", "maxpool(k=2)", "maxpool(k=3, s=2, p=1, ceil_mode=true)", "avgpool(k=2)",
       "adaptive_avgpool(2)", "adaptive_avgpool(1)", "adaptive_maxpool(2)", "global_avgpool", "global_maxpool",
       "upsample(scale=2)", 'upsample(scale=2, mode="bilinear")', "pixel_shuffle(2)", "pixel_unshuffle(2)",
       "channel_shuffle(2)", "flatten", "unflatten(1, (2, 2))", "dropout", "dropout(0)", "dropout(1)", "dropout2d",
       "dropout2d(1)", "stochastic_depth(1)",
       "stochastic_depth(0.5)", 'stochastic_depth(0.5, mode="batch")', "identity", "batchnorm",
       "batchnorm(affine=false)", "groupnorm(2)", "instancenorm", "instancenorm(affine=true)",
       "instancenorm(track_running_stats=true)", "instancenorm(affine=true, track_running_stats=true)",
       "layernorm", "layernorm(dims=3)", "layernorm2d", "local_response_norm(2)", "conv(4, k=3)",
       'conv(4, k=2, p="same")', 'conv(4, k=(3, 2), p="same", d=(1, 3))',
       "conv_transpose(4, k=2, s=2)", "conv(4, k=3, bias=false)", "flatten -> linear(5)",
       "flatten -> linear(5, bias=false) -> batchnorm"]
COMBINATORS = ["add:\n        identity\n        conv(4, k=1)",
               "mul:\n        identity\n        conv(4, k=1)\n        sigmoid",
               "concat:\n        identity\n        conv(4, k=1)",
               "chunk 2:\n        conv(2, k=1)\n        identity",
               "split [1, 3]:\n        identity\n        relu",
               "mul:\n        global_avgpool -> conv(4, k=1) -> sigmoid\n        identity",
               "add:\n        global_avgpool\n        identity\n        relu"]


@pytest.mark.parametrize("after_a_conv", [False, True], ids=["on the input", "after a conv"])
@pytest.mark.parametrize("statement", OP_STATEMENTS + COMBINATORS)
def test_memory_of_every_op(statement, after_a_conv, tmp_path):
    """On the input (nothing requires a gradient: only parameters make autograd record) and after a conv."""
    spec = tmp_path / "op.spec"
    spec.write_text(f"model Op:\n    input 2 x 4 x 8 x 8\n    {'conv(4, k=1)' if after_a_conv else 'identity'}\n"
                    f"    {statement}\n", encoding="utf-8")
    memory = analyse(specc.shapes(str(spec))).memory
    assert (memory.inference_peak, memory.training_saved, memory.training_peak) == \
        memory_figures(str(spec), (2, 4, 8, 8))


@settings(max_examples=40 * (20 if LONG else 1), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs())
def test_memory_of_random_programs(program):
    """Random stacks, branches, named values and blocks (tests/test_shapes_properties.py's programs)."""
    text = render(program)
    try:
        graph = specc.shapes(text)
    except SpecError:
        assume(False)
    batch = 2 if graph.input[0] == "N" else graph.input[0]  # a batch of 2 for the symbolic one (--batch 2)
    memory = analyse(graph, batch).memory
    try:
        figures = memory_figures(text, (batch, *graph.input[1:]), built_at=None)
    except ValueError as error:  # training mode refuses what evaluation takes (a batch norm of one value)
        assume("Expected more than 1 value per channel" not in str(error))
        raise
    assert (memory.inference_peak, memory.training_saved, memory.training_peak) == figures, text


def test_parameters_gradients_and_buffers():
    net = specc.build("specs/resnet18.spec")
    memory = analyse(specc.shapes("specs/resnet18.spec")).memory
    assert memory.parameters == memory.gradients == sum(p.numel() * p.element_size() for p in net.parameters())
    assert memory.buffers == sum(b.numel() * b.element_size() for b in net.buffers())


# ---------------------------------------------------------------- FLOPs


FLOPS_CASES = [("specs/alexnet.spec", {}, None), ("specs/googlenet.spec", {}, None),
               ("specs/autoencoder.spec", {}, None), ("specs/torchvision/shufflenet_v2_x1_0.spec", {}, None),
               ("specs/seeds/tied.spec", {}, None), ("specs/yolo_like.spec", {}, None),
               ("specs/unet.spec", {"width": 8}, (1, 1, 188, 188))]  # grouped, transposed, shared, crops


@pytest.mark.parametrize("spec, overrides, shape", FLOPS_CASES, ids=[case[0] for case in FLOPS_CASES])
def test_flops_of_conv_and_linear_layers_equal_torchs_counter(spec, overrides, shape):
    from torch.utils.flop_counter import FlopCounterMode

    graph = specc.shapes(spec, overrides=overrides, input=shape)
    facts = analyse(graph)
    net = specc.build(spec, overrides=overrides, input=shape).eval()
    with FlopCounterMode(display=False) as counter:
        net(torch.rand(1, *graph.input[1:]))
    counted = {name.partition(".")[2]: sum(by_op.values()) for name, by_op in counter.get_flop_counts().items()}
    ours: dict[str, int] = {}
    for row in walk(graph.body):
        node = row.node
        if node.kind == "layer" and node.op in ("conv", "conv_transpose", "linear"):
            bias = math.prod(node.out_shape[1:]) if node.args["bias"] else 0  # one addition per output element
            path = node.shares or node.path  # a shared layer's applications count under its module
            ours[path] = ours.get(path, 0) + facts.flops(node) - bias
    assert ours == {path: counted[path] for path in ours}
    assert sum(ours.values()) == sum(counter.get_flop_counts()["Global"].values())


# ---------------------------------------------------------------- every op has its rule


def test_every_op_has_a_rule_in_every_analysis():
    """Adding an op means saying how it moves fields, what autograd saves of it, and its FLOPs."""
    ops = set(OPS)
    assert fields.POINTWISE | set(fields.GEOMETRY) | set(fields.EFFECTS) == ops
    assert not fields.POINTWISE & (set(fields.GEOMETRY) | set(fields.EFFECTS) | set(fields.ROUTES))
    assert set(fields.ROUTES) <= ops
    assert set(memory.SAVES) == ops
    assert set(flops.BY_OP) | set(flops.PER_ELEMENT) == ops and not set(flops.BY_OP) & set(flops.PER_ELEMENT)
