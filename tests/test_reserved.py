"""The names a spec may not give a layer, checked against the installed torch.

`specc/reserved.py` keeps them as data so that static commands never import
torch; this test keeps that data true: every attribute an `nn.Module` or
`nn.Sequential` has (methods, properties, and what `__init__` sets) is
refused as a layer name, so no named layer can shadow one.
"""

from __future__ import annotations

import pytest

from specc import reserved

torch = pytest.importorskip("torch")
nn = torch.nn


def _public_attributes() -> set[str]:
    instance = nn.Sequential(nn.ReLU())
    names = set(dir(nn.Module)) | set(dir(nn.Sequential)) | set(vars(instance))
    return {name for name in names if not name.startswith("_")}


def test_every_module_attribute_is_reserved():
    missing = sorted(name for name in _public_attributes() if not reserved.clobbers_module(name))
    assert missing == [], "add these to reserved.MODULE_ATTRIBUTES"


def test_private_names_are_reserved():
    assert reserved.clobbers_module("_modules") and reserved.clobbers_module("_anything")


def test_ordinary_layer_names_are_free():
    for name in ("conv1", "bn1", "fc", "features", "classifier", "layer1", "downsample", "stem", "head"):
        assert not reserved.clobbers_module(name), name


def test_a_spec_naming_a_layer_forward_is_refused():
    import specc

    text = "model M:\n    input 3 x 8 x 8\n    forward = conv(4, k=3)\n"
    with pytest.raises(specc.SpecError) as caught:
        specc.check(text)
    assert caught.value.code == "E0208"


@pytest.mark.parametrize("name", sorted(reserved.GLOBAL_NAMES))
def test_a_model_named_for_a_global_of_the_generated_file_fails_check_not_build(name: str):
    """`specc check` reports every check a back-end would make: here the class that would hide `nn`."""
    import specc

    with pytest.raises(specc.SpecError) as caught:
        specc.check(f"model {name}:\n    input 3\n    linear(2)\n")
    assert caught.value.code == "E0208"
    assert f"the model name `{name}` would hide" in caught.value.message


def test_a_layer_named_for_a_name_the_generated_file_uses_says_so():
    import specc

    with pytest.raises(specc.SpecError) as caught:
        specc.check("model M:\n    input 3\n    nn = linear(2)\n")
    assert caught.value.message == "the name `nn` is a name the generated Python file uses"
