"""A pydantic model's JSON straight from pydantic-core, when that is byte-for-byte what
`dispatch.dumps(model.model_dump(mode="json"))` gives (the bytes every adapter sends).

pydantic's own JSON skips building the intermediate dicts and `json.dumps`, but formats some
values differently: floats (`1e-05` is `0.00001`, `inf` is `null`), and anything reaching
pydantic's type inference (`Any`, extra fields, custom serializers, a value that does not fit
its field). So it is used only for models whose schema holds none of those, decided once per
class from the core schema, and only for instances whose values all have exactly their
fields' types (runtime.fits); everything else takes the `model_dump` + `json.dumps` path,
unchanged, with its warning or error.

The values are checked in Python, not with pydantic-core's `warnings="error"`: pydantic-core
reads that string by first failing to read it as a bool, and PyO3 normalizes that error with
the GIL released, twice per call. With the worker's pool threads waiting for the GIL (Flask,
Django, sync handlers) every answer then handed the GIL away and waited to get it back:
measured in-process with 10 threads, 0.3 to 7 context switches per request instead of 0.15,
and up to twice the CPU per request (the cost that grew with wrk's 16 connections).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticSerializationError, SchemaSerializer

from flotilla.runtime import fits

_checks: dict[type[BaseModel], fits.Check | None] = {}
_list_serializers: dict[type[BaseModel], SchemaSerializer] = {}


def model_json(model: BaseModel) -> bytes | None:
    """`model`'s JSON from pydantic-core, or None when only the `model_dump` path is exact."""
    cls = type(model)
    check = _check_for(cls)
    if check is None or not _fits(check, model):
        return None
    return _to_json(cls.__pydantic_serializer__, model)


def models_json(models: list[Any]) -> bytes | None:
    """Models of one class as one JSON array, in one pydantic-core call; None for a mixed
    list, or as `model_json` would."""
    cls = type(models[0]) if models else None
    if cls is None or not issubclass(cls, BaseModel):
        return None
    check = _check_for(cls)
    if check is None:
        return None
    each: fits.Check = check  # refuses an item of any other class
    if not _fits(lambda items: all(map(each, items)), models):
        return None
    serializer = _list_serializers.get(cls)
    if serializer is None:
        serializer = TypeAdapter(list[cls]).serializer  # type: ignore[valid-type]
        _list_serializers[cls] = serializer
    return _to_json(serializer, models)


def _check_for(cls: type[BaseModel]) -> fits.Check | None:
    if cls not in _checks:
        _checks[cls] = fits.for_model(cls)
    return _checks[cls]


def _fits(check: fits.Check, value: Any) -> bool:
    try:
        return check(value)
    except (KeyError, RecursionError):  # a field missing, a model that contains itself
        return False


def _to_json(serializer: SchemaSerializer, value: Any) -> bytes | None:
    try:
        out: bytes = serializer.to_json(value, warnings=False)
    except PydanticSerializationError:
        return None  # e.g. a lone surrogate: the old path raises its own error
    return out
