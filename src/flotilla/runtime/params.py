"""`Query(...)` and `Header(...)`: defaults that say where a typed handler's parameter comes from.

    def list_orders(limit: int = Query(50, ge=1, le=500), x_tenant: str | None = Header(None)): ...

The keyword constraints are pydantic's `Field` constraints, so validation and the OpenAPI
schema come from one definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field
from pydantic.fields import FieldInfo

__all__ = ["Header", "Param", "Query"]

Kind = Literal["query", "header"]


@dataclass(frozen=True)
class Param:
    """A parameter's source and its pydantic field (default, constraints, description)."""

    kind: Kind
    field: FieldInfo
    alias: str | None = None


def _param(kind: Kind, default: Any, alias: str | None, constraints: dict[str, Any]) -> Any:
    return Param(kind, Field(default, **constraints), alias)


def Query(default: Any = ..., *, alias: str | None = None, **constraints: Any) -> Any:
    """A query parameter (the default for anything not in the path and not a model)."""
    return _param("query", default, alias, constraints)


def Header(default: Any = ..., *, alias: str | None = None, **constraints: Any) -> Any:
    """A header; `x_tenant` reads `X-Tenant` unless `alias` names it."""
    return _param("header", default, alias, constraints)
