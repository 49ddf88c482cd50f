"""Binding rules checked where they are decided: at registration, once per route."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from flotilla import Header, Plugin, Query, Request
from flotilla.runtime.binding import Binding
from flotilla.runtime.errors import ValidationFailed
from flotilla.runtime.messages import Headers


class Thing(BaseModel):
    name: str


def test_request_style_handlers_are_called_as_they_are() -> None:
    plugin = Plugin("p")

    def classic(request: Request) -> dict[str, str]:
        return {}

    plugin.get("/a")(classic)
    plugin.get("/b")(lambda r: None)
    assert plugin.routes["/a"].handlers["GET"] is classic  # no wrapper, no per-request cost
    assert plugin.routes["/b"].bindings["GET"].request_args == ["r"]


def test_each_parameter_goes_where_the_rules_say() -> None:
    def handler(
        thing_id: int,
        body: Thing,
        request: Request,
        tags: list[str] = Query([]),
        limit: int = 5,
        x_tenant: str | None = Header(None),
    ) -> Thing:
        return body

    binding = Binding.build(handler, "/things/{thing_id}", ["thing_id"])
    wire = {kind: [(b.name, b.wire, b.many) for b in f] for kind, f in binding.fields.items()}
    assert wire == {
        "path": [("thing_id", "thing_id", False)],
        "query": [("tags", "tags", True), ("limit", "limit", False)],
        "header": [("x_tenant", "x-tenant", False)],
    }
    assert binding.body is not None and binding.body.name == "body" and binding.body.required
    assert binding.request_args == ["request"]
    assert binding.returns is Thing


def test_two_bodies_and_unresolvable_annotations_are_refused_at_registration() -> None:
    plugin = Plugin("p")

    def two(a: Thing, b: list[Thing]) -> None: ...

    with pytest.raises(ValueError, match="two body parameters"):
        plugin.post("/x")(two)

    def later(a: Missing) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(ValueError, match="define models before the handler"):
        plugin.post("/y")(later)


def test_a_query_and_a_header_of_one_wire_name_stay_apart() -> None:
    """One flat params model: fields are keyed by argument, a 422's loc names the wire."""

    def handler(tag: str = Query(alias="x-tag"), x_tag: int = Header()) -> None: ...

    binding = Binding.build(handler, "/x", [])

    def request(query: str, headers: list[tuple[str, str]]) -> Request:
        return Request(
            method="GET", path="/x", path_params={}, query=query, headers=Headers(headers), body=b""
        )

    assert binding.bind(request("x-tag=q", [("x-tag", "7")])) == {"tag": "q", "x_tag": 7}
    with pytest.raises(ValidationFailed) as failed:
        binding.bind(request("", [("x-tag", "seven")]))
    assert [(f["loc"], f["type"]) for f in failed.value.fields] == [
        (["query", "x-tag"], "missing"),
        (["header", "x-tag"], "int_parsing"),
    ]
