"""The YAML form of a spec, as pydantic models: what a `.yaml` spec may hold.

These models describe the surface syntax, not the AST. `yaml.py` validates a
document against them before it builds the AST (so every structural mistake
is found, and located, in one pass), and `specc schema` turns them into the
JSON Schema that editors use. A small model reads:

    models:
      LeNet:
        params: {classes: 10}
        input: [1, 28, 28]
        layers:
          - [conv: [6, {k: 5, p: 2}], sigmoid, avgpool: {k: 2, s: 2}]
          - flatten
          - linear: classes

Every union is discriminated by a function of the raw value (its Python
type, or the statement keyword among a mapping's keys), so a mistake is
reported against the one form the user meant, not against every form.
Tags are written `<like-this>`: they appear in error locations, and the
brackets keep them apart from YAML keys.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Optional, Union

from pydantic import (AfterValidator, BaseModel, ConfigDict, Discriminator, Field, RootModel, StrictBool,
                      StrictFloat, StrictInt, StrictStr, StringConstraints, Tag, model_validator)
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"

# The keys that make a mapping a statement other than a call, in the order
# they are looked for; `name` may accompany the ones `Named` can wrap.
STATEMENT_KEYS = ("input", "let", "chain", "concat", "add", "mul", "chunk", "split", "seq", "sequential", "repeat",
                  "for", "if", "default", "output", "init")
# Keys that only make sense next to a statement keyword.
COMPANION_KEYS = ("name", "do", "in", "then", "elif", "else")
RESERVED_KEYS = STATEMENT_KEYS + COMPANION_KEYS

Identifier = Annotated[str, StringConstraints(strict=True, pattern=IDENTIFIER)]
# A module name: an identifier, or letters, digits, `_`, `-` and `{expressions}` (`block{i}-0`);
# `syntax/templates.py` reads it, as it reads the DSL's quoted names.
MODULE_NAME = r"^([A-Za-z0-9_-]|\{[^{}]*\})+$"
ModuleName = Annotated[str, StringConstraints(strict=True, pattern=MODULE_NAME)]
NAME_HELP = "a name is letters, digits, `_` and `-`, with `{expressions}` computed at elaboration (`layer{i + 1}`)"


class _Form(BaseModel):
    # defer_build: validators are built when a YAML file is first read, not when
    # `specc fmt` or `specc schema` merely import this module.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


def _error(message: str, help: str = "") -> PydanticCustomError:
    return PydanticCustomError("specc", message, {"help": help})


# ---------------------------------------------------------------- expressions


def value_kind(value: Any) -> Optional[str]:
    """The form of an expression value: a YAML scalar or list (None: not an expression)."""
    if isinstance(value, bool):
        return "<bool>"
    if isinstance(value, int):
        return "<int>"
    if isinstance(value, float):
        return "<float>"
    if isinstance(value, str):
        return "<expression>"
    if isinstance(value, list):
        return "<list>"
    return None


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise _error(f"expected a finite number, found `{value}`")
    return value


EXPRESSION_HELP = "an expression: a number, `true`/`false`, a list, or a string such as `in.c // 2`"

Value = TypeAliasType("Value", Annotated[
    Union[
        Annotated[StrictBool, Tag("<bool>")],
        Annotated[StrictInt, Tag("<int>")],
        Annotated[StrictFloat, AfterValidator(_finite), Tag("<float>")],
        Annotated[StrictStr, Tag("<expression>"), Field(
            description="an expression, as in the DSL: `c // 2`, `in.c`, `(1, 7)`; "
                        "a string literal keeps its quotes: '\"same\"'")],
        Annotated[list["Value"], Tag("<list>")],
    ],
    Discriminator(value_kind, custom_error_type="specc_kind", custom_error_message=EXPRESSION_HELP),
])

Keywords = Annotated[dict[Identifier, Value], Field(description="keyword arguments, `{k: 3, p: 1}`")]


# ---------------------------------------------------------------- calls and layers


def args_kind(value: Any) -> Optional[str]:
    if value is None:
        return "<bare>"
    if isinstance(value, list):
        return "<positional>"
    if isinstance(value, dict):
        return "<keywords>"
    return "<single>" if value_kind(value) else None


def _keywords_last(items: list) -> list:
    for item in items[:-1]:
        if isinstance(item, dict):
            raise _error("expected keyword arguments only at the end of the list, found them before a positional one",
                         "write the arguments as `[64, {k: 3, p: 1}]`: positional first, then one mapping")
    return items


ArgItem = Annotated[
    Union[Annotated[Keywords, Tag("<keywords>")], Annotated[Value, Tag("<value>")]],
    Discriminator(lambda v: "<keywords>" if isinstance(v, dict) else "<value>"),
]

ARGS_HELP = "arguments: one value (`linear: 10`), a list (`conv: [64, {k: 3}]`) or keywords (`maxpool: {k: 2}`)"

Args = Annotated[
    Union[
        Annotated[None, Tag("<bare>")],
        Annotated[list[ArgItem], AfterValidator(_keywords_last), Tag("<positional>")],
        Annotated[Keywords, Tag("<keywords>")],
        Annotated[Value, Tag("<single>")],
    ],
    Discriminator(args_kind, custom_error_type="specc_kind", custom_error_message=ARGS_HELP),
]


def _call_keys(mapping: dict, *, named: bool) -> list[str]:
    keys = [k for k in mapping if not (named and k == "name")]
    misplaced = [k for k in keys if k in RESERVED_KEYS]
    if misplaced:
        key = misplaced[0]
        if key in STATEMENT_KEYS:
            raise _error(f"expected a layer, found the statement `{key}`",
                         "statements go in a list of statements (a body), not inside a chain")
        owners = _COMPANIONS[key]
        raise _error(f"expected {owners} next to `{key}`, found {'neither' if ' or ' in owners else 'none'}",
                     f"`{key}` is part of {owners}; a mapping with none of them is a call like `conv: [64]`")
    if len(keys) != 1:
        found = " and ".join(f"`{k}`" for k in keys[:2]) if keys else "none"
        raise _error(f"expected one op or block per mapping, found {found}",
                     "to chain layers, list them: `[conv: [64, {k: 3}], relu]`" if keys else
                     "a call is written `conv: [64, {k: 3}]`")
    return keys


_COMPANIONS = {"name": "an op or block", "do": "`repeat`, `for`, `chunk` or `split`", "in": "`for`",
               "then": "`if`", "elif": "`if`", "else": "`if`"}


class LayerCall(RootModel[dict[Identifier, Args]]):
    """One op or block call inside a chain: `conv: [64, {k: 3}]`."""

    model_config = ConfigDict(defer_build=True)

    @model_validator(mode="after")
    def _one_call(self):
        _call_keys(self.root, named=False)
        return self


class CallStatement(RootModel[dict[Identifier, Args]]):
    """A call as a statement: `conv: [64, {k: 3}]`, optionally with `name: stem`."""

    model_config = ConfigDict(defer_build=True)

    @model_validator(mode="after")
    def _one_call(self):
        _call_keys(self.root, named=True)
        name = self.root.get("name", "")
        if "name" in self.root and not (isinstance(name, str) and re.match(MODULE_NAME, name)):
            raise _error(f"expected a name for `name`, found `{name}`", NAME_HELP)
        return self


def layer_kind(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return "<layers>"
    if isinstance(value, dict):
        return "<call>"
    return None


LAYER_HELP = "a layer: an op or block (`relu`, `conv(64, k=3)`) or a call mapping (`conv: [64, {k: 3}]`)"

Layer = Annotated[
    Union[
        Annotated[StrictStr, Tag("<layers>"), Field(description="layers as in the DSL: `relu`, "
                                                          "`conv(64, k=3) -> relu`, `a if c else b`")],
        Annotated[LayerCall, Tag("<call>")],
    ],
    Discriminator(layer_kind, custom_error_type="specc_kind", custom_error_message=LAYER_HELP),
]
Layers = Annotated[list[Layer], Field(min_length=1)]


# ---------------------------------------------------------------- statements


Dims = Union[
    Annotated[list[Value], Field(min_length=1, description="the sample shape, `[1, 28, 28]`")],
    Annotated[StrictStr, Field(description="the sample shape as in the DSL, `1 x 28 x 28`")],
]


class InputStatement(_Form):
    input: Dims = Field(description="the shape of one sample (C x H x W); a leading fourth size is the batch, "
                                    "a leading N the symbolic batch before a sample of any rank")


class OutputStatement(_Form):
    output: Value = Field(description='what the model returns: a value, `(a, b)`, `{"out": out, "aux": aux}`, '
                                      "optionally `... if training else ...`")


class LetStatement(_Form):
    let: Annotated[dict[Identifier, Value], Field(min_length=1, description="`{name: expression}`, in order")]


class ChainStatement(_Form):
    chain: Union[StrictStr, Layers] = Field(description="layers applied in turn")
    name: Optional[ModuleName] = Field(None, description="the attribute name of this layer in the module")


class ConcatStatement(_Form):
    concat: "Body" = Field(description="branches concatenated along the channels, one statement each")
    name: Optional[ModuleName] = None


class AddStatement(_Form):
    add: "Body" = Field(description="branches summed (a residual connection), one statement each; "
                                    "shapes broadcast")
    name: Optional[ModuleName] = None


class MulStatement(_Form):
    mul: "Body" = Field(description="branches multiplied elementwise (a gate: [N, C, 1, 1] * [N, C, H, W]); "
                                    "shapes broadcast")
    name: Optional[ModuleName] = None


class ChunkStatement(_Form):
    chunk: Value = Field(description="how many equal slices of the channels (torch.chunk); one branch each")
    do: "Body" = Field(description="the branches, one per slice; their outputs are concatenated")
    name: Optional[ModuleName] = None


class SplitStatement(_Form):
    split: Value = Field(description="the channels of each slice, `[16, 48]`, or one slice size (torch.split)")
    do: "Body" = Field(description="the branches, one per slice; their outputs are concatenated")
    name: Optional[ModuleName] = None


class SeqStatement(_Form):
    seq: "Body" = Field(description="statements that count as one (one branch, one named module)")
    name: Optional[ModuleName] = None


class SequentialStatement(_Form):
    sequential: "Body" = Field(description="statements as a submodule of their own, an nn.Sequential")
    name: Optional[ModuleName] = None


class RepeatStatement(_Form):
    repeat: Value = Field(description="how many times")
    do: "Body"
    name: Optional[ModuleName] = None


TARGETS = r"^\s*[A-Za-z_][A-Za-z0-9_]*(\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*\s*$"


def _target_kind(value: Any) -> Optional[str]:
    return "<name>" if isinstance(value, str) else "<group>" if isinstance(value, list) else None


# A loop variable, or a list of them that unpacks the item there in turn (`[w, d]`).
Target = TypeAliasType("Target", Annotated[
    Union[Annotated[Identifier, Tag("<name>")], Annotated[list["Target"], Field(min_length=1), Tag("<group>")]],
    Discriminator(_target_kind, custom_error_type="specc_kind",
                  custom_error_message="a loop variable, or a list of them to unpack: `[w, d]`"),
])


class ForStatement(_Form):
    for_: Union[Annotated[str, StringConstraints(strict=True, pattern=TARGETS)],
                Annotated[list[Target], Field(min_length=1)]] = Field(
        alias="for", description="the loop variables: `i`, `i, n` or `[i, n]`; a nested list unpacks in turn: "
                                 "`[i, [w, d]]`")
    in_: Value = Field(alias="in", description="what to iterate over: `arch`, `enumerate(convs)`")
    do: "Body"


class ElifClause(_Form):
    if_: Value = Field(alias="if")
    then: "Body"


class IfStatement(_Form):
    if_: Value = Field(alias="if", description="the condition")
    then: "Body"
    elif_: Optional[Annotated[list[ElifClause], Field(min_length=1)]] = Field(
        None, alias="elif", description="more branches: `[{if: ..., then: [...]}]`")
    else_: Optional["Body"] = Field(None, alias="else")


class DefaultStatement(_Form):
    default: Annotated[dict[Identifier, Keywords], Field(
        min_length=1, description="op defaults from here to the end of the body, for this body and the blocks "
                                  "it calls: `{batchnorm: {momentum: 0.01}}`")]


# What an `init` rule is for: ops (`linear`, `conv, linear`), or `layer fc` (one layer of this module).
INIT_TARGET = r"^\s*([A-Za-z_][A-Za-z0-9_]*(\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*|layer\s+[A-Za-z_][A-Za-z0-9_]*)\s*$"
Rules = Annotated[dict[Identifier, Value], Field(
    min_length=1, description="the rule of each tensor, `{weight: normal(std=0.01), bias: zeros}`: a rule of "
                              "torch.nn.init's catalogue, bare or called as in the DSL")]


class InitStatement(_Form):
    init: Annotated[dict[Annotated[str, StringConstraints(strict=True, pattern=INIT_TARGET)], Rules], Field(
        min_length=1, description="initialisation rules: by op (`{linear: {weight: normal(std=0.01)}}`, "
                                  "`{'conv, linear': {...}}`) for later layers of this body and the blocks it "
                                  "calls, or for one layer of this module (`{layer fc: {weight: zeros}}`)")]


def statement_kind(value: Any) -> Optional[str]:
    """The form of a statement: a string of layers, a list (a chain), or a mapping by its keyword."""
    if isinstance(value, str):
        return "<layers>"
    if isinstance(value, list):
        return "<layer-list>"
    if isinstance(value, dict):
        for key in STATEMENT_KEYS:
            if key in value:
                return f"<{key}>"
        return "<call>"
    return None


STATEMENT_HELP = ("a statement: layers (`relu`, `conv(64, k=3) -> relu`), a chain (`[conv: 64, relu]`), "
                  "a call (`conv: [64, {k: 3}]`) or a mapping such as `repeat`, `for`, `if`, `concat`, `add`, "
                  "`mul`, `chunk`, `split`")

Statement = TypeAliasType("Statement", Annotated[
    Union[
        Annotated[StrictStr, Tag("<layers>"), Field(description="layers as in the DSL: `relu`, "
                                                          "`conv(64, k=3) -> relu`")],
        Annotated[Layers, Tag("<layer-list>")],
        Annotated[CallStatement, Tag("<call>")],
        Annotated[InputStatement, Tag("<input>")],
        Annotated[OutputStatement, Tag("<output>")],
        Annotated[LetStatement, Tag("<let>")],
        Annotated[ChainStatement, Tag("<chain>")],
        Annotated[ConcatStatement, Tag("<concat>")],
        Annotated[AddStatement, Tag("<add>")],
        Annotated[MulStatement, Tag("<mul>")],
        Annotated[ChunkStatement, Tag("<chunk>")],
        Annotated[SplitStatement, Tag("<split>")],
        Annotated[SeqStatement, Tag("<seq>")],
        Annotated[SequentialStatement, Tag("<sequential>")],
        Annotated[RepeatStatement, Tag("<repeat>")],
        Annotated[ForStatement, Tag("<for>")],
        Annotated[IfStatement, Tag("<if>")],
        Annotated[DefaultStatement, Tag("<default>")],
        Annotated[InitStatement, Tag("<init>")],
    ],
    Discriminator(statement_kind, custom_error_type="specc_kind", custom_error_message=STATEMENT_HELP),
])

Body = TypeAliasType("Body", Annotated[list[Statement], Field(min_length=1)])


# ---------------------------------------------------------------- definitions and the file


def _one_param(mapping: dict) -> dict:
    if len(mapping) != 1:
        raise _error(f"expected one `name: default` per list item, found {len(mapping)}",
                     "write each parameter as its own item: `[channels, {stride: 1}]`")
    return mapping


# `"skip: tensor"` (quoted: unquoted, YAML reads a mapping, a default): a tensor parameter, as in the DSL.
TENSOR_PARAM = r"^[A-Za-z_][A-Za-z0-9_]*: *tensor$"
TensorParam = Annotated[str, StringConstraints(strict=True, pattern=TENSOR_PARAM)]


def param_kind(value: Any) -> Optional[str]:
    if isinstance(value, dict):
        return "<default>"
    if isinstance(value, str):
        return "<tensor>" if ":" in value else "<param>"
    return None


Param = Annotated[
    Union[Annotated[Identifier, Tag("<param>")],
          Annotated[TensorParam, Tag("<tensor>"), Field(description='a tensor parameter: `"skip: tensor"`')],
          Annotated[dict[Identifier, Value], AfterValidator(_one_param), Tag("<default>")]],
    Discriminator(param_kind, custom_error_type="specc_kind",
                  custom_error_message='a parameter: a name, `name: default`, or `"name: tensor"` (quoted)'),
]

Params = Union[
    Annotated[list[Param], Field(description="`[channels, stride: 1]`: names, some with defaults")],
    Annotated[dict[Identifier, Optional[Value]], Field(
        description="`{classes: 10, ratio: 1}`: each name with its default (null: none)")],
]


class Definition(_Form):
    params: Optional[Params] = Field(None, description="parameters, in order, with their defaults")
    input: Optional[Dims] = Field(None, description="the sample shape, `[1, 28, 28]` or `1 x 28 x 28`")
    layers: Body = Field(description="the statements of the body, in order")


class DerivedModel(_Form):
    """`{extends: ResNet50, params: {groups: 32}}`: another model with other defaults, under a name of its own."""

    extends: Identifier = Field(description="the model reused: of this file, or of a file it uses")
    params: Optional[dict[Identifier, Value]] = Field(None, description="new defaults of the base's parameters")


def definition_kind(value: Any) -> Optional[str]:
    if isinstance(value, list):
        return "<layers>"
    if isinstance(value, dict):
        return "<definition>"
    return None


def model_kind(value: Any) -> Optional[str]:
    if isinstance(value, dict) and "extends" in value:
        return "<extends>"
    return definition_kind(value)


DefinitionValue = Annotated[
    Union[Annotated[Body, Tag("<layers>")], Annotated[Definition, Tag("<definition>")]],
    Discriminator(definition_kind, custom_error_type="specc_kind",
                  custom_error_message="a definition: a mapping with `params`, `input` and `layers`, "
                                       "or just the list of layers"),
]

ModelValue = Annotated[
    Union[Annotated[Body, Tag("<layers>")], Annotated[Definition, Tag("<definition>")],
          Annotated[DerivedModel, Tag("<extends>")]],
    Discriminator(model_kind, custom_error_type="specc_kind",
                  custom_error_message="a model: a mapping with `params`, `input` and `layers`, the list of "
                                       "layers, or `{extends: Base, params: {...}}`"),
]


# ---------------------------------------------------------------- declared ops


DOTTED = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"
Dotted = Annotated[str, StringConstraints(strict=True, pattern=DOTTED)]
DOTTED_HELP = "an import path: a module and its class, `examples.seeds.layers.MyLinear`"


class OpArgSpec(_Form):
    """`{kind: channels, default: 8}`: an argument of a declared op with its kind, its default, or both."""

    kind: Optional[Identifier] = Field(None, description="what values it takes: `int`, `float`, `bool`, "
                                                         "`channels`, `size`, `padding` or `probability`")
    default: Optional[Value] = Field(None, description="its default, an expression (may use `in`)")


def _op_arg_kind(value: Any) -> Optional[str]:
    if value is None:
        return "<none>"
    if isinstance(value, dict):
        return "<arg>"
    return value_kind(value)


OpArgValue = Annotated[
    Union[Annotated[None, Tag("<none>")],
          Annotated[OpArgSpec, Tag("<arg>")],
          Annotated[StrictBool, Tag("<bool>")],
          Annotated[StrictInt, Tag("<int>")],
          Annotated[StrictFloat, AfterValidator(_finite), Tag("<float>")],
          Annotated[StrictStr, Tag("<expression>")],
          Annotated[list[Value], Tag("<list>")]],
    Discriminator(_op_arg_kind, custom_error_type="specc_kind",
                  custom_error_message="a default (an expression), `{kind: K}`, `{kind: K, default: D}`, or null"),
]

OpArgItem = Annotated[
    Union[Annotated[Identifier, Tag("<param>")],
          Annotated[dict[Identifier, OpArgValue], AfterValidator(_one_param), Tag("<default>")]],
    Discriminator(lambda v: "<default>" if isinstance(v, dict) else "<param>" if isinstance(v, str) else None,
                  custom_error_type="specc_kind",
                  custom_error_message="an argument: a name, `name: default` or `name: {kind: K, default: D}`"),
]

OpArgs = Union[
    Annotated[list[OpArgItem], Field(description="`[units, {scale: {kind: float, default: 1.0}}]`, in order")],
    Annotated[dict[Identifier, OpArgValue], Field(
        description="`{units: {kind: channels}, p: 0.5}`: each name with its default, its kind, or both "
                    "(null: neither)")],
]


def _torch_kind(value: Any) -> Optional[str]:
    return "<class>" if isinstance(value, str) else "<call>" if isinstance(value, dict) else None


def _one_class(mapping: dict) -> dict:
    if len(mapping) != 1:
        raise _error(f"expected one class and its arguments, found {len(mapping)} keys",
                     "write `{examples.seeds.layers.MyLinear: [in.c, units]}`")
    return mapping


TorchCall = Annotated[
    Union[Annotated[Dotted, Tag("<class>")],
          Annotated[dict[Dotted, Args], AfterValidator(_one_class), Tag("<call>")]],
    Discriminator(_torch_kind, custom_error_type="specc_kind",
                  custom_error_message="the class, `pkg.mod.Class`, or the class with its arguments, "
                                       "`{pkg.mod.Class: [in.c, units]}`"),
]


class OpDefinition(_Form):
    """An op that the user's own torch module implements: the DSL's `op name(args) = pkg.mod.Class(...)`."""

    args: Optional[OpArgs] = Field(None, description="the op's arguments, in order, with kinds and defaults")
    torch: TorchCall = Field(description="the torch module that implements it, and what its constructor gets "
                                         "(expressions over the arguments and `in`); never imported by "
                                         "`check` or `shapes`")
    shape: Optional[Value] = Field(None, description="the output shape, `[in.shape[0], units]` (default: "
                                                     "the input's)")
    params: Optional[Value] = Field(None, description="the parameter count (default 0)")
    macs: Optional[Value] = Field(None, description="the mult-adds per sample (default 0)")


class UsePath(_Form):
    path: StrictStr = Field(description="a spec file, relative to this one")


def use_kind(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return "<library>"
    if isinstance(value, dict):
        return "<path>"
    return None


UseItem = Annotated[
    Union[Annotated[StrictStr, Tag("<library>"), Field(
              description="a bundled library (`d2l`), or a path to a spec file (`blocks.spec`)")],
          Annotated[UsePath, Tag("<path>")]],
    Discriminator(use_kind, custom_error_type="specc_kind",
                  custom_error_message="a library name such as `d2l` or a path such as `blocks.spec`"),
]


class SpecFile(_Form):
    """A specc spec in YAML: `use`, `blocks` and `models`; the same language as a `.spec` file."""

    model_config = ConfigDict(title="specc spec (YAML form)")

    use: Optional[Union[UseItem, list[UseItem]]] = Field(
        None, description="libraries and files whose blocks this spec uses: `d2l`, or a list")
    ops: Optional[dict[Identifier, OpDefinition]] = Field(
        None, description="ops that the user's own torch modules implement, by name")
    blocks: Optional[dict[Identifier, DefinitionValue]] = Field(None, description="parametric blocks, by name")
    models: Optional[dict[Identifier, ModelValue]] = Field(None, description="models, by name")


# Which model a tag (in an error's location) stands for: to list its keys in messages.
TAGGED: dict[str, type[BaseModel]] = {
    "<input>": InputStatement, "<output>": OutputStatement, "<let>": LetStatement, "<chain>": ChainStatement,
    "<concat>": ConcatStatement, "<add>": AddStatement, "<mul>": MulStatement, "<chunk>": ChunkStatement,
    "<split>": SplitStatement, "<seq>": SeqStatement, "<sequential>": SequentialStatement,
    "<repeat>": RepeatStatement, "<for>": ForStatement, "<if>": IfStatement,
    "<definition>": Definition, "<path>": UsePath, "<default>": DefaultStatement, "<init>": InitStatement,
    "<extends>": DerivedModel,
    "<arg>": OpArgSpec,
}


def keys_of(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]
