"""`flotilla local ...` and `flotilla logs` as a user runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from tests.fixtures.local_env import LocalEnv

FLOTILLA = str(Path(sys.executable).parent / "flotilla")


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLOTILLA_ROOT": str(root), "COLUMNS": "200"}
    return subprocess.run(
        [FLOTILLA, *args], capture_output=True, text=True, env=env, check=False, timeout=120
    )


def test_logs_outside_local_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "flotilla.toml").write_text("")
    r = run(tmp_path, "logs", "--env", "staging", "orders")
    assert r.returncode == 2
    assert "--env staging" in r.stderr and "allowed: local" in r.stderr


def test_urls_without_a_running_environment_says_how_to_start_it(tmp_path: Path) -> None:
    (tmp_path / "flotilla.toml").write_text("")
    r = run(tmp_path, "local", "urls")
    assert r.returncode == 1 and "not running" in r.stderr and "flotilla local up" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.docker
def test_up_refuses_a_busy_port_before_starting_anything(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        (tmp_path / "flotilla.toml").write_text(f"[local]\nalb_port = {port}\n")
        r = run(tmp_path, "local", "up")
    assert r.returncode == 2, r.stderr
    assert f"[local].alb_port = {port}" in r.stderr and "already in use" in r.stderr
    assert not (tmp_path / ".flotilla").exists()  # validated before any side effect


@pytest.mark.docker
def test_up_names_the_environment_file_whose_alb_port_is_busy(tmp_path: Path) -> None:
    (tmp_path / "flotilla.toml").write_text("")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        (tmp_path / "environments").mkdir()
        (tmp_path / "environments/qa.toml").write_text(
            f'name = "qa"\nkind = "local"\nregion = "us-east-1"\nalb_port = {port}\n'
            '[state]\nbucket = "flotilla-tfstate-qa"\n'
        )
        r = run(tmp_path, "local", "up")
    assert r.returncode == 2, r.stderr
    assert f"qa.toml: alb_port = {port}" in r.stderr and "already in use" in r.stderr
    assert not (tmp_path / ".flotilla").exists()  # validated before any side effect


@pytest.mark.docker
def test_up_is_idempotent_and_urls_and_logs_show_services(
    local_env: LocalEnv, echo_image: str
) -> None:
    r = run(local_env.root, "local", "up")
    assert r.returncode == 0 and local_env.alb in r.stdout, r.stderr
    local_env.create("theta", echo_image)
    local_env.wait("theta", lambda st: st["rollout_state"] == "COMPLETED")
    urls = run(local_env.root, "local", "urls")
    assert urls.returncode == 0, urls.stderr
    assert f"curl -s {local_env.alb}/theta/" in urls.stdout
    subprocess.run(["curl", "-s", f"{local_env.alb}/theta/hello"], check=True, capture_output=True)
    logs = run(local_env.root, "logs", "--env", "local", "theta")
    assert logs.returncode == 0, logs.stderr
    assert "GET /theta/hello 200" in logs.stdout and logs.stdout.startswith("theta/")
    missing = run(local_env.root, "logs", "--env", "local", "nope")
    assert missing.returncode == 2 and "theta" in missing.stderr
    local_env.delete("theta")
