"""Symbolic shapes: the shape comment of every layer of a class shared by several instances.

A size equal in every instance is a number; a channel count reads as the
parameter that sets it (`channels`, `c2[1]`) or arithmetic on parameters
(`channels * 4`); a spatial size that varies is relative to the input
(`H`, `H/2`, `H/stride`; `L` in 1d, `D` too in 3d); `*` when nothing fits. A concat's channels are
the sum of its branches' when they are symbolic (`c1 + c2[1] + c4`).

    shared_shapes(plan)[id(node)]   # ("N", (Param("arg", "channels"),), ("H/2",), ("W/2",))

Dims are raw sizes (ints, "N") or Code, as in `planning`.
"""

from __future__ import annotations

from typing import Optional

from ...expr import is_int
from ...ir import walk
from ...ops import SPATIAL_LETTERS
from .planning import ClassPlan, Code, Param, affine

STAR: Code = ("*",)


def shared_shapes(plan: ClassPlan) -> dict[int, tuple]:
    """Output shape per node of the template, written for every instance at once."""
    per_instance = [[row.node for row in walk(node.body)] for node in plan.instances]
    shapes = {}
    for position, node in enumerate(per_instance[0]):
        dims = []
        for axis, dim in enumerate(node.out_shape):
            values = [nodes[position].out_shape[axis] for nodes in per_instance]
            if len(set(values)) > 1:
                dims.append(_symbolic_dim(plan, axis, values))
            else:  # channels read as the parameter that sets them, when one does (`channels`, not 32)
                dims.append((_param_equal(plan, values) if axis == 1 else None) or dim)
        shapes[id(node)] = tuple(dims)
    return shapes


def _param_equal(plan: ClassPlan, values: list) -> Optional[Code]:
    """The parameter (or an item of one: `c2[1]`) whose value in every instance is `values`."""
    for param in plan.params:
        actual = [plan.value(param, node) for node in plan.instances]
        if actual == values:
            return (param,)
        if param.kind == "arg" and isinstance(actual[0], (list, tuple)):
            for i in range(len(actual[0])):
                if all(isinstance(a, (list, tuple)) and len(a) > i and a[i] == v for a, v in zip(actual, values)):
                    return (param, f"[{i}]")
    return None


def _symbolic_dim(plan: ClassPlan, axis: int, values: list) -> Code:
    if axis == 1:
        return _symbolic_channels(plan, values)
    instances = plan.instances
    inputs = [n.in_shape[axis] if len(n.in_shape) > axis else None for n in instances]
    letter = "".join(SPATIAL_LETTERS.get(len(instances[0].in_shape), ()))[axis - 2:axis - 1] if axis >= 2 else ""
    if None in inputs or not letter:
        return STAR
    if inputs == values:
        return (letter,)
    for k in (2, 4, 8, 16, 32):
        if all(i == v * k for i, v in zip(inputs, values)):
            return (f"{letter}/{k}",)
    for param in plan.params:  # a stride parameter: `H/stride`
        strides = [n.args.get(param.name) if param.kind == "arg" else None for n in instances]
        if all(is_int(s) and s > 0 and i == v * s for i, v, s in zip(inputs, values, strides)):
            return (f"{letter}/", param)
    return STAR


def _symbolic_channels(plan: ClassPlan, values: list) -> Code:
    named = _param_equal(plan, values)
    if named:
        return named
    used: dict[Param, None] = {}
    template = plan.instances[0]
    block_params = [Param("arg", name) for name in template.args] if template.block else []
    code = affine(values, plan, block_params, used)
    return code if code and set(used) <= set(plan.params) else STAR


def combined_shape(node, shapes: dict[int, tuple]) -> tuple:
    """The shape after a combine; a concat's symbolic channels as the sum of its branches'."""
    shape = shapes.get(id(node), node.out_shape)
    if node.op != "concat" or len(shape) < 2 or shape[1] != STAR or not all(computes(b) for b in node.branches):
        return shape
    last = [[n for n in b if n.kind == "combine" or n.module][-1] for b in node.branches]
    parts = [shapes.get(id(n), n.out_shape)[1] for n in last]
    if STAR in parts:
        return shape
    total: list = []
    for part in parts:
        total += [" + "] if total else []
        total += list(part) if isinstance(part, tuple) else [str(part)]
    return (shape[0], tuple(total), *shape[2:])


def computes(branch) -> bool:
    """Whether a branch does anything (a branch of only `identity` passes its input on)."""
    return any(n.kind == "combine" or n.module for n in branch)
