"""Pins the extraction of the seed models: every shape table printed in the
seed notes must match a walk over the corresponding model in seed_models."""

import pytest

torch = pytest.importorskip("torch")

import seed_models  # noqa: E402
from seed_tables import (  # noqa: E402
    SEED_BLOCK_SHAPES,
    SEED_TABLE_INPUTS,
    SEED_TABLE_MODELS,
    SEED_TABLES,
)


def walk(net, shape):
    """The seeds' loop: run the top-level children one by one, record
    (class name, output shape)."""
    torch.manual_seed(0)
    X = torch.randn(shape)
    rows = []
    with torch.no_grad():
        for layer in net:
            X = layer(X)
            rows.append((layer.__class__.__name__, tuple(X.shape)))
    return rows


def build(key):
    name, kwargs = SEED_TABLE_MODELS[key]
    return getattr(seed_models, name)(**kwargs)


def test_tables_are_consistent():
    assert set(SEED_TABLES) == set(SEED_TABLE_INPUTS) == set(SEED_TABLE_MODELS)
    for key in SEED_TABLES:
        assert SEED_TABLE_INPUTS[key] == seed_models.SEED_INPUTS[key]


@pytest.mark.parametrize("key", sorted(SEED_TABLES))
def test_seed_table_matches_model(key):
    net = build(key)
    # Train mode, as in the seeds (none of the tabled models has BatchNorm1d).
    assert walk(net, SEED_TABLE_INPUTS[key]) == SEED_TABLES[key]


@pytest.mark.parametrize("name, args, kwargs, in_shape, out_shape",
                         SEED_BLOCK_SHAPES)
def test_seed_block_shapes(name, args, kwargs, in_shape, out_shape):
    blk = getattr(seed_models, name)(*args, **kwargs)
    with torch.no_grad():
        assert tuple(blk(torch.rand(in_shape)).shape) == out_shape


@pytest.mark.parametrize("name", sorted(seed_models.SEED_INPUTS))
def test_every_seed_model_runs(name):
    """Models without a printed table still build and give 10 logits."""
    if name == "vgg11_small":
        net = seed_models.vgg11(ratio=4)
    else:
        net = getattr(seed_models, name)()
    net.eval()  # lenet_bn's BatchNorm1d needs eval() at batch size 1
    with torch.no_grad():
        out = net(torch.randn(seed_models.SEED_INPUTS[name]))
    assert tuple(out.shape) == (1, 10)
