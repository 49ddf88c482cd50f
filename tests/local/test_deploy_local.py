"""The whole pipeline against ENV=local: `flotilla deploy --env local` in a scratch copy of the
repository (services, infra, docker), with real builds, registry, terraform and containers.

Slow by nature (builds, terraform, the Terraform target groups' 15 s health checks and 30 s
deregistration delay), so the four steps share one environment and run in order.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import time
import tomllib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
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


# Spellings of a service's /metrics and /stats an attacker would try (sent verbatim: an HTTP
# library would normalize some of them before they reach the ALB).
HIDDEN_SPELLINGS = [
    "/metrics",
    "/stats",
    "/%6detrics",
    "/%6D%65trics",
    "/%73tats",
    "//metrics",
    "/METRICS",
    "/Stats",
    "/metrics/",
    "/./metrics",
    "/x/../metrics",
    "/%2e/metrics",
    "/metrics;x=1",
    "/metrics?x=1",
    "/stats%2F",
    "/metrics/anything",
]


def raw_get(base: str, path: str, attempts: int = 20) -> tuple[int, str]:
    """GET `path` verbatim. A 503 (the ALB has no target for a moment, e.g. a health check
    timing out on a loaded machine) says nothing about the path: retried, at most `attempts`."""
    url = urlsplit(base)
    for _ in range(attempts):
        conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            status, body = resp.status, resp.read().decode(errors="replace")
        finally:
            conn.close()
        if status != 503:
            break
        time.sleep(0.5)
    return status, body


def test_hidden_endpoints_by_no_spelling_through_the_alb(project: ScratchProject) -> None:
    # The three services are one per framework (catalog: django, orders: fastapi, users: flask).
    services = discover(project.root / "services")
    assert {s.manifest.framework for s in services} == {"django", "fastapi", "flask"}
    status = json.loads((project.root / ".flotilla/local/status.json").read_text())
    for svc in services:
        path = svc.manifest.path
        for spelling in HIDDEN_SPELLINGS:
            code, body = raw_get(project.alb, path + spelling)
            assert code == 404, (path + spelling, code, body[:200])
            assert "flotilla_http" not in body and "routes" not in body, path + spelling
        # No route list or OpenAPI document the public port serves names them either.
        for doc in ("/openapi.json", "/docs", "/"):
            code, body = raw_get(project.alb, path + doc)
            assert code == 404 or ("/metrics" not in body and "/stats" not in body), path + doc
        # Inside the network (the task's internal port) they answer; the ALB never uses it.
        (entry,) = [v for k, v in status["services"].items() if k.endswith(f"/{svc.name}")]
        task = entry["tasks"][0]
        assert task["internal_url"].rsplit(":", 1)[1] == "9100"
        assert task["target"].rsplit(":", 1)[1] != "9100"
        code, body = raw_get(task["internal_url"], path + "/metrics")
        assert code == 200 and "flotilla_http_requests_total" in body, svc.name
        code, body = raw_get(task["internal_url"], "/stats")
        assert code == 200 and json.loads(body)["service"] == svc.name


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
    # The import check (liveness = the manifest's `health`) catches it before the push.
    assert "GET /orders/readyz" in out and "nothing was pushed" in out, out[-3000:]
    assert _get(f"{project.alb}/orders/meta/version").json() == {"version": "2"}


def _aws(project: ScratchProject, service: str) -> Any:
    """A boto3 client on the project's local emulator."""
    return boto3.client(
        service,
        endpoint_url=project.env["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=project.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=project.env["AWS_SECRET_ACCESS_KEY"],
    )


def _ledger(project: ScratchProject, service: str) -> dict[str, Any]:
    """The service's ledger object in the local state bucket (the emulator's S3)."""
    s3 = _aws(project, "s3")
    key = f"flotilla/local/releases/flotilla/{service}.json"
    body = s3.get_object(Bucket="flotilla-tfstate-local", Key=key)["Body"].read()
    data: dict[str, Any] = json.loads(body)
    return data


def _liveness_check(project: ScratchProject, service: str) -> str:
    """The container health check (liveness) of the task definition `service` runs now."""
    ecs = _aws(project, "ecs")
    arns = ecs.list_services(cluster="flotilla-local")["serviceArns"]
    (svc,) = [
        s
        for s in ecs.describe_services(cluster="flotilla-local", services=arns)["services"]
        if s["serviceName"] == service
    ]
    td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    return " ".join(td["containerDefinitions"][0]["healthCheck"]["command"])


def test_rollback_restores_the_previous_release_whole_while_the_tree_is_broken(
    project: ScratchProject,
) -> None:
    # The working tree keeps the broken health path and never-ready code, and another
    # service's manifest is broken too: rollback reads the ledger, not the tree.
    users = project.root / "services/users/service.toml"
    users.write_text(users.read_text() + "\nthis is not toml = = =\n")
    try:
        for cmd in (("status",), ("releases",), ("logs", "orders", "--tail", "5")):
            r = project.run(*cmd, "--env", "local")
            assert r.returncode == 0, (cmd, r.stdout[-2000:] + r.stderr[-2000:])
        r = project.run("rollback", "--env", "local", "orders", "--yes")
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    finally:
        subprocess.run(["git", "checkout", "--", str(users)], cwd=project.root, check=True)
    assert _get(f"{project.alb}/orders/meta/version").status_code == 404  # the first release again
    assert _get(f"{project.alb}/orders/healthz").status_code == 200
    # The old health path is back in the running task definition, and in the ledger's entry.
    liveness = _liveness_check(project, "orders")
    assert "/orders/healthz" in liveness and "/orders/readyz" not in liveness, liveness
    data = _ledger(project, "orders")
    newest = data["history"][0]
    assert newest["kind"] == "rollback" and newest["spec"]["health"] == "/orders/healthz"
    assert data["pin"]["number"] == newest["number"]
    # The rollback re-applied release 1's image exactly.
    first = next(r for r in data["history"] if r["number"] == 1)
    assert newest["digest"] == first["digest"] and newest["spec"] == first["spec"]


def test_a_pin_survives_the_next_deploy_and_unpin_releases_it(project: ScratchProject) -> None:
    pin = _ledger(project, "orders")["pin"]["number"]
    r = project.deploy()  # the tree still holds the broken orders: the pin keeps it out
    out = " ".join((r.stdout + r.stderr).split())
    assert r.returncode == 0, out[-3000:]
    note = (
        f"orders pinned at release {pin} by rollback; `--unpin orders` to deploy the working tree"
    )
    assert note in out, out[-3000:]
    assert note in (project.root / "build/local/plan.md").read_text()
    assert _get(f"{project.alb}/orders/meta/version").status_code == 404
    assert _ledger(project, "orders")["pin"]["number"] == pin
    # Fix the tree (undo the broken health commit), then deploy it past the pin.
    subprocess.run(
        ["git", "revert", "--no-edit", "HEAD"],
        cwd=project.root,
        check=True,
        capture_output=True,
        env=project.env,
    )
    r = project.run("deploy", "--env", "local", "--yes", "--unpin", "orders")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "orders unpinned" in " ".join(r.stdout.split())
    assert _get(f"{project.alb}/orders/meta/version").json() == {"version": "2"}
    data = _ledger(project, "orders")
    assert data["pin"] is None and data["history"][0]["kind"] == "deploy"


def _answers(base: str, paths: list[str]) -> dict[str, int]:
    return {p: _get(f"{base}{p}/healthz").status_code for p in paths}


def test_a_second_local_environment_runs_beside_local_and_is_destroyed_alone(
    project: ScratchProject,
) -> None:
    """`env new qa --from staging --kind local`, deployed beside `local`: its own ALB port,
    runtime and resource names; both answer at once; destroying qa leaves local serving."""
    paths = [svc.manifest.path for svc in discover(project.root / "services")]
    r = project.run("env", "new", "qa", "--from", "staging", "--kind", "local")
    assert r.returncode == 0, r.stderr
    project.commit("qa: a second local environment")
    qa_file = tomllib.loads((project.root / "environments/qa.toml").read_text())
    qa = f"http://127.0.0.1:{qa_file['alb_port']}"
    assert qa != project.alb
    up = project.run("local", "up")
    assert up.returncode == 0 and "ALB (qa)" in up.stdout and qa in up.stdout, up.stderr
    # The FLOTILLA_SMOKE_URL the fixture exported is local's: qa's verdict must not use it.
    r = project.run("deploy", "--env", "qa", "--yes")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert _answers(qa, paths) == {p: 200 for p in paths}
    assert _answers(project.alb, paths) == {p: 200 for p in paths}  # local, still serving
    assert _get(f"{project.alb}/orders/meta/version").json() == {"version": "2"}
    urls = project.run("local", "urls", "--env", "qa")
    assert urls.returncode == 0 and f"{qa}/orders/" in urls.stdout, urls.stderr
    assert project.run("status", "--env", "qa").returncode == 0
    logs = project.run("logs", "--env", "qa", "orders", "--tail", "5")
    assert logs.returncode == 0 and logs.stdout.startswith("orders/"), logs.stderr
    # Own resource names in the one emulator.
    env = project.env
    kw: dict[str, Any] = {
        "endpoint_url": env["AWS_ENDPOINT_URL"],
        "region_name": env["AWS_DEFAULT_REGION"],
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }
    ecs, elb = boto3.client("ecs", **kw), boto3.client("elbv2", **kw)
    clusters = {a.rsplit("/", 1)[-1] for a in ecs.list_clusters()["clusterArns"]}
    assert {"flotilla-local", "flotilla-qa"} <= clusters
    lbs = {lb["LoadBalancerName"] for lb in elb.describe_load_balancers()["LoadBalancers"]}
    assert {"flotilla-local", "flotilla-qa"} <= lbs
    assert project.run("logs", "--env", "staging", "orders").returncode == 2
    # Destroy qa: its ALB answers nothing any more; local is untouched.
    r = project.run("env", "destroy", "qa", "--allow-destroy", "--yes")
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    lbs = {lb["LoadBalancerName"] for lb in elb.describe_load_balancers()["LoadBalancers"]}
    assert "flotilla-qa" not in lbs and "flotilla-local" in lbs
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _get(f"{qa}/orders/healthz").status_code == 200:
        time.sleep(1)
    assert _get(f"{qa}/orders/healthz").status_code == 503
    assert _answers(project.alb, paths) == {p: 200 for p in paths}
