"""Binding rules checked where they are decided: at registration, once per route."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from flotilla import Header, Plugin, Query, Request
from flotilla.runtime.binding import Binding


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
