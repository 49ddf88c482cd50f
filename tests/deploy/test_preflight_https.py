"""Preflight's HTTPS rule through the real CLI: outside local an environment names how it serves
HTTPS (domain, certificate_arn) or says allow_http = true; else exit 2 before anything else,
naming the three settings and the file. No Docker, emulator or network is needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.environments import write_environment

SERVICE = """\
name = "orders"
framework = "fastapi"
entry = "orders_service:plugin"
path = "/orders"
version = "1.0.0"
"""


def project(root: Path, staging: str) -> Path:
    write_environment(root, "local")
    write_environment(root, "staging", staging)
    (root / "flotilla.toml").write_text('[project]\nname = "shop"\n')
    (root / "services/orders").mkdir(parents=True)
    (root / "services/orders/service.toml").write_text(SERVICE)
    (root / "services/orders/orders_service.py").write_text(
        "from flotilla import Plugin\nplugin = Plugin('orders')\n"
    )
    return root


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLOTILLA_ROOT": str(root), "DOCKER_HOST": "tcp://127.0.0.1:1"}
    return subprocess.run(
        [sys.executable, "-m", "flotilla.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=root,
    )


@pytest.mark.parametrize("command", [["plan"], ["deploy", "--yes"]])
def test_an_environment_without_https_settings_fails_naming_all_three(
    tmp_path: Path, command: list[str]
) -> None:
    root = project(tmp_path, '# certificate_arn = "arn:aws:acm:…"  (a comment is not a setting)\n')
    r = run(root, *command, "--env", "staging")
    assert r.returncode == 2, r.stdout + r.stderr
    (line,) = [x for x in r.stderr.splitlines() if "plain HTTP" in x]
    assert str(root / "environments/staging.toml") in line
    for key in ("domain", "certificate_arn", "allow_http = true"):
        assert key in line, line
    assert "Traceback" not in r.stderr
    assert not (root / "build").exists()  # nothing was built or planned


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('domain = "Not A Domain"\n', "key `domain` = 'Not A Domain': a DNS name"),
        ('certificate_arn = "arn:aws:iam::1:role/x"\n', "key `certificate_arn`"),
        ('allow_http = "yes"\n', "key `allow_http` = 'yes': true or false"),
    ],
)
def test_malformed_https_settings_are_named(tmp_path: Path, settings: str, message: str) -> None:
    r = run(project(tmp_path, settings), "plan", "--env", "staging")
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr, r.stderr


@pytest.mark.parametrize(
    "settings",
    [
        'domain = "api.shop.example" # ACM by DNS\n',
        'certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc-1"\n',
        "allow_http = true\n",
    ],
)
def test_any_one_setting_satisfies_the_rule(tmp_path: Path, settings: str) -> None:
    r = run(project(tmp_path, settings), "plan", "--env", "staging")
    assert "plain HTTP" not in r.stderr and "key `domain`" not in r.stderr, r.stderr
    assert r.returncode != 0  # it goes on, and fails later: no AWS, no Docker here


def test_local_needs_none(tmp_path: Path) -> None:
    r = run(project(tmp_path, ""), "plan", "--env", "local")
    assert "plain HTTP" not in r.stderr
