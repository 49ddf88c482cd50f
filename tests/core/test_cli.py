"""The CLI as a user runs it: bad input is one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.environments import write_environment

FLOTILLA = [sys.executable, "-m", "flotilla.cli"]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FLOTILLA_ROOT"}
    return subprocess.run([*FLOTILLA, *args], cwd=cwd, capture_output=True, text=True, env=env)


def project(tmp_path: Path, manifest: str) -> Path:
    (tmp_path / "flotilla.toml").write_text('[project]\nname = "demo"\n')
    for env in ("local", "staging", "prod"):  # environments/<env>.toml define them
        write_environment(tmp_path, env)
    d = tmp_path / "services" / "orders"
    d.mkdir(parents=True)
    (d / "service.toml").write_text(manifest)
    return tmp_path


def test_bad_manifest_is_one_clear_error(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        'name = "orders"\nframework = "fastapi"\nentry = "m:plugin"\n'
        'path = "/orders"\nversion = "1.0.0"\ncpu = 333\n',
    )
    result = run(["services"], root)
    assert result.returncode == 2
    assert "services/orders/service.toml: key `cpu` = 333" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_lists_services(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        'name = "orders"\nframework = "fastapi"\nentry = "m:plugin"\n'
        'path = "/orders"\nversion = "1.0.0"\n',
    )
    result = run(["services", "--env", "staging"], root)
    assert result.returncode == 0, result.stderr
    assert "orders" in result.stdout and "/orders" in result.stdout


def test_unknown_env_and_missing_project(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = project(
        tmp_path,
        'name = "orders"\nframework = "fastapi"\nentry = "m:plugin"\n'
        'path = "/orders"\nversion = "1.0.0"\n',
    )
    result = run(["services", "--env", "qa"], root)
    assert result.returncode == 2 and "unknown environment 'qa'" in result.stderr
    empty = tmp_path_factory.mktemp("no-project")
    result = run(["services"], empty)
    assert result.returncode == 2 and "no flotilla.toml" in result.stderr


def test_bad_project_file(tmp_path: Path) -> None:
    (tmp_path / "flotilla.toml").write_text('[project]\nname = "Bad Name"\n')
    result = run(["services"], tmp_path)
    assert result.returncode == 2
    assert "flotilla.toml: key `project.name` = 'Bad Name'" in result.stderr


def test_unknown_command_and_bad_option_exit_2_with_usage(tmp_path: Path) -> None:
    for args, says in (
        (["deploi"], "No such command 'deploi'"),
        (["build", "--jobs", "0"], "--jobs"),
    ):
        result = run(args, tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert says in result.stderr and "Usage:" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout


PROBE = """
import sys, typer
from flotilla.cli import app, main

@app.command("probe")
def probe(code: int = 0, interrupt: bool = False) -> None:
    if interrupt:
        raise KeyboardInterrupt
    raise typer.Exit(code)

main(sys.argv[1:])
"""


@pytest.mark.parametrize(("args", "code"), [(["--code", "3"], 3), (["--interrupt"], 130)])
def test_exit_codes_reach_the_shell(tmp_path: Path, args: list[str], code: int) -> None:
    """A command's own exit code and Ctrl-C are never turned into success (exit 0)."""
    env = {k: v for k, v in os.environ.items() if k != "FLOTILLA_ROOT"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "probe", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == code, result.stderr


def test_an_unreachable_aws_endpoint_is_named() -> None:
    """Mid-deploy, a botocore connection failure is one line naming the endpoint."""
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

    from flotilla.cli import _unreachable_endpoint

    url = "http://127.0.0.1:9/"
    assert _unreachable_endpoint(EndpointConnectionError(endpoint_url=url)) == url
    assert _unreachable_endpoint(ConnectTimeoutError(endpoint_url=url)) == url
    assert _unreachable_endpoint(ValueError("x")) is None
