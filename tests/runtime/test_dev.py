"""`flotilla dev`: all example services in one process on one port, reloading on change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flotilla.discovery import discover
from flotilla.errors import UsageError
from flotilla.process import free_port, stop
from flotilla.runtime.dev import check_module_names

REPO = Path(__file__).resolve().parents[2]


def poll(url: str, ok: object, seconds: float = 30) -> httpx.Response:
    """GET until `ok(response)` holds (bounded in time)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            resp = httpx.get(url, timeout=2)
            if ok(resp):  # type: ignore[operator]
                return resp
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} never became ready"
        time.sleep(0.1)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "flotilla.toml", tmp_path / "flotilla.toml")
    shutil.copytree(
        REPO / "services", tmp_path / "services", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


@pytest.fixture
def dev_server(project: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "FLOTILLA_ROOT": str(project), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "flotilla.cli", "dev", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc, timeout=15)


def test_all_services_share_one_port_and_reload(project: Path, dev_server: str) -> None:
    index = poll(dev_server + "/", lambda r: r.status_code == 200).json()
    assert {name: s["path"] for name, s in index["services"].items()} == {
        "catalog": "/catalog", "orders": "/orders", "users": "/users",
    }  # fmt: skip
    for name in ("orders", "users", "catalog"):
        assert httpx.get(f"{dev_server}/{name}/healthz").status_code == 200
    assert (
        httpx.post(
            f"{dev_server}/orders", json={"customer": "d", "items": [{"sku": "x"}]}
        ).status_code
        == 201
    )
    assert httpx.get(f"{dev_server}/catalog/products/kayak").json()["slug"] == "kayak"
    assert httpx.get(f"{dev_server}/users/nobody").json()["error"]["message"] == "user not found"

    code = project / "services" / "users" / "users_service.py"
    code.write_text(code.read_text().replace('"user not found"', '"no such user"'))
    resp = poll(
        f"{dev_server}/users/nobody",
        lambda r: r.status_code == 404 and r.json()["error"]["message"] == "no such user",
    )
    assert resp.headers["x-request-id"]


def test_services_sharing_a_module_name_cannot_share_a_process(project: Path) -> None:
    users = project / "services" / "users" / "service.toml"
    users.write_text(users.read_text().replace("users_service:plugin", "orders_service:plugin"))
    (project / "services" / "users" / "orders_service.py").write_text("")
    with pytest.raises(UsageError, match="'orders' and 'users' both use a top-level module"):
        check_module_names(discover(project / "services", include_installed=False))
