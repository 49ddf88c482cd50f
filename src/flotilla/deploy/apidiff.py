"""Breaking changes between two OpenAPI documents: the deployed release's and the new one.

No maintained Python library fits (oasdiff is Go), so the rules are few and small:

- breaking: a removed path or method; a new required parameter or body field (or a body that
  becomes required); a narrowed type or enum (a parameter's or body field's type set or enum
  values shrink); a removed response field (a property of the success response's schema);
- additions: a new path or method, a new optional parameter or body field, a widened enum, a
  new response field.

`$ref`s are resolved against the document's own components; `anyOf`/`oneOf` branches count
as a union. Nested models are compared one level down from the body and the response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
Doc = dict[str, Any]


@dataclass
class ApiDiff:
    breaking: list[str] = field(default_factory=list)
    additions: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.breaking or self.additions)


def _resolve(doc: Doc, schema: Any) -> dict[str, Any]:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        schema = doc.get("components", {}).get("schemas", {}).get(name, {})
        seen += 1
    return schema if isinstance(schema, dict) else {}


def _branches(doc: Doc, schema: Any) -> list[dict[str, Any]]:
    s = _resolve(doc, schema)
    options = s.get("anyOf") or s.get("oneOf")
    if options:
        return [b for o in options for b in _branches(doc, o)]
    return [s]


def _types(doc: Doc, schema: Any) -> set[str]:
    out: set[str] = set()
    for b in _branches(doc, schema):
        t = b.get("type")
        if t is None:
            out.add("any" if "enum" not in b and "const" not in b else "enum")
        else:
            out.update([t] if isinstance(t, str) else t)
    if "number" in out:
        out.add("integer")  # a number accepts every integer
    return out


def _enum(doc: Doc, schema: Any) -> set[Any] | None:
    values: set[Any] = set()
    for b in _branches(doc, schema):
        if "enum" in b:
            values.update(map(_key, b["enum"]))
        elif "const" in b:
            values.add(_key(b["const"]))
        elif b.get("type") != "null":
            return None  # an open branch: no enum to narrow
    return values or None


def _key(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else repr(value)


def _narrowing(where: str, old_doc: Doc, old: Any, new_doc: Doc, new: Any, diff: ApiDiff) -> None:
    old_s, new_s = _resolve(old_doc, old), _resolve(new_doc, new)
    if old_s.get("type") == new_s.get("type") == "array":  # a list: compare its items
        old, new = old_s.get("items"), new_s.get("items")
    old_t, new_t = _types(old_doc, old), _types(new_doc, new)
    if "any" not in new_t and not old_t <= new_t:
        lost = ", ".join(sorted(old_t - new_t))
        diff.breaking.append(f"{where}: type narrowed (no longer accepts {lost})")
    old_e, new_e = _enum(old_doc, old), _enum(new_doc, new)
    if new_e is not None:
        if old_e is None or old_e - new_e:
            removed = sorted(map(str, (old_e or set()) - new_e))
            what = f"removed {', '.join(removed)}" if removed else "now an enum"
            diff.breaking.append(f"{where}: enum narrowed ({what})")
        elif new_e - old_e:
            added = ", ".join(sorted(map(str, new_e - old_e)))
            diff.additions.append(f"{where}: enum widened (added {added})")


def _operations(doc: Doc) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): op
        for path, item in doc.get("paths", {}).items()
        for method, op in item.items()
        if method in METHODS and isinstance(op, dict)
    }


def _params(op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["in"], p["name"]): p for p in op.get("parameters", []) if "name" in p}


def _body(doc: Doc, op: dict[str, Any]) -> tuple[bool, dict[str, Any]] | None:
    body = op.get("requestBody")
    if not body:
        return None
    content: dict[str, Any] = body.get("content", {})
    media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
    return bool(body.get("required")), _object(doc, media.get("schema"))


def _object(doc: Doc, schema: Any) -> dict[str, Any]:
    """The object a schema describes (for a list, its items)."""
    s = _resolve(doc, schema)
    if s.get("type") == "array":
        s = _resolve(doc, s.get("items"))
    return s


def _success(doc: Doc, op: dict[str, Any]) -> dict[str, Any]:
    for status, response in sorted(op.get("responses", {}).items()):
        if status.startswith("2"):
            content = _resolve(doc, response).get("content", {})
            media = content.get("application/json")
            if media:
                return _object(doc, media.get("schema"))
    return {}


def compare(old: Doc, new: Doc) -> ApiDiff:
    """What changed from `old` (deployed) to `new`, in path/method order."""
    diff = ApiDiff()
    old_ops, new_ops = _operations(old), _operations(new)
    for key in sorted(old_ops.keys() | new_ops.keys()):
        name = f"{key[1].upper()} {key[0]}"
        if key not in new_ops:
            diff.breaking.append(f"{name}: removed")
            continue
        if key not in old_ops:
            diff.additions.append(f"{name}: new operation")
            continue
        _compare_op(name, old, old_ops[key], new, new_ops[key], diff)
    return diff


def _compare_op(
    name: str, old: Doc, old_op: dict[str, Any], new: Doc, new_op: dict[str, Any], diff: ApiDiff
) -> None:
    old_p, new_p = _params(old_op), _params(new_op)
    for key, param in new_p.items():
        where = f"{name}: {key[0]} parameter {key[1]}"
        before = old_p.get(key)
        if param.get("required") and not (before and before.get("required")):
            diff.breaking.append(f"{where} is new and required")
        elif before is None:
            diff.additions.append(f"{where} is new (optional)")
        if before is not None:
            _narrowing(where, old, before.get("schema"), new, param.get("schema"), diff)
    old_b, new_b = _body(old, old_op), _body(new, new_op)
    if new_b is not None:
        required, schema = new_b
        was_required, before = old_b if old_b is not None else (False, {})
        if required and not was_required:
            diff.breaking.append(f"{name}: request body is now required")
        _fields(name, old, before, new, schema, diff)
    old_r, new_r = _success(old, old_op), _success(new, new_op)
    old_props, new_props = old_r.get("properties", {}), new_r.get("properties", {})
    for prop in sorted(old_props.keys() - new_props.keys()):
        diff.breaking.append(f"{name}: response field {prop} removed")
    for prop in sorted(new_props.keys() - old_props.keys()):
        diff.additions.append(f"{name}: response field {prop} added")


def _fields(
    name: str, old: Doc, before: dict[str, Any], new: Doc, schema: dict[str, Any], diff: ApiDiff
) -> None:
    old_props, new_props = before.get("properties", {}), schema.get("properties", {})
    old_req, new_req = set(before.get("required", [])), set(schema.get("required", []))
    for prop in sorted(new_props):
        where = f"{name}: body field {prop}"
        if prop in new_req and prop not in old_req:
            diff.breaking.append(f"{where} is new and required")
        elif prop not in old_props:
            diff.additions.append(f"{where} is new (optional)")
        if prop in old_props:
            _narrowing(where, old, old_props[prop], new, new_props[prop], diff)


def plan_lines(diff: ApiDiff) -> list[str]:
    """The plan.md lines for one service (breaking first)."""
    return [f"- breaking: {b}" for b in diff.breaking] + [f"- added: {a}" for a in diff.additions]
