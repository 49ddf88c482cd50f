"""The example services' images, run the way ECS runs them: read-only root fs, /tmp as tmpfs,
non-root, health checked, stopped by SIGTERM."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from flotilla.deploy.build import run_build
from flotilla.discovery import discover
from flotilla.project import load_project
from tests.fixtures.images import commit, copy_repo

pytestmark = pytest.mark.docker
ROUTES = {"orders": "/orders/", "users": "/users/", "catalog": "/catalog/products"}
# What only the operator's CLI needs (typer, rich and what they pull in).
CLI_ONLY = {"typer", "rich", "pygments", "markdown-it-py", "mdurl", "shellingham"}
SLOW_SERVICE = """
import asyncio
from pathlib import Path

from flotilla import Plugin, Request

plugin = Plugin("slow")


@plugin.get("/wait")
async def wait(request: Request) -> dict:
    Path("/tmp/slow-started").write_text("started")  # the test waits for this
    await asyncio.sleep(float(request.query.get("seconds", "1")))
    return {"waited": True}
"""


def add_slow_service(root: Path) -> None:
    """A FastAPI plugin with a slow route; same inputs as orders, so its lock fits."""
    folder = root / "services" / "slow"
    folder.mkdir()
    (folder / "service.toml").write_text(
        'name = "slow"\nframework = "fastapi"\nentry = "slow_service:plugin"\n'
        'path = "/slow"\nversion = "1.0.0"\n'
    )
    (folder / "slow_service.py").write_text(SLOW_SERVICE)
    for name in ("requirements.txt", "requirements.lock"):
        shutil.copy(root / "services" / "orders" / name, folder / name)


@pytest.fixture(scope="module")
def examples(
    tmp_path_factory: pytest.TempPathFactory, base_image: str, docker_engine: Any
) -> dict[str, Any]:
    root = copy_repo(tmp_path_factory.mktemp("examples") / "repo")
    add_slow_service(root)
    commit(root, "slow service")
    project = load_project(root)
    services = discover(project.services_dir, include_installed=False)
    assert {s.name for s in services} >= set(ROUTES)
    manifest = run_build(project, services, plain=True, base_image=base_image)
    assert {e["status"] for e in manifest["services"].values()} <= {"built", "unchanged"}
    return manifest


@pytest.fixture
def container(docker_engine: Any) -> Iterator[list[Any]]:
    made: list[Any] = []
    yield made
    for c in made:
        c.remove(force=True)


def run_image(docker_engine: Any, entry: dict[str, Any], made: list[Any]) -> tuple[Any, str]:
    """The image as ECS runs it (read-only, /tmp tmpfs); (container, base URL)."""
    box = docker_engine.containers.run(
        f"{entry['image']}:{entry['content_tag']}",
        detach=True,
        read_only=True,
        tmpfs={"/tmp": "rw,size=64m"},
        ports={"8000/tcp": ("127.0.0.1", None)},
    )
    made.append(box)
    box.reload()
    return box, f"http://127.0.0.1:{box.ports['8000/tcp'][0]['HostPort']}"


def _wait_healthy(url: str, box: Any) -> requests.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            resp = requests.get(url, timeout=2)
            if resp.status_code == 200:
                return resp
        except requests.ConnectionError:
            pass
        box.reload()
        if box.status != "running" or time.monotonic() > deadline:
            pytest.fail(f"{url} never answered 200; logs:\n{box.logs().decode()[-2000:]}")
        time.sleep(0.3)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_image_runs_read_only_non_root_and_drains(
    name: str, examples: dict[str, Any], docker_engine: Any, container: list[Any]
) -> None:
    box, base = run_image(docker_engine, examples["services"][name], container)
    _wait_healthy(f"{base}/{name}/healthz", box)
    assert requests.get(base + ROUTES[name], timeout=5).status_code == 200
    # The document written at build time is the one the service serves (none for catalog).
    kept = box.exec_run(["cat", "/srv/openapi.json"])
    if name == "catalog":
        assert kept.exit_code != 0
    else:
        served = requests.get(f"{base}/{name}/openapi.json", timeout=5)
        assert kept.exit_code == 0 and kept.output == served.content
    uid = box.exec_run(["id", "-u"]).output.decode().strip()
    assert uid != "0" and uid.isdigit()
    written = box.exec_run(["sh", "-c", "touch /srv/service/x || touch /opt/x"])
    assert written.exit_code != 0, "the root filesystem must be read-only"
    assert box.exec_run(["touch", "/tmp/ok"]).exit_code == 0

    drain = int(
        next(
            e for e in box.attrs["Config"]["Env"] if e.startswith("FLOTILLA_DRAIN_SECONDS=")
        ).split("=")[1]
    )
    box.kill(signal="SIGTERM")
    result = box.wait(timeout=drain + 5)
    assert result["StatusCode"] == 0, box.logs().decode()[-2000:]


def test_checked_in_locks_are_fresh(repo_root: Path) -> None:
    from flotilla.deploy.build.lock import lock_problem
    from flotilla.deploy.build.source import FlotillaSource

    project = load_project(repo_root)
    source = FlotillaSource(project)
    problems = [lock_problem(s, source) for s in discover(project.services_dir)]
    assert not [p for p in problems if p]


def test_request_in_flight_at_sigterm_completes_with_200(
    examples: dict[str, Any], docker_engine: Any, container: list[Any]
) -> None:
    box, base = run_image(docker_engine, examples["services"]["slow"], container)
    _wait_healthy(f"{base}/slow/readyz", box)
    result: dict[str, requests.Response] = {}
    slow = threading.Thread(
        target=lambda: result.update(r=requests.get(f"{base}/slow/wait?seconds=3", timeout=30))
    )
    slow.start()
    deadline = time.monotonic() + 20
    while box.exec_run(["test", "-f", "/tmp/slow-started"]).exit_code != 0:
        assert time.monotonic() < deadline, "the slow request never started"
        time.sleep(0.1)
    box.kill(signal="SIGTERM")
    ready = requests.get(f"{base}/slow/readyz", timeout=5)
    assert ready.status_code == 503 and ready.json() == {"status": "draining"}
    slow.join(timeout=30)
    assert result["r"].status_code == 200 and result["r"].json() == {"waited": True}
    assert box.wait(timeout=30)["StatusCode"] == 0, box.logs().decode()[-2000:]


def test_image_holds_the_runtime_only(examples: dict[str, Any], docker_engine: Any) -> None:
    """The installed distributions: the runtime and its server, none of the CLI's."""
    entry = examples["services"]["orders"]
    listing = docker_engine.containers.run(
        f"{entry['image']}:{entry['content_tag']}",
        ["python3", "-c", "import importlib.metadata as m; "
         "print('\\n'.join(d.metadata['Name'].lower() for d in m.distributions()))"],
        remove=True,
    ).decode().split()  # fmt: skip
    installed = set(listing)
    assert {"flotilla", "fastapi", "uvicorn", "uvloop", "httptools", "orjson"} <= installed
    assert not installed & CLI_ONLY, f"CLI-only packages in the image: {installed & CLI_ONLY}"
