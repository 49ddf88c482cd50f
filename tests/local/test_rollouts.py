"""Rollouts like ECS: replace dead tasks, roll new revisions out without dropping a request,
and stop a rollout whose tasks fail the target group's health check."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from tests.fixtures.local_env import Load, LocalEnv, completed

from flotilla.local.paths import LocalPaths
from flotilla.local.status import LocalStatusSource

pytestmark = pytest.mark.docker


def containers(env: LocalEnv, service: str) -> list[Any]:
    from flotilla.local.tasks import docker_client, ours

    found = ours(docker_client(), LocalPaths(env.root).env_id)
    return [c for c in found if c.labels["flotilla.service"] == service]


def only_revision(env: LocalEnv, service: str, suffix: str, limit: float = 60) -> bool:
    """Wait (bounded) until every container of `service` runs the revision ending in `suffix`."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = containers(env, service)
        if found and all(c.labels["flotilla.taskdef"].endswith(suffix) for c in found):
            return True
        time.sleep(0.5)
    return False


def test_killed_task_is_replaced_and_the_service_keeps_answering(
    local_env: LocalEnv, echo_image: str
) -> None:
    local_env.create("delta", echo_image, count=2)
    before = local_env.wait("delta", completed)
    assert completed(before), before
    old_ids = {t["id"] for t in before["tasks"]}
    victim = containers(local_env, "delta")[0]
    with Load(f"{local_env.alb}/delta/", rate=20, seconds=60) as load:
        time.sleep(1)
        victim.kill()
        after = local_env.wait(
            "delta", lambda st: completed(st) and {t["id"] for t in st["tasks"]} - old_ids != set()
        )
        time.sleep(1)
    assert completed(after), after
    assert len({t["id"] for t in after["tasks"]} & old_ids) == 1  # one replaced, one kept
    assert any("exited" in r for r in after["stopped_reasons"]), after["stopped_reasons"]
    assert load.failures == [] and load.ok > 20, (load.ok, load.failures[:5])
    local_env.delete("delta")


def test_failing_health_check_stops_the_rollout_and_the_old_version_serves(
    local_env: LocalEnv, echo_image: str
) -> None:
    local_env.create("eps", echo_image, VERSION="eps-v1")
    assert completed(local_env.wait("eps", completed))
    bad = local_env.task_definition("eps", echo_image, VERSION="eps-v2", HEALTH_STATUS="500")
    local_env.update("eps", td=bad)
    st = local_env.wait("eps", lambda st: st["rollout_state"] == "FAILED", limit=180)
    assert st["rollout_state"] == "FAILED" and st["rolled_back"], st
    assert "GET /eps/healthz" in st["rollout_reason"] and "HTTP 500" in st["rollout_reason"]
    # The waiter's view (the deploy step reads this interface).
    status = LocalStatusSource(LocalPaths(local_env.root), ecs=local_env.clients["ecs"])
    seen = status.service_status("local", "eps", None)
    assert (seen.rollout_state, seen.rolled_back, seen.steady) == ("FAILED", True, False)
    assert "HTTP 500" in (seen.rollout_reason or "")
    assert seen.task_definition.endswith(":1")  # the previous revision runs
    versions = {
        requests.get(f"{local_env.alb}/eps/", timeout=5).json()["version"] for _ in range(6)
    }
    assert versions == {"eps-v1"}
    assert only_revision(local_env, "eps", ":1")  # the failed revision's tasks were stopped
    local_env.delete("eps")


def test_zero_failed_requests_during_a_rollout_under_steady_load(
    local_env: LocalEnv, echo_image: str, record_property: Any
) -> None:
    local_env.create("zeta", echo_image, count=2, VERSION="zeta-v1")
    assert completed(local_env.wait("zeta", completed))
    new = local_env.task_definition("zeta", echo_image, VERSION="zeta-v2")
    with Load(f"{local_env.alb}/zeta/", rate=50, seconds=20) as load:
        time.sleep(3)
        local_env.update("zeta", td=new)
        st = local_env.wait("zeta", lambda st: completed(st) and st["task_definition"] == new)
        load.join()  # the full 20 s: requests keep flowing after old tasks stopped
    record_property("requests", load.total)
    print(f"zero-downtime rollout: {load.total} requests, {len(load.failures)} failed")
    assert completed(st) and st["task_definition"] == new, st
    assert load.failures == [], load.failures[:5]
    assert load.total == 1000
    assert load.versions[0] == "zeta-v1" and load.versions[-1] == "zeta-v2"
    assert only_revision(local_env, "zeta", new)  # old tasks drained, then stopped
    local_env.delete("zeta")


def test_scale_down_and_delete_stop_tasks(local_env: LocalEnv, echo_image: str) -> None:
    local_env.create("eta", echo_image, count=2)
    assert completed(local_env.wait("eta", completed))
    local_env.update("eta", count=1)
    st = local_env.wait("eta", lambda st: completed(st) and len(st["tasks"]) == 1)
    assert completed(st) and st["running"] == 1, st
    assert len(containers(local_env, "eta")) == 1
    local_env.delete("eta")
    deadline = time.monotonic() + 60
    while containers(local_env, "eta") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert containers(local_env, "eta") == []
    assert requests.get(f"{local_env.alb}/eta/", timeout=5).status_code == 503  # rule, no targets
