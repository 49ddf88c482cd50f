"""A pydantic model's JSON straight from pydantic-core, when that is byte-for-byte what
`dispatch.dumps(model.model_dump(mode="json"))` gives (the bytes every adapter sends).

pydantic's own JSON skips building the intermediate dicts and `json.dumps`, but formats some
values differently: floats (`1e-05` is `0.00001`, `inf` is `null`), and anything reaching
pydantic's type inference (`Any`, extra fields, custom serializers). So it is used only for
models whose schema holds none of those, decided once per class from the core schema, and
only when pydantic reports no unexpected value at serialization time; everything else takes
the `model_dump` + `json.dumps` path, unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticSerializationError

# Schema types whose JSON text is the same either way (a str, an int, a bool or null; dates,
# times and UUIDs are strings pydantic formats once in both modes).
_LEAVES = frozenset({"str", "int", "bool", "none", "uuid", "date", "datetime", "time"})
# Wrappers whose serialization is their inner schema's.
_INNER = frozenset({"nullable", "default", "function-before", "function-after"})
_SCALARS = (str, int, bool, type(None))

_safe_classes: dict[type[BaseModel], bool] = {}


def model_json(model: BaseModel) -> bytes | None:
    """`model`'s JSON from pydantic-core, or None when only the `model_dump` path is exact."""
    cls = type(model)
    safe = _safe_classes.get(cls)
    if safe is None:
        safe = _safe_classes[cls] = _safe_class(cls)
    if not safe:
        return None
    try:
        out: bytes = cls.__pydantic_serializer__.to_json(model, warnings="error")
    except PydanticSerializationError:
        return None  # a value that does not fit its field: let model_dump warn as before
    return out


def models_json(models: list[Any]) -> bytes | None:
    """A list of models as one JSON array, or None (see `model_json`)."""
    parts = []
    for item in models:
        if not isinstance(item, BaseModel):
            return None
        part = model_json(item)
        if part is None:
            return None
        parts.append(part)
    return b"[" + b",".join(parts) + b"]"


@functools.cache
def _reports_unexpected() -> bool:
    """pydantic-core raises on values that do not fit their schema (warnings="error")?"""
    try:
        TypeAdapter(int).serializer.to_json("x", warnings="error")
    except PydanticSerializationError:
        return True
    except Exception:
        return False
    return False


def _safe_class(cls: type[BaseModel]) -> bool:
    if not cls.__pydantic_complete__ or not _reports_unexpected():
        return False
    try:
        schema = cls.__pydantic_core_schema__
    except Exception:
        return False
    return _safe(schema, {}, set())


def _config_safe(config: Mapping[str, Any] | None) -> bool:
    if not config:
        return True
    if any(key.startswith("ser_json_") for key in config):
        return False
    return (
        not config.get("polymorphic_serialization")
        and config.get("extra_fields_behavior") != "allow"
    )


def _safe(schema: Any, defs: dict[str, Any], seen: set[str]) -> bool:
    """Whether every value `schema` serializes is JSON text both ways alike (conservative:
    an unknown schema type is unsafe)."""
    if not isinstance(schema, Mapping) or "serialization" in schema:
        return False  # a custom serializer (field_serializer, PlainSerializer, ...)
    ref = schema.get("ref")
    if ref is not None:
        if ref in seen:
            return True  # being checked higher up (a recursive model)
        seen.add(ref)
        defs.setdefault(ref, schema)
    kind = schema.get("type")
    if kind in _LEAVES:
        return True
    if kind in _INNER:
        return _safe(schema.get("schema"), defs, seen)
    if kind == "literal":
        return all(type(v) in _SCALARS for v in schema.get("expected", ()))
    if kind == "enum":
        return schema.get("sub_type") in ("str", "int")
    if kind == "list":
        return _safe(schema.get("items_schema"), defs, seen)
    if kind == "tuple":
        return all(_safe(s, defs, seen) for s in schema.get("items_schema", ()))
    if kind == "dict":
        keys = schema.get("keys_schema")
        return (
            isinstance(keys, Mapping)
            and keys.get("type") == "str"
            and "serialization" not in keys
            and _safe(schema.get("values_schema"), defs, seen)
        )
    if kind == "union":
        return all(
            _safe(c[0] if isinstance(c, tuple) else c, defs, seen) for c in schema["choices"]
        )
    if kind == "tagged-union":
        return all(_safe(c, defs, seen) for c in schema["choices"].values())
    if kind == "model":
        return _config_safe(schema.get("config")) and _safe(schema.get("schema"), defs, seen)
    if kind == "model-fields":
        if schema.get("computed_fields") or schema.get("extras_schema") is not None:
            return False
        if schema.get("extra_behavior") == "allow":
            return False
        return all(
            f.get("type") == "model-field"
            and "serialization" not in f
            and _safe(f.get("schema"), defs, seen)
            for f in schema["fields"].values()
        )
    if kind == "definitions":
        for d in schema.get("definitions", ()):
            if isinstance(d, Mapping) and "ref" in d:
                defs.setdefault(d["ref"], d)
        return _safe(schema.get("schema"), defs, seen)
    if kind == "definition-ref":
        target = schema.get("schema_ref")
        if target in seen:
            return True
        return target in defs and _safe(defs[target], defs, seen)
    if kind == "json-or-python":
        return _safe(schema.get("json_schema"), defs, seen) and _safe(
            schema.get("python_schema"), defs, seen
        )
    if kind == "lax-or-strict":
        return _safe(schema.get("lax_schema"), defs, seen) and _safe(
            schema.get("strict_schema"), defs, seen
        )
    return False
