"""Faults against a real ENV=local environment: Ctrl-C mid-apply and mid-rollout, two deploys
at once. Each leaves nothing half-done and a re-run converges. One environment for the module;
the steps run in order (each starts from the state the previous one left)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.fixtures.local_env import FLOTILLA, VERSION_ROUTE, ScratchProject, scratch_project

from flotilla.local.emulator import FAKE_CREDENTIALS

pytestmark = [pytest.mark.docker, pytest.mark.terraform, pytest.mark.slow]
STATE_BUCKET = "flotilla-tfstate-local"
DEPLOY_LOCK = "flotilla/local/deploy.lock"
TF_LOCK = "flotilla/local/terraform.tfstate.tflock"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchProject]:
    with scratch_project(tmp_path_factory.mktemp("faults")) as p:
        yield p


def s3(p: ScratchProject) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=p.env["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def exists(p: ScratchProject, key: str) -> bool:
    try:
        s3(p).head_object(Bucket=STATE_BUCKET, Key=key)
    except s3(p).exceptions.ClientError:
        return False
    return True


def start(p: ScratchProject, *args: str) -> subprocess.Popen[str]:
    """A flotilla command in its own process group, as a terminal's foreground job."""
    return subprocess.Popen(
        [FLOTILLA, *args],
        cwd=p.root,
        env=p.env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def children(pid: int) -> list[str]:
    """Command lines of `pid`'s child processes."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(
                    Path("/proc", entry, "cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
        except (OSError, ValueError, IndexError):  # it ended meanwhile
            continue
    return found


def ctrl_c_when(proc: subprocess.Popen[str], ready: Callable[[], bool]) -> tuple[int, str]:
    """Ctrl-C (SIGINT to the process group) once `ready()` holds; its exit code and output."""
    deadline = time.monotonic() + 900
    while proc.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the command ended before the moment to interrupt it"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=900)
    return proc.returncode, out + err


def test_ctrl_c_mid_apply_leaves_no_lock_and_a_rerun_converges(project: ScratchProject) -> None:
    proc = start(project, "deploy", "--env", "local", "--yes")
    code, out = ctrl_c_when(proc, lambda: any(" apply " in c for c in children(proc.pid)))
    assert code == 130, out[-3000:]
    assert "interrupted" in out and "Traceback" not in out, out[-3000:]
    assert not exists(project, DEPLOY_LOCK) and not exists(project, TF_LOCK)
    releases = project.run("releases", "--env", "local")
    assert releases.stdout.count("interrupted") == 3, releases.stdout + releases.stderr
    r = project.deploy()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    plan = project.run("plan", "--env", "local")
    assert plan.returncode == 0 and "plan: no changes" in plan.stdout, plan.stdout[-3000:]
    assert not exists(project, DEPLOY_LOCK) and not exists(project, TF_LOCK)


def test_two_deploys_at_once_one_runs_the_other_exits_5_having_built_nothing(
    project: ScratchProject,
) -> None:
    procs = [start(project, "deploy", "--env", "local", "--yes") for _ in range(2)]
    results = [(p.wait(timeout=1200), "".join(p.communicate())) for p in procs]
    refused_ones = [out for code, out in results if code == 5]
    assert len(refused_ones) == 1, [(code, out[-2000:]) for code, out in results]
    ran = next(out for code, out in results if code != 5)
    assert "plan:" in ran and "locked" not in ran, ran[-3000:]  # it ran the whole pipeline
    refused = refused_ones[0]
    assert "local is locked by another deploy" in refused and "running `flotilla deploy" in refused
    assert "since 20" in refused and "Traceback" not in refused
    assert "images" not in refused and "pushed" not in refused  # no build/push table
    assert not exists(project, DEPLOY_LOCK)


def test_ctrl_c_mid_rollout_then_rerun_serves_the_new_version(project: ScratchProject) -> None:
    import requests

    with (project.root / "services/orders/orders_service.py").open("a") as f:
        f.write(VERSION_ROUTE)
    project.commit("orders: /version")
    status = project.root / ".flotilla/local/status.json"

    def rolling() -> bool:
        try:
            services = json.loads(status.read_text())["services"]
        except (OSError, ValueError, KeyError):
            return False
        orders = next((v for k, v in services.items() if k.endswith("/orders")), {})
        return bool(orders.get("rollout_state") == "IN_PROGRESS")

    proc = start(project, "deploy", "--env", "local", "--yes")
    code, out = ctrl_c_when(proc, rolling)
    assert code == 130 and "Traceback" not in out, out[-3000:]
    assert not exists(project, DEPLOY_LOCK) and not exists(project, TF_LOCK)
    releases = project.run("releases", "--env", "local", "orders")
    assert "interrupted" in releases.stdout, releases.stdout + releases.stderr
    r = project.deploy()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    got = requests.get(f"{project.alb}/orders/meta/version", timeout=10)
    assert got.json() == {"version": "2"}


def _append_version(p: ScratchProject, version: str) -> None:
    """A new release of orders: its /meta/version answers `version`."""
    path = p.root / "services/orders/orders_service.py"
    text = re.sub(r'\{"version": "\d+"\}', f'{{"version": "{version}"}}', path.read_text())
    # New content every run: an image this machine built before would skip the build and push.
    path.write_text(text + f"\n# release {version}, run {uuid.uuid4().hex}\n")
    p.commit(f"orders: version {version}")


def _built_since(p: ScratchProject, t0: float) -> Callable[[], bool]:
    """True once the build has written build/manifest.json (the push comes next)."""
    manifest = p.root / "build/manifest.json"

    def ready() -> bool:
        try:
            return manifest.stat().st_mtime > t0
        except OSError:
            return False

    return ready


def test_ctrl_c_after_the_build_during_the_push_leaves_nothing_and_a_rerun_converges(
    project: ScratchProject,
) -> None:
    import requests

    _append_version(project, "3")
    before = project.run("releases", "--env", "local", "orders", "--json")
    count = len(json.loads(before.stdout)["releases"])
    t0 = time.time()
    proc = start(project, "deploy", "--env", "local", "--yes")
    code, out = ctrl_c_when(proc, _built_since(project, t0))
    assert code == 130 and "interrupted" in out and "Traceback" not in out, out[-3000:]
    assert not exists(project, DEPLOY_LOCK) and not exists(project, TF_LOCK)
    # Nothing was applied, so nothing was recorded; the old release still serves.
    after = project.run("releases", "--env", "local", "orders", "--json")
    assert len(json.loads(after.stdout)["releases"]) == count, after.stdout
    got = requests.get(f"{project.alb}/orders/meta/version", timeout=10)
    assert got.json() == {"version": "2"}
    r = project.deploy()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    got = requests.get(f"{project.alb}/orders/meta/version", timeout=10)
    assert got.json() == {"version": "3"}


def _registry(p: ScratchProject) -> Any:
    """The scratch project's own ENV=local registry (as the local daemon starts it)."""
    from flotilla.local.registry import LocalRegistry, ecr_credentials

    ecr = boto3.client(
        "ecr",
        endpoint_url=p.env["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    port = int(p.env["FLOTILLA_REGISTRY"].rsplit(":", 1)[1])
    storage = p.root / ".flotilla/local/registry"
    return LocalRegistry(port=port, storage=storage, password=ecr_credentials(ecr)[1])


def test_the_registry_down_is_one_line_before_anything_is_built_and_a_rerun_converges(
    project: ScratchProject,
) -> None:
    import requests

    _append_version(project, "4")
    manifest = (project.root / "build/manifest.json").stat().st_mtime
    registry = _registry(project)
    registry.stop()
    try:
        r = project.deploy()
    finally:
        registry.start()
    out = r.stdout + r.stderr
    assert r.returncode not in (0, 130) and "Traceback" not in out, out[-3000:]
    named = [line for line in out.splitlines() if registry.host in line and "registry" in line]
    assert len(named) >= 1, out[-3000:]  # one line naming the part and its address
    assert (project.root / "build/manifest.json").stat().st_mtime == manifest  # nothing built
    assert not exists(project, DEPLOY_LOCK) and not exists(project, TF_LOCK)
    got = requests.get(f"{project.alb}/orders/meta/version", timeout=10)
    assert got.json() == {"version": "3"}  # nothing was applied
    r = project.deploy()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    got = requests.get(f"{project.alb}/orders/meta/version", timeout=10)
    assert got.json() == {"version": "4"}


def test_80_columns_cut_no_value_and_json_has_everything(project: ScratchProject) -> None:
    narrow = {**project.env, "COLUMNS": "80"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FLOTILLA, *args], cwd=project.root, env=narrow, text=True, capture_output=True
        )

    doc = json.loads(run("releases", "--env", "local", "--json").stdout)["releases"]
    table = run("releases", "--env", "local")
    assert table.returncode == 0 and "…" not in table.stdout, table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    for r in doc:  # every tag, date and name whole
        assert r["tag"] in table.stdout and r["service"] in table.stdout
        assert r["time"].replace("+00:00", "Z") in table.stdout
    status = json.loads(run("status", "--env", "local", "--json").stdout)["services"]
    table = run("status", "--env", "local")
    assert table.returncode == 0 and "…" not in table.stdout, table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    for s in status:
        assert s["tag"] in table.stdout and s["service"] in table.stdout
    audit = run("audit", "--offline")
    assert "…" not in audit.stdout and "vulnerabilities NOT checked" in audit.stdout
    assert max(len(line) for line in audit.stdout.splitlines()) <= 80


def test_a_second_checkout_uses_the_running_environment(
    project: ScratchProject, tmp_path: Path
) -> None:
    import shutil

    second = tmp_path / "second-checkout"
    for name in ("services", "infra", "environments", "docker", "scripts"):
        shutil.copytree(project.root / name, second / name, symlinks=True)
    shutil.copy(project.root / "flotilla.toml", second / "flotilla.toml")
    other = ScratchProject(second, {**project.env, "FLOTILLA_ROOT": str(second)})
    subprocess.run(["git", "init", "-q"], cwd=second, check=True)
    other.commit("a second checkout")
    status = other.run("status", "--env", "local")
    assert status.returncode == 0 and "orders" in status.stdout, status.stdout + status.stderr
    logs = other.run("logs", "orders", "--tail", "5")  # exit 2 unless it finds the tasks
    assert logs.returncode == 0, logs.stderr
    r = other.deploy()
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    # A different project on the same ports is told which project holds them.
    (second / "flotilla.toml").write_text(
        (second / "flotilla.toml").read_text().replace('name = "flotilla"', 'name = "another"')
    )
    up = other.run("local", "up")
    assert up.returncode == 2, up.stdout + up.stderr
    assert "held by the local environment of Flotilla project 'flotilla'" in up.stderr
    assert str(project.root) in up.stderr and "Traceback" not in up.stderr
