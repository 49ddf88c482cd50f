"""The whole pipeline against ENV=local: `flotilla deploy --env local` in a scratch copy of the
repository (services, infra, docker), with real builds, registry, terraform and containers.

Slow by nature (builds, terraform, the Terraform target groups' 15 s health checks and 30 s
deregistration delay), so the four steps share one environment and run in order.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from tests.fixtures.local_env import VERSION_ROUTE, Load, ScratchProject, scratch_project

from flotilla.discovery import discover

pytestmark = [pytest.mark.docker, pytest.mark.terraform, pytest.mark.slow]
# A version whose readiness check fails: its health path (readyz) answers 503.
NEVER_READY = """

@plugin.ready_check
def never_ready() -> bool:
    return False
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchProject]:
    with scratch_project(tmp_path_factory.mktemp("deploy-local")) as p:
        yield p


def _get(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def test_deploy_local_serves_every_service_through_the_alb(project: ScratchProject) -> None:
    r = project.deploy()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for svc in discover(project.root / "services"):
        path = svc.manifest.path
        assert _get(f"{project.alb}{path}/healthz").status_code == 200, path
        assert _get(f"{project.alb}{path}/metrics").status_code == 404, path
        assert _get(f"{project.alb}{path}/stats").status_code == 404, path
    assert _get(f"{project.alb}/no-such-service/").status_code == 404
    status = project.run("status", "--env", "local")
    assert status.returncode == 0 and "orders" in status.stdout, status.stderr


def test_redeploy_of_a_changed_service_drops_no_request(
    project: ScratchProject, record_property: Any
) -> None:
    with (project.root / "services/orders/orders_service.py").open("a") as f:
        f.write(VERSION_ROUTE)
    project.commit("orders: /version")
    assert _get(f"{project.alb}/orders/meta/version").status_code == 404
    with Load(f"{project.alb}/orders/healthz", rate=50, seconds=600, json=False) as load:
        r = project.deploy()
    record_property("requests", load.total)
    print(f"zero-downtime deploy: {load.total} requests, {len(load.failures)} failed")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert load.failures == [] and load.total > 500, (load.total, load.failures[:5])
    assert _get(f"{project.alb}/orders/meta/version").json() == {"version": "2"}


def test_a_failing_health_check_stops_the_deploy_and_the_old_version_serves(
    project: ScratchProject,
) -> None:
    with (project.root / "services/orders/orders_service.py").open("a") as f:
        f.write(NEVER_READY)
    toml = project.root / "services/orders/service.toml"
    toml.write_text(
        toml.read_text().replace('path = "/orders"', 'path = "/orders"\nhealth = "/orders/readyz"')
    )
    project.commit("orders: broken health check")
    r = project.deploy()
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-3000:]
    assert "GET /orders/readyz" in out and "HTTP 503" in out, out[-3000:]
    assert "circuit breaker" in out
    assert _get(f"{project.alb}/orders/meta/version").json() == {"version": "2"}


def test_rollback_restores_the_previous_responses(project: ScratchProject) -> None:
    # Undo the broken manifest first (a rollback swaps images, the manifests stay as they are).
    subprocess.run(
        ["git", "revert", "--no-edit", "HEAD"],
        cwd=project.root,
        check=True,
        capture_output=True,
        env=project.env,
    )
    r = project.run("rollback", "--env", "local", "orders", "--yes")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert _get(f"{project.alb}/orders/meta/version").status_code == 404  # the first release again
    assert _get(f"{project.alb}/orders/healthz").status_code == 200
