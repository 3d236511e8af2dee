"""Names a spec may not give a layer, block, parameter or variable.

A named statement becomes an attribute of the generated `nn.Module`, so it
must not shadow what `nn.Module` (or `nn.Sequential`, which repeated stacks
compile to) already defines: `forward = conv(...)` would break the model.
The list is data so that static commands need not import torch;
`tests/test_reserved.py` checks it against the installed torch.
"""

import builtins
import keyword

MODULE_ATTRIBUTES = frozenset((
    "T_destination",
    "add_module",
    "append",
    "apply",
    "bfloat16",
    "buffers",
    "call_super_init",
    "children",
    "compile",
    "cpu",
    "cuda",
    "double",
    "dump_patches",
    "eval",
    "extend",
    "extra_repr",
    "float",
    "forward",
    "get_buffer",
    "get_extra_state",
    "get_parameter",
    "get_submodule",
    "half",
    "insert",
    "ipu",
    "load_state_dict",
    "modules",
    "mtia",
    "named_buffers",
    "named_children",
    "named_modules",
    "named_parameters",
    "parameters",
    "pop",
    "register_backward_hook",
    "register_buffer",
    "register_forward_hook",
    "register_forward_pre_hook",
    "register_full_backward_hook",
    "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook",
    "register_module",
    "register_parameter",
    "register_state_dict_post_hook",
    "register_state_dict_pre_hook",
    "requires_grad_",
    "set_extra_state",
    "set_submodule",
    "share_memory",
    "state_dict",
    "to",
    "to_empty",
    "train",
    "training",
    "type",
    "xpu",
    "zero_grad",
))

# The names the generated Python file relies on, and where: "global" for what its classes use from the
# top level (the imports and `super`), "local" for what every method has. The source back-end's
# namespace never gives one to a class, parameter or variable; the model's class may not take a
# global's name; a layer or block may not take any as its attribute name (see `clobbers_module`).
GENERATED_NAMES: dict[str, str] = {
    "torch": "global",        # import torch (for torch.cat)
    "nn": "global",           # from torch import nn
    "OrderedDict": "global",  # from collections import OrderedDict (named nn.Sequential children)
    "super": "global",        # the builtin every constructor calls
    "LayerNorm2d": "global",  # classes torch.nn lacks, defined by the file (backends/torch_layers.py)
    "StochasticDepth": "global",
    "CenterCrop": "global",
    "self": "local",
    "__class__": "local",     # the cell the zero-argument super() reads
}
GLOBAL_NAMES = frozenset(name for name, where in GENERATED_NAMES.items() if where == "global")


_BUILTINS = frozenset(dir(builtins))


def python_keyword(name: str) -> bool:
    return keyword.iskeyword(name)


def hides_python_name(name: str) -> bool:
    """True for a name the generated file may not give a class, parameter or variable: a keyword,
    a builtin, or a name the file relies on (`GENERATED_NAMES`)."""
    return keyword.iskeyword(name) or name in _BUILTINS or name in GENERATED_NAMES


def clobbers_module(name: str) -> bool:
    """True for names that would overwrite an nn.Module attribute or internal, or read as the file's own
    (`self.nn`, `self.super`)."""
    return name in MODULE_ATTRIBUTES or name in GENERATED_NAMES or name.startswith("_")
