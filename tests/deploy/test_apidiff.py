"""Each breaking-change rule with a pair of documents and the plan.md line it must produce."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from flotilla.deploy.apidiff import compare, plan_lines

Doc = dict[str, Any]

BASE: Doc = {
    "openapi": "3.1.0",
    "info": {"title": "Orders", "version": "1.0.0"},
    "paths": {
        "/orders/": {
            "get": {
                "parameters": [
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer"}},
                    {"name": "status", "in": "query", "required": False,
                     "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Status"}}},
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "array",
                               "items": {"$ref": "#/components/schemas/Order"}}}}}},
            },
            "post": {
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewOrder"}}}},
                "responses": {"201": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Order"}}}}},
            },
        },
        "/orders/{order_id}": {
            "delete": {
                "parameters": [{"name": "order_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"204": {"description": "gone"}},
            }
        },
    },
    "components": {"schemas": {
        "Status": {"type": "string", "enum": ["new", "paid"]},
        "NewOrder": {"type": "object", "required": ["customer"], "properties": {
            "customer": {"type": "string"},
            "qty": {"anyOf": [{"type": "number"}, {"type": "null"}]},
            "status": {"$ref": "#/components/schemas/Status"},
        }},
        "Order": {"type": "object", "properties": {
            "id": {"type": "string"}, "customer": {"type": "string"}}},
    }},
}  # fmt: skip


def changed(edit: Callable[[Doc], None]) -> Doc:
    doc = copy.deepcopy(BASE)
    edit(doc)
    return doc


def schemas(doc: Doc) -> Doc:
    return doc["components"]["schemas"]  # type: ignore[no-any-return]


def listing(doc: Doc) -> Doc:
    return doc["paths"]["/orders/"]["get"]  # type: ignore[no-any-return]


CASES = [
    ("removed-method", lambda d: d["paths"].pop("/orders/{order_id}"),
     ["- breaking: DELETE /orders/{order_id}: removed"]),
    ("new-required-parameter", lambda d: listing(d)["parameters"].append(
        {"name": "x-tenant", "in": "header", "required": True, "schema": {"type": "string"}}),
     ["- breaking: GET /orders/: header parameter x-tenant is new and required"]),
    ("parameter-becomes-required", lambda d: listing(d)["parameters"][0].update(required=True),
     ["- breaking: GET /orders/: query parameter limit is new and required"]),
    ("new-required-body-field", lambda d: (
        schemas(d)["NewOrder"]["properties"].update(items={"type": "array"}),
        schemas(d)["NewOrder"]["required"].append("items")),
     ["- breaking: POST /orders/: body field items is new and required"]),
    ("narrowed-type", lambda d: schemas(d)["NewOrder"]["properties"].update(
        qty={"type": "integer"}),
     ["- breaking: POST /orders/: body field qty: type narrowed (no longer accepts null, number)"]),
    ("narrowed-parameter-type", lambda d: listing(d)["parameters"][0].update(
        schema={"type": "string", "enum": ["10", "50"]}),
     ["- breaking: GET /orders/: query parameter limit: type narrowed (no longer accepts "
      "integer)", "- breaking: GET /orders/: query parameter limit: enum narrowed (now an enum)"]),
    ("narrowed-enum", lambda d: schemas(d)["Status"].update(enum=["new"]),
     ["- breaking: GET /orders/: query parameter status: enum narrowed (removed paid)",
      "- breaking: POST /orders/: body field status: enum narrowed (removed paid)"]),
    ("removed-response-field", lambda d: schemas(d)["Order"]["properties"].pop("customer"),
     ["- breaking: GET /orders/: response field customer removed",
      "- breaking: POST /orders/: response field customer removed"]),
    ("additions", lambda d: (
        schemas(d)["Status"].update(enum=["new", "paid", "shipped"]),
        listing(d)["parameters"].append(
            {"name": "sku", "in": "query", "required": False, "schema": {"type": "string"}}),
        schemas(d)["Order"]["properties"].update(total={"type": "number"}),
        d["paths"]["/orders/{order_id}"].update(get={"responses": {}})),
     ["- added: GET /orders/: query parameter status: enum widened (added shipped)",
      "- added: GET /orders/: query parameter sku is new (optional)",
      "- added: GET /orders/: response field total added",
      "- added: POST /orders/: body field status: enum widened (added shipped)",
      "- added: POST /orders/: response field total added",
      "- added: GET /orders/{order_id}: new operation"]),
    ("widened-type-is-not-breaking", lambda d: schemas(d)["Order"]["properties"].update(
        id={"type": ["string", "integer"]}), []),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "edit", "lines"), CASES, ids=[c[0] for c in CASES])
def test_rule_and_its_plan_line(rule: str, edit: Callable[[Doc], Any], lines: list[str]) -> None:
    assert plan_lines(compare(BASE, changed(edit))) == lines


def test_same_document_has_no_changes() -> None:
    diff = compare(BASE, copy.deepcopy(BASE))
    assert not diff.changed and plan_lines(diff) == []
