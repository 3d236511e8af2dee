"""`specc schema`: the JSON Schema of the YAML form, for editors.

Generated from the surface models in `syntax/yaml_form.py` (the models the
YAML front-end validates with), then refined where JSON Schema can say more
than the models' types: a call mapping holds exactly one op or block (and
may carry `name`), and every primitive op of the registry is listed with its
documentation and its keyword arguments, so an editor completes `conv:` and
`k:` and flags `kk: 3`.

    specc schema > specc.schema.json
    # in a spec:  # yaml-language-server: $schema=specc.schema.json
"""

from __future__ import annotations

import copy
from typing import Any

from .ops import OPS, Op
from .syntax.yaml_form import IDENTIFIER, MODULE_NAME, RESERVED_KEYS, SpecFile

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def json_schema() -> dict[str, Any]:
    schema = _any_of(SpecFile.model_json_schema(by_alias=True))
    defs = schema["$defs"]
    args = copy.deepcopy(defs["CallStatement"]["patternProperties"][IDENTIFIER])
    defs["Args"] = args
    for op in OPS.values():
        defs[f"Args_{op.name}"] = _op_args(op, args)
    defs["LayerCall"] = _call_schema(defs["LayerCall"], named=False)
    defs["CallStatement"] = _call_schema(defs["CallStatement"], named=True)
    return {"$schema": DRAFT, **schema,
            "description": "A specc spec in YAML: the same language as a .spec file. "
                           "See `specc fmt --to yaml` to convert one."}


def _any_of(node: Any) -> Any:
    """`oneOf` -> `anyOf` (an int is also a number in JSON Schema, so `oneOf` would reject `3`),
    and mappings keyed by names admit no other keys."""
    if isinstance(node, dict):
        out = {("anyOf" if k == "oneOf" else k): _any_of(v) for k, v in node.items()}
        if "patternProperties" in out and "properties" not in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(node, list):
        return [_any_of(v) for v in node]
    return node


def _call_schema(generated: dict, named: bool) -> dict:
    reserved = [k for k in RESERVED_KEYS if not (named and k == "name")]
    properties: dict[str, Any] = {}
    if named:
        properties["name"] = {"type": "string", "pattern": MODULE_NAME,
                              "description": "the name of this layer in the generated module; "
                                             "`{expressions}` are computed (`layer{i + 1}`)"}
    for op in OPS.values():
        properties[op.name] = {"$ref": f"#/$defs/Args_{op.name}", "description": _signature(op)}
    schema = {
        "title": generated.get("title"),
        "description": generated.get("description", ""),
        "type": "object",
        "properties": properties,
        "additionalProperties": {"$ref": "#/$defs/Args"},
        "propertyNames": {"pattern": IDENTIFIER, "not": {"enum": reserved}},
        "minProperties": 1,
        "maxProperties": 1,
    }
    if named:  # one op or block, and `name` beside it
        schema["maxProperties"] = 2
        schema.update({"if": {"required": ["name"]}, "then": {"minProperties": 2}, "else": {"maxProperties": 1}})
    return schema


def _op_args(op: Op, generic: dict) -> dict:
    """The arguments of one op: as any call's, but its keyword mapping knows the op's argument names."""
    keywords = {"type": "object", "additionalProperties": False,
                "properties": {spelling: {"$ref": "#/$defs/Value", "description": _arg_doc(op, arg.name)}
                               for arg in op.args for spelling in arg.spellings}}
    if not op.args:
        return {"anyOf": [{"type": "null"}, {"type": "array", "maxItems": 0}],
                "description": f"`{op.name}` takes no arguments: write `- {op.name}`"}
    return {"anyOf": [
        {"type": "null"},
        {"type": "array", "items": {"anyOf": [keywords, {"$ref": "#/$defs/Value"}]}},
        keywords,
        {"$ref": "#/$defs/Value"},
    ]}


def _arg_doc(op: Op, name: str) -> str:
    arg = op.arg(name)
    default = "required" if arg.required else f"default {arg.default!r}"
    aliases = f"; also {', '.join(arg.aliases)}" if arg.aliases else ""
    return f"{arg.name} ({default}{aliases}){': ' + arg.doc if arg.doc else ''}"


def _signature(op: Op) -> str:
    args = ", ".join(a.name + ("" if a.required else "=…") for a in op.args)
    return f"{op.name}({args}): {op.doc}"
