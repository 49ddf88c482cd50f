"""The users service over real HTTP, as its container serves it (Flask)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flotilla.runtime.testing import serve_in_thread

SERVICE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with serve_in_thread(SERVICE) as base, httpx.Client(base_url=base, timeout=10) as c:
        yield c


def test_create_get_delete(client: httpx.Client) -> None:
    resp = client.post("/users", json={"email": "Ann@Example.com", "role": "admin"})
    assert resp.status_code == 201
    user = resp.json()
    assert user["email"] == "ann@example.com"
    assert client.get(f"/users/{user['id']}").json() == user
    assert client.delete(f"/users/{user['id']}").status_code == 204
    assert client.get(f"/users/{user['id']}").status_code == 404


def test_duplicate_email_is_409(client: httpx.Client) -> None:
    assert client.post("/users", json={"email": "dup@example.com"}).status_code == 201
    resp = client.post("/users", json={"email": "DUP@example.com"})
    assert resp.status_code == 409
    assert resp.json()["error"]["message"] == "a user with email dup@example.com exists"


def test_validation(client: httpx.Client) -> None:
    assert client.post("/users", json={"email": "nope"}).status_code == 422
    assert client.post("/users", json={"email": "a@b.co", "role": "root"}).status_code == 422
    assert client.post("/users", json=["x"]).status_code == 422


def test_role_filter_repeats(client: httpx.Client) -> None:
    client.post("/users", json={"email": "dev1@example.com", "role": "dev"})
    client.post("/users", json={"email": "view1@example.com", "role": "viewer"})
    roles = {u["role"] for u in client.get("/users", params=[("role", "dev")]).json()["users"]}
    assert roles == {"dev"}
    both = client.get("/users", params=[("role", "dev"), ("role", "viewer")]).json()["users"]
    assert {u["role"] for u in both} == {"dev", "viewer"}


def test_ready_check_runs(client: httpx.Client) -> None:
    assert client.get("/users/readyz").json() == {"status": "ready"}
