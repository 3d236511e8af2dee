"""One dispatch for statement kinds: a visitor has a handler per kind, and a test holds it to every kind.

    class Printer(StatementVisitor):
        def visit_chain(self, stmt, depth): ...
        def visit_let(self, stmt, depth): ...
        ...                                   # one `visit_<kind>` for each of STATEMENT_KINDS

    Printer().visit(stmt, depth)              # calls `visit_<stmt.kind>(stmt, depth)`

`STATEMENT_KINDS` is read from the AST's `Stmt` union, and every subclass
registers itself in `VISITORS`, so adding a statement class to `ast.py`
makes `tests/test_statement_kinds.py` name each visitor (checking,
elaboration, the DSL printer, the YAML writer) that lacks its handler.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Union, get_args

from . import ast


def _kinds(union) -> tuple[str, ...]:
    members = get_args(get_args(union)[0])  # Annotated[Union[...], Field(...)] -> the classes
    return tuple(cls.model_fields["kind"].default for cls in members)


STATEMENT_KINDS: tuple[str, ...] = _kinds(ast.Stmt)
VISITORS: list[type] = []


class StatementVisitor:
    """Dispatches a statement to `self.visit_<kind>`; see the module docstring."""

    _handlers: ClassVar[dict[str, Callable[..., Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        VISITORS.append(cls)
        cls._handlers = {kind: getattr(cls, f"visit_{kind}") for kind in STATEMENT_KINDS
                         if hasattr(cls, f"visit_{kind}")}

    def visit(self, stmt: Union[ast.Stmt, Any], *args: Any, **kwargs: Any) -> Any:
        handler = self._handlers.get(stmt.kind)
        if handler is None:  # tests/test_statement_kinds.py keeps this from happening
            raise AssertionError(f"{type(self).__name__} has no handler for `{stmt.kind}` statements")
        return handler(self, stmt, *args, **kwargs)


def missing_handlers(visitor: type) -> list[str]:
    """The statement kinds `visitor` has no handler for."""
    return [kind for kind in STATEMENT_KINDS if not hasattr(visitor, f"visit_{kind}")]
