"""A plugin's OpenAPI 3.1 document, generated from its routes with pydantic's JSON Schema.

It is built from the plugin alone (never from the framework serving it), so it is
byte-identical under FastAPI, Flask and Django. Paths carry the service's prefix; every
operation documents the error shapes it can answer; `<path>/healthz` and `/readyz` are
included (metrics and stats are not public).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from flotilla.runtime import errors
from flotilla.runtime.binding import Binding
from flotilla.runtime.plugin import Plugin, path_names

VERSION = "3.1.0"
REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*):path\}")
ERROR_REF = {"$ref": "#/components/schemas/Error"}
JSON = "application/json"
BODY_ERRORS = {
    "400": "malformed JSON body",
    "413": "request body over the service's max_body_bytes",
    "415": "the body is not application/json",
}
STATUS_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string"},
        "failed": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["status"],
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _media(returns: Any) -> str:
    """The content type a return annotation answers with."""
    if returns is str:
        return "text/plain; charset=utf-8"
    if returns is bytes:
        return "application/octet-stream"
    return JSON


class _Inputs:
    """Collects every schema the document needs, then generates them in one pass so shared
    models become one entry in `components.schemas`."""

    def __init__(self) -> None:
        self.inputs: list[tuple[Any, Any, Any]] = []

    def add(self, key: Any, tp: Any, mode: str) -> None:
        adapter: TypeAdapter[Any] = TypeAdapter(tp)
        self.inputs.append((key, mode, adapter.core_schema))

    def generate(self) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
        gen = GenerateJsonSchema(ref_template=REF)
        mapping, defs = gen.generate_definitions(self.inputs)
        return {key: schema for (key, _), schema in mapping.items()}, {
            str(k): v for k, v in defs.items()
        }


def _has_schema(returns: Any) -> bool:
    if returns in (None, str, bytes, type(None)):
        return False
    try:
        TypeAdapter(returns)
    except Exception:  # e.g. a tuple[str, int] of a Request-style handler: no schema
        return False
    return True


def document(plugin: Plugin, prefix: str, version: str) -> dict[str, Any]:
    """The OpenAPI document for `plugin` mounted at `prefix` (the API version: the manifest's)."""
    inputs = _Inputs()
    inputs.add("Error", errors.Error, "serialization")
    inputs.add("ValidationError", errors.ValidationError, "serialization")
    operations: list[tuple[str, str, Binding]] = []
    for spec in plugin.routes.values():
        for method, binding in spec.bindings.items():
            key = (spec.path, method)
            operations.append((spec.path, method, binding))
            for kind, model in binding.models.items():
                inputs.add((*key, kind), model, "validation")
            if binding.body is not None:
                inputs.add((*key, "body"), binding.body.annotation, "validation")
            if _has_schema(binding.returns):
                inputs.add((*key, "returns"), binding.returns, "serialization")
    schemas, defs = inputs.generate()
    paths: dict[str, dict[str, Any]] = {}
    for runtime_path in ("healthz", "readyz"):
        paths[f"{prefix}/{runtime_path}"] = {"get": _runtime_operation(runtime_path)}
    used_ids: set[str] = set()
    for path, method, binding in operations:
        url = prefix + _PATH_PARAM.sub(r"{\1}", path)
        op = _operation(path, method, binding, schemas, defs, used_ids)
        paths.setdefault(url, {})[method.lower()] = op
    return {
        "openapi": VERSION,
        "info": {"title": plugin.title, "version": version},
        "paths": paths,
        "components": {"schemas": dict(sorted(defs.items()))},
    }


def _runtime_operation(name: str) -> dict[str, Any]:
    if name == "healthz":
        return {
            "operationId": "healthz",
            "summary": "Liveness: the process answers.",
            "responses": {"200": _json(STATUS_SCHEMA, "alive")},
        }
    return {
        "operationId": "readyz",
        "summary": "Readiness: every readiness check passes and the service is not draining.",
        "responses": {
            "200": _json(STATUS_SCHEMA, "ready"),
            "503": _json(STATUS_SCHEMA, "not ready or draining"),
        },
    }


def _inline(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A parameter model's schema, taken out of components (only its properties are used)."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = defs.pop(ref.rsplit("/", 1)[1])
    return found


def _operation(
    path: str,
    method: str,
    binding: Binding,
    schemas: dict[Any, dict[str, Any]],
    defs: dict[str, Any],
    used_ids: set[str],
) -> dict[str, Any]:
    key = (path, method)
    op_id = binding.func.__name__
    if op_id in used_ids:
        op_id = f"{op_id}_{method.lower()}"
    used_ids.add(op_id)
    op: dict[str, Any] = {"operationId": op_id}
    doc = (binding.func.__doc__ or "").strip()
    if doc:
        op["summary"] = doc.splitlines()[0]
    params = []
    for kind in binding.models:
        model = _inline(schemas[(*key, kind)], defs)
        required = set(model.get("required", []))
        for wire, prop in model.get("properties", {}).items():
            param: dict[str, Any] = {"name": wire, "in": kind, "required": wire in required}
            param["schema"] = prop if wire in required else _absent_is_none(prop)
            params.append(param)
    if "path" not in binding.models:  # a Request-style handler reads them as strings
        for name in path_names(path):
            params.append(
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            )
    if params:
        op["parameters"] = params
    if binding.body is not None:
        op["requestBody"] = {
            "required": binding.body.required,
            "content": {JSON: {"schema": schemas[(*key, "body")]}},
        }
    responses = _success(binding, schemas.get((*key, "returns")))
    if binding.typed:
        responses["422"] = _json(
            {"$ref": "#/components/schemas/ValidationError"}, "validation failed"
        )
    if binding.body is not None:
        for code, text in BODY_ERRORS.items():
            responses[code] = _json(ERROR_REF, text)
    responses["default"] = _json(ERROR_REF, 'an error: {"error": {"status", "message"}}')
    op["responses"] = responses
    return op


def _success(binding: Binding, schema: dict[str, Any] | None) -> dict[str, Any]:
    """The success answer: the return annotation's schema and media type."""
    returns, status = binding.returns, str(binding.status)
    if returns is type(None):
        return {"204" if status == "200" else status: {"description": "no content"}}
    if returns is None:  # unannotated, Any or Response: whatever the handler answers
        return {status: {"description": "the handler's answer"}}
    media = _media(returns)
    if schema is None:
        schema = {"type": "string"} if returns is str else {"type": "string", "format": "binary"}
    return {status: {"description": "success", "content": {media: {"schema": schema}}}}


def _absent_is_none(schema: dict[str, Any]) -> dict[str, Any]:
    """`x: T | None = None` as a parameter: None means absent (a URL cannot carry null)."""
    options = schema.get("anyOf")
    if not options or {"type": "null"} not in options:
        return schema
    rest = [o for o in options if o != {"type": "null"}]
    out = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    if len(rest) == 1:
        return {**rest[0], **out}
    return {**out, "anyOf": rest}


def dumps(doc: dict[str, Any]) -> bytes:
    """The document's bytes: one fixed serialisation, so hashes compare across frameworks."""
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


__all__ = ["document", "dumps"]
