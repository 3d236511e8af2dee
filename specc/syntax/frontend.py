"""Pick the front-end for a source by its file name: `.yaml`/`.yml` is YAML, anything else the DSL."""

from __future__ import annotations

from . import ast
from .cache import cached
from .parse import parse_text

YAML_SUFFIXES = (".yaml", ".yml")


def is_yaml(name: str) -> bool:
    return name.lower().endswith(YAML_SUFFIXES)


def parse_source(text: str, name: str) -> ast.Module:
    """The AST of a source (remembered for the rest of the process)."""
    if is_yaml(name):
        from .yaml import parse_yaml  # the YAML front-end loads PyYAML only when needed

        return cached(name, text, parse_yaml)
    return cached(name, text, parse_text)
