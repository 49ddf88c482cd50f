"""Users: a small directory on an in-memory store, written with the flotilla plugin API."""

from __future__ import annotations

import re
import threading
import uuid
from typing import Any

from flotilla import HTTPError, Plugin, Request, Response

plugin = Plugin("users")

ROLES = ("admin", "dev", "viewer")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_lock = threading.Lock()  # Flask serves from a thread pool
_users: dict[str, dict[str, Any]] = {}


@plugin.ready_check
def store_ready() -> bool:
    return isinstance(_users, dict)


@plugin.get("/")
def list_users(request: Request) -> dict[str, Any]:
    """?role=admin&role=dev matches any listed role."""
    roles = request.query.getlist("role")
    with _lock:
        users = sorted(_users.values(), key=lambda u: u["email"])
    found = [u for u in users if not roles or u["role"] in roles]
    return {"users": found, "count": len(found)}


@plugin.post("/")
def create_user(request: Request) -> Response:
    data = request.json()
    if not isinstance(data, dict):
        raise HTTPError(422, "body must be a JSON object")
    email, role = data.get("email"), data.get("role", "viewer")
    if not isinstance(email, str) or not EMAIL.match(email):
        raise HTTPError(422, "email must look like name@example.com")
    if role not in ROLES:
        raise HTTPError(422, f"role must be one of {', '.join(ROLES)}")
    user = {"id": uuid.uuid4().hex[:12], "email": email.lower(), "role": role}
    with _lock:
        if any(u["email"] == user["email"] for u in _users.values()):
            raise HTTPError(409, f"a user with email {user['email']} exists")
        _users[user["id"]] = user
    return Response(user, status=201, headers={"Location": f"{request.path}{user['id']}"})


@plugin.get("/{user_id}")
def get_user(request: Request) -> dict[str, Any]:
    user = _users.get(request.path_params["user_id"])
    if user is None:
        raise HTTPError(404, "user not found")
    return user


@plugin.delete("/{user_id}")
def delete_user(request: Request) -> None:
    with _lock:
        if _users.pop(request.path_params["user_id"], None) is None:
            raise HTTPError(404, "user not found")
