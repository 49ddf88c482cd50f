"""The example services' images, run the way ECS runs them: read-only root fs, /tmp as tmpfs,
non-root, health checked, stopped by SIGTERM."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from flotilla.deploy.build import run_build
from flotilla.discovery import discover
from flotilla.project import load_project
from tests.fixtures.images import copy_repo

pytestmark = pytest.mark.docker
ROUTES = {"orders": "/orders/", "users": "/users/", "catalog": "/catalog/products"}


@pytest.fixture(scope="module")
def examples(
    tmp_path_factory: pytest.TempPathFactory, base_image: str, docker_engine: Any
) -> dict[str, Any]:
    root = copy_repo(tmp_path_factory.mktemp("examples") / "repo")
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
    entry = examples["services"][name]
    image = f"{entry['image']}:{entry['content_tag']}"
    box = docker_engine.containers.run(
        image,
        detach=True,
        read_only=True,
        tmpfs={"/tmp": "rw,size=64m"},
        ports={"8000/tcp": ("127.0.0.1", None)},
    )
    container.append(box)
    box.reload()
    port = box.ports["8000/tcp"][0]["HostPort"]
    base = f"http://127.0.0.1:{port}"
    _wait_healthy(f"{base}/{name}/healthz", box)
    assert requests.get(base + ROUTES[name], timeout=5).status_code == 200
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
