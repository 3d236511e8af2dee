"""The seeds' earlier models as specs (`specs/seeds/`), against the seeds' own code (`seed_models.py`).

For each: the built module and the generated file's class load the seed
model's state_dict strictly and compute its outputs; and, with one torch
seed, they hold the very tensors the seed's code holds after its own
initialisation (`net.apply(init_weights)`, `net[0].apply(xavier)`, ...).
That holds because the seed code and specc do the same things in the same
order: make every layer in turn (each drawing torch's default
initialisation), then initialise in `modules()` order; a seed's `apply`
visits the same layers in the same order, since their modules are leaves.
"""

from __future__ import annotations

import importlib.util
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import seed_models  # noqa: E402
import specc  # noqa: E402

SEEDS = Path(__file__).resolve().parent.parent / "specs" / "seeds"
_counter = itertools.count()


@dataclass(frozen=True)
class Case:
    spec: str
    model: str
    seed: Callable[[], nn.Module]   # the seed's model
    init: Optional[Callable] = None  # what the seed's code does to it after making it
    input: tuple = (3, 1, 28, 28)
    same_order: bool = True  # whether the seed makes its layers in the order they are applied

    @property
    def id(self) -> str:
        return f"{self.spec}-{self.model}"


def _xavier_and_42(net: nn.Module) -> None:
    # 004 "参数管理": `net[0].apply(xavier)`, then `net[2].apply(init_42)`
    net[0].apply(seed_models.xavier)
    net[2].apply(seed_models.init_42)


CASES = [
    Case("softmax.spec", "SoftmaxRegression", seed_models.softmax_regression,
         lambda net: net.apply(seed_models.init_weights_normal)),
    Case("mlp.spec", "MLP", seed_models.mlp, lambda net: net.apply(seed_models.init_weights_normal)),
    Case("dropout_mlp.spec", "DropoutMLP", seed_models.dropout_mlp,
         lambda net: net.apply(seed_models.init_weights_normal)),
    Case("blocks.spec", "SequentialMLP", seed_models.mlp_sequential, input=(3, 20)),
    Case("blocks.spec", "MLP", seed_models.MLP, input=(3, 20)),
    Case("blocks.spec", "NestMLP", seed_models.NestMLP, input=(3, 20)),
    Case("param_management.spec", "NormalInit", seed_models.param_net,
         lambda net: net.apply(seed_models.init_normal), input=(2, 4)),
    Case("param_management.spec", "ConstantInit", seed_models.param_net,
         lambda net: net.apply(seed_models.init_constant), input=(2, 4)),
    Case("param_management.spec", "XavierAnd42", seed_models.param_net, _xavier_and_42, input=(2, 4)),
    Case("lenet_train_ch6.spec", "LeNet", seed_models.lenet, lambda net: net.apply(seed_models.train_ch6_init)),
    # The seed makes `shared` before the layer in front of it: its draws come first.
    Case("tied.spec", "Tied", seed_models.tied, input=(3, 4), same_order=False),
]
SAME_ORDER = [c for c in CASES if c.same_order]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Each case's generated file, imported: (spec, model) -> the generated class."""
    out = {}
    folder = tmp_path_factory.mktemp("seed_specs")
    for case in CASES:
        name = f"seed_spec_{next(_counter)}"
        path = folder / f"{name}.py"
        path.write_text(specc.emit(SEEDS / case.spec, model=case.model), encoding="utf-8")
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        out[case.spec, case.model] = getattr(module, case.model)
    return out


def _ours(case: Case, files) -> list[nn.Module]:
    return [specc.build(SEEDS / case.spec, model=case.model), files[case.spec, case.model]()]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_seed_models_state_dict_loads_strictly_and_computes_the_same(case, files):
    seed = case.seed().eval()
    x = torch.randn(case.input)
    for net in _ours(case, files):
        net.load_state_dict(seed.state_dict(), strict=True)
        net.eval()  # the dropout MLP: no dropout, as `d2l.evaluate_accuracy` does
        with torch.no_grad():
            assert torch.equal(net(x), seed(x))


@pytest.mark.parametrize("case", SAME_ORDER, ids=[c.id for c in SAME_ORDER])
def test_one_torch_seed_gives_the_seed_codes_tensors(case, files):
    for number in (0, 42):
        torch.manual_seed(number)
        seed = case.seed()
        if case.init is not None:
            case.init(seed)
        expected = seed.state_dict()
        for make in (lambda: specc.build(SEEDS / case.spec, model=case.model), files[case.spec, case.model]):
            torch.manual_seed(number)
            got = make().state_dict()
            assert list(got) == list(expected)
            assert all(torch.equal(got[k], expected[k]) for k in got), (case.id, number)


def test_each_seed_initialisation_is_one_line_of_the_spec():
    """The MLP's `normal(std=0.01)` with zero biases, and train_ch6's Xavier for conv and linear."""
    normal = (SEEDS / "param_management.spec").read_text(encoding="utf-8")
    assert "    init linear: weight=normal(std=0.01), bias=zeros\n" in normal
    ch6 = (SEEDS / "lenet_train_ch6.spec").read_text(encoding="utf-8")
    assert "    init conv, linear: weight=xavier_uniform\n" in ch6


def test_the_rules_change_the_tensors():
    """Not vacuous: without the seed's initialisation the tensors differ."""
    torch.manual_seed(0)
    plain = seed_models.mlp()
    torch.manual_seed(0)
    ours = specc.build(SEEDS / "mlp.spec")
    assert not torch.equal(plain[1].weight, ours[1].weight)
    assert 0.009 < ours[1].weight.std().item() < 0.011
    assert torch.equal(plain[1].bias, ours[1].bias)  # the seed keeps torch's bias, and so does the spec
