"""Users: a small directory on an in-memory store.

It shows both styles of the plugin API: `Request`-style handlers that read the raw request,
and one typed handler (create) whose body pydantic validates.
"""

from __future__ import annotations

import threading
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from flotilla import HTTPError, Plugin, Request, Response

plugin = Plugin("users", title="Users")

# Whitespace spelled out: Python's \s and pydantic's (Rust) \s differ on a few characters.
EMAIL = r"^[^@ \t\r\n\f\v]+@[^@ \t\r\n\f\v]+\.[^@ \t\r\n\f\v]+$"
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


class Role(StrEnum):
    admin = "admin"
    dev = "dev"
    viewer = "viewer"


class NewUser(BaseModel):
    email: str = Field(max_length=254, pattern=EMAIL)
    role: Role = Role.viewer


class User(NewUser):
    id: str


@plugin.post("/", status=201)
def create_user(new: NewUser, request: Request) -> User:
    """Typed: pydantic checks the body; the other routes read the raw Request."""
    user = User(id=uuid.uuid4().hex[:12], email=new.email.lower(), role=new.role)
    with _lock:
        if any(u["email"] == user.email for u in _users.values()):
            raise HTTPError(409, f"a user with email {user.email} exists")
        _users[user.id] = user.model_dump(mode="json")
    return Response(_users[user.id], status=201, headers={"Location": f"{request.path}{user.id}"})


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
