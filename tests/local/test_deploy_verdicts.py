"""A deploy's verdict is what the service does, through the whole pipeline against ENV=local
(real builds, registry, terraform, containers, haproxy): a release that answers 500, one with
2% 5xx under load, and one that never gets ready each fail their deploy (exit 4); the first two
roll back on their own to the last release that passed, and a plain rollback never picks them.

One environment for the module, the tests in order; verify windows are kept short with
--verify-seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from tests.fixtures.local_env import Load, ScratchProject, scratch_project

pytestmark = [pytest.mark.docker, pytest.mark.terraform, pytest.mark.slow]

ORDERS = "services/orders/orders_service.py"
USERS = "services/users/users_service.py"
USERS_ROUTE = """


@plugin.get("/meta/built")
def built(request: Request) -> dict[str, str]:
    return {"built": "yes"}
"""
# Every handler of orders reads the store: without one, every request answers 500.
ALL_500 = """

_orders = None  # type: ignore[assignment]
"""
# 2% of the calls to one route answer 503; the rest of the service is fine (smoke is green).
FLAKY = """

_calls = itertools.count(1)


@plugin.get("/meta/flaky")
def flaky(request: Request) -> dict[str, bool]:
    if next(_calls) % 50 == 0:
        raise HTTPError(503, "flaky")
    return {"ok": True}
"""
NEVER_READY = """

@plugin.get("/meta/version")
def version(request: Request) -> dict[str, str]:
    return {"version": "never-ready"}


@plugin.ready_check
def warm_cache() -> bool:
    print("warm_cache: the cache is still cold", flush=True)
    return False
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchProject]:
    with scratch_project(tmp_path_factory.mktemp("verdicts")) as p:
        yield p


def deploy(project: ScratchProject, seconds: int) -> tuple[int, str]:
    r = project.run("deploy", "--env", "local", "--yes", "--verify-seconds", str(seconds))
    return r.returncode, r.stdout + r.stderr


def _append(project: ScratchProject, code: str, message: str) -> None:
    with (project.root / ORDERS).open("a") as f:
        f.write(code)
    project.commit(message)


def releases(project: ScratchProject) -> str:
    r = project.run("releases", "--env", "local", "orders")
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.replace("│", " ")  # the table's column rules


def test_first_deploy_with_no_traffic_is_judged_by_smoke(project: ScratchProject) -> None:
    code, out = deploy(project, 3)
    assert code == 0, out[-4000:]
    assert re.search(r"orders: verify: insufficient traffic \(\d+ requests\); the smoke", out)
    assert requests.get(f"{project.alb}/orders/", timeout=10).status_code == 200


def test_a_release_answering_500_fails_rolls_back_and_is_not_a_rollback_target(
    project: ScratchProject,
) -> None:
    _append(project, ALL_500, "orders: every request answers 500")
    code, out = deploy(project, 3)
    assert code == 4, out[-4000:]
    assert "GET /orders/" in out and "expected no 5xx" in out, out[-4000:]
    assert "rolled back orders to release 1" in out, out[-4000:]
    assert requests.get(f"{project.alb}/orders/", timeout=10).status_code == 200
    listing = releases(project)
    assert re.search(r"orders\s+2\s+deploy\s+failed", listing), listing
    project.revert()


def test_two_percent_5xx_under_load_fails_verify_and_rolls_back(project: ScratchProject) -> None:
    _append(project, FLAKY, "orders: /flaky fails 2% of its calls")
    with Load(f"{project.alb}/orders/meta/flaky", rate=25, seconds=400, json=False):
        code, out = deploy(project, 15)
    assert code == 4, out[-4000:]
    found = re.search(r"verify: (\d+) of (\d+) requests were 5xx \(([\d.]+)%\)", out)
    assert found, out[-4000:]
    errors, total = int(found[1]), int(found[2])
    assert total >= 100 and errors > 0 and 1.0 <= 100 * errors / total <= 3.0, found[0]
    assert "above the 0.10% that availability 99.9% allows" in out
    assert "rolled back orders to release 3" in out, out[-4000:]  # #3: the last passed
    assert requests.get(f"{project.alb}/orders/meta/flaky", timeout=10).status_code == 404


def test_the_same_release_with_no_traffic_is_insufficient_traffic(
    project: ScratchProject,
) -> None:
    listing = releases(project)
    assert re.search(r"orders\s+4\s+deploy\s+failed", listing), listing  # the flaky one
    r = project.run(
        "rollback", "orders", "--env", "local", "--to", "4", "--yes", "--verify-seconds", "3"
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert re.search(r"orders: verify: insufficient traffic \(\d+ requests\); the smoke", out)
    assert requests.get(f"{project.alb}/orders/meta/flaky", timeout=10).status_code in (200, 503)


def test_a_plain_rollback_skips_the_failed_releases(project: ScratchProject) -> None:
    r = project.run("rollback", "orders", "--env", "local", "--yes", "--verify-seconds", "0")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    chosen = re.search(r"rolling back orders to release (\d+)", out)
    assert chosen and int(chosen[1]) not in (2, 4), out[-4000:]  # never a failed release
    assert requests.get(f"{project.alb}/orders/", timeout=10).status_code == 200
    assert requests.get(f"{project.alb}/orders/meta/flaky", timeout=10).status_code == 404
    unpin = project.run("unpin", "orders", "--env", "local")
    assert unpin.returncode == 0, unpin.stdout + unpin.stderr


def test_a_release_that_never_gets_ready_gets_no_traffic_and_fails(
    project: ScratchProject,
) -> None:
    # users changes in the same deploy and is fine: orders' failure must not condemn it.
    with (project.root / USERS).open("a") as f:
        f.write(USERS_ROUTE)
    _append(project, NEVER_READY, "orders: a ready check that never passes; users: a route")
    with Load(f"{project.alb}/orders/meta/version", rate=10, seconds=400, json=False) as load:
        code, out = deploy(project, 3)
    assert code == 4, out[-4000:]
    assert "GET /orders/readyz" in out and "circuit breaker" in out, out[-4000:]
    assert re.search(r"failed task \w+: exit code \d+", out), out[-4000:]
    assert "warm_cache: the cache is still cold" in out, out[-4000:]
    # No request reached the new tasks: the old release (no such route) answered them all.
    assert load.total > 0 and load.ok == 0, (load.ok, load.failures[:3])
    assert all(f.startswith("HTTP 404") for f in load.failures), load.failures[:3]
    assert "rolled back orders to release" in out, out[-4000:]
    # Only orders failed: users' release passed its own checks, is recorded so, and serves.
    assert requests.get(f"{project.alb}/users/meta/built", timeout=10).json() == {"built": "yes"}
    users = project.run("releases", "--env", "local", "users")
    assert users.returncode == 0, users.stdout + users.stderr
    newest = users.stdout.replace("│", " ")
    assert re.search(r"users\s+\d+\s+deploy\s+passed", newest), newest
    assert not re.search(r"users\s+\d+\s+deploy\s+failed", newest), newest
    logs = project.run("logs", "orders", "--failed")
    assert logs.returncode == 0, logs.stdout + logs.stderr
    assert "warm_cache: the cache is still cold" in logs.stdout, logs.stdout[-3000:]
