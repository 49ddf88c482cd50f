"""Whether a model instance holds exactly the types its schema serializes, built once per
class from its core schema (for fastjson: pydantic-core's JSON equals the old path's bytes
only for such instances of such classes).

A class whose JSON could differ whatever the values (floats, `Any`, extra fields, custom or
computed serializers, `ser_json_*` config, unknown schema types) gets no check at all. A value
of another type, a subclass included (bool for int, datetime for date, IntEnum for int),
fails the check: pydantic would serialize it by inference, and the old path stays exact.

Checks run per answer, so plain types are kept as sets of exact types and compared in C
(`frozenset.issuperset(map(type, ...))`) rather than one Python call per value.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from operator import call, contains, itemgetter
from typing import Any

from pydantic import BaseModel

Check = Callable[[Any], bool]
# A schema's check: the set of exact types it takes, or a function.
Spec = frozenset[type] | Check

# Schema types whose JSON text is the same either way (a str, an int, a bool or null; dates,
# times and UUIDs are strings pydantic formats once in both modes), and their Python type.
_LEAVES: dict[str, type] = {
    "str": str,
    "int": int,
    "bool": bool,
    "none": type(None),
    "uuid": uuid.UUID,
    "date": dt.date,
    "datetime": dt.datetime,
    "time": dt.time,
}
_STR = frozenset({str})
# Wrappers whose serialization is their inner schema's.
_INNER = frozenset({"default", "function-before", "function-after"})
_SCALARS = (str, int, bool, type(None))

_Built = dict[str, Check | None]


def for_model(cls: type[BaseModel]) -> Check | None:
    """The check for instances of `cls`, or None when its JSON may differ anyway."""
    if not cls.__pydantic_complete__:
        return None
    try:
        schema = cls.__pydantic_core_schema__
    except Exception:
        return None
    spec = _spec(schema, {}, {})
    return None if spec is None else _check(spec)


def _check(spec: Spec) -> Check:
    if isinstance(spec, frozenset):
        return lambda v: type(v) in spec
    return spec


def _spec(schema: Any, defs: dict[str, Any], built: _Built) -> Spec | None:
    """Conservative: an unknown schema type, or any custom serializer, is None."""
    if not isinstance(schema, Mapping) or "serialization" in schema:
        return None  # a custom serializer (field_serializer, PlainSerializer, ...)
    ref = schema.get("ref")
    if ref is None:
        return _kind(schema, defs, built)
    if ref in built:
        return _deferred(ref, built)  # being built higher up (a recursive model)
    built[ref] = None
    defs.setdefault(ref, schema)
    spec = _kind(schema, defs, built)
    built[ref] = None if spec is None else _check(spec)
    return spec


def _deferred(ref: str, built: _Built) -> Check:
    def check(value: Any) -> bool:
        found = built[ref]
        return found is not None and found(value)

    return check


def _specs(schemas: Any, defs: dict[str, Any], built: _Built) -> list[Spec] | None:
    specs = [_spec(s, defs, built) for s in schemas]
    return None if any(s is None for s in specs) else [s for s in specs if s is not None]


def _kind(schema: Mapping[str, Any], defs: dict[str, Any], built: _Built) -> Spec | None:
    kind = schema.get("type")
    if kind in _LEAVES:
        return frozenset({_LEAVES[kind]})
    if kind in _INNER:
        return _spec(schema.get("schema"), defs, built)
    if kind == "nullable":
        inner = _spec(schema.get("schema"), defs, built)
        if inner is None or isinstance(inner, frozenset):
            return None if inner is None else inner | {type(None)}
        return lambda v: v is None or inner(v)
    if kind == "literal":
        expected = list(schema.get("expected", ()))
        if not all(type(e) in _SCALARS for e in expected):
            return None
        return lambda v: any(type(v) is type(e) and v == e for e in expected)
    if kind == "enum":
        cls = schema.get("cls")
        if schema.get("sub_type") not in ("str", "int") or not isinstance(cls, type):
            return None
        return frozenset({cls})
    if kind == "list":
        return _sequence(list, _spec(schema.get("items_schema"), defs, built))
    if kind == "tuple":
        parts = _specs(schema.get("items_schema", ()), defs, built)
        variadic = schema.get("variadic_item_index")
        if parts is None or variadic not in (None, 0) or (variadic == 0 and len(parts) != 1):
            return None
        if variadic == 0:  # tuple[X, ...]
            return _sequence(tuple, parts[0])
        checks = [_check(p) for p in parts]
        return lambda v: (
            type(v) is tuple
            and len(v) == len(checks)
            and all(c(x) for c, x in zip(checks, v, strict=True))
        )
    if kind == "dict":
        keys = schema.get("keys_schema")
        values = _spec(schema.get("values_schema"), defs, built)
        if not isinstance(keys, Mapping) or keys.get("type") != "str" or "serialization" in keys:
            return None
        if values is None:
            return None
        if isinstance(values, frozenset):
            allowed = values
            return lambda v: (
                type(v) is dict
                and _STR.issuperset(map(type, v))
                and allowed.issuperset(map(type, v.values()))
            )
        each = values
        return lambda v: (
            type(v) is dict and _STR.issuperset(map(type, v)) and all(map(each, v.values()))
        )
    if kind in ("union", "tagged-union"):
        raw = schema["choices"]
        choices = raw.values() if kind == "tagged-union" else raw
        alts = _specs([c[0] if isinstance(c, tuple) else c for c in choices], defs, built)
        if alts is None:
            return None
        if all(isinstance(a, frozenset) for a in alts):
            return frozenset().union(*alts)  # type: ignore[arg-type]
        checks = [_check(a) for a in alts]
        return lambda v: any(c(v) for c in checks)
    if kind == "model":
        cls = schema.get("cls")
        if schema.get("root_model") or not _config_safe(schema.get("config")):
            return None
        fields = _spec(schema.get("schema"), defs, built)
        if fields is None or isinstance(fields, frozenset) or not isinstance(cls, type):
            return None
        of_fields = fields
        return lambda v: type(v) is cls and of_fields(v.__dict__)
    if kind == "model-fields":
        return _fields(schema, defs, built)
    if kind == "definitions":
        for d in schema.get("definitions", ()):
            if isinstance(d, Mapping) and "ref" in d:
                defs.setdefault(d["ref"], d)
        return _spec(schema.get("schema"), defs, built)
    if kind == "definition-ref":
        target = schema.get("schema_ref")
        if target in built:
            return _deferred(target, built)
        return _spec(defs[target], defs, built) if target in defs else None
    if kind in ("json-or-python", "lax-or-strict"):
        keys = ("json_schema", "python_schema") if kind == "json-or-python" else (
            "lax_schema", "strict_schema"
        )  # fmt: skip
        both = _specs([schema.get(k) for k in keys], defs, built)
        if both is None:
            return None
        first, second = (_check(s) for s in both)
        return lambda v: first(v) and second(v)
    return None


def _sequence(kind: type[list[Any]] | type[tuple[Any, ...]], items: Spec | None) -> Spec | None:
    if items is None:
        return None
    if isinstance(items, frozenset):
        allowed = items
        return lambda v: type(v) is kind and allowed.issuperset(map(type, v))
    each = items
    return lambda v: type(v) is kind and all(map(each, v))


def _fields(schema: Mapping[str, Any], defs: dict[str, Any], built: _Built) -> Check | None:
    """A model's `__dict__`: exactly its fields, each of its type (plain ones compared in C)."""
    if schema.get("computed_fields") or schema.get("extras_schema") is not None:
        return None
    if schema.get("extra_behavior") == "allow":
        return None
    plain: list[tuple[str, frozenset[type]]] = []
    other: list[tuple[str, Check]] = []
    for name, f in schema["fields"].items():
        if f.get("type") != "model-field" or "serialization" in f:
            return None
        spec = _spec(f.get("schema"), defs, built)
        if spec is None:
            return None
        if isinstance(spec, frozenset):
            plain.append((name, spec))
        else:
            other.append((name, spec))
    count = len(plain) + len(other)
    sets, plain_values = tuple(s for _, s in plain), _getter([n for n, _ in plain])
    checks, other_values = tuple(c for _, c in other), _getter([n for n, _ in other])

    def check(d: Any) -> bool:
        return (
            len(d) == count
            and all(map(contains, sets, map(type, plain_values(d))))
            and all(map(call, checks, other_values(d)))
        )

    return check


def _getter(names: list[str]) -> Callable[[Any], Any]:
    """`d` -> the values of `names`, as an iterable (itemgetter gives a bare value for one)."""
    if len(names) > 1:
        return itemgetter(*names)
    if names:
        (name,) = names
        return lambda d: (d[name],)
    return lambda d: ()


def _config_safe(config: Mapping[str, Any] | None) -> bool:
    if not config:
        return True
    if any(key.startswith("ser_json_") for key in config):
        return False
    return (
        not config.get("polymorphic_serialization")
        and config.get("extra_fields_behavior") != "allow"
    )


__all__ = ["Check", "for_model"]
