"""The pipeline's steps, exercised here although GitHub is not reachable: the make targets
pr.yml and main.yml call, in their order, with ENV=staging replaced by ENV=local.

`make test` is left out (this test runs inside it). Needs the local environment (issue 6):
`flotilla local up` before, `make down` after."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import pytest

from tests.ci.conftest import REPO

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SKIP = {"make test", "make setup"}  # recursion; setup already ran for this suite


def pipeline_commands(workflows: dict[str, dict[str, Any]]) -> list[str]:
    """Every make target of pr.yml then main.yml, in job and step order, for ENV=local."""
    commands: list[str] = []
    for name in ("pr.yml", "main.yml"):
        for spec in workflows[name]["jobs"].values():
            for step in spec.get("steps", []):
                run = step.get("run", "").strip()
                if not run.startswith("make "):
                    continue
                run = re.sub(r"ENV=(staging|prod)", "ENV=local", run)
                if run not in SKIP and run not in commands:
                    commands.append(run)
    return commands


def test_the_derived_list_follows_the_workflows(workflows: dict[str, Any]) -> None:
    cmds = pipeline_commands(workflows)
    plan = "make plan ENV=local ARGS=--no-push"  # a pull request's plan pushes nothing
    assert cmds.index("make lint") < cmds.index("make build") < cmds.index(plan)
    assert cmds.index(plan) < cmds.index("make deploy ENV=local")
    assert "make test" not in cmds


def test_pipeline_targets_run_against_local(workflows: dict[str, Any]) -> None:
    # A clean make environment: an outer `make test ARGS=...` must not leak into `make build`.
    inherited = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "ARGS")
    env = {**{k: v for k, v in os.environ.items() if k not in inherited}, "CI": "true"}
    up = subprocess.run(
        [str(REPO / ".venv" / "bin" / "flotilla"), "local", "up"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    try:
        for cmd in pipeline_commands(workflows):
            proc = subprocess.run(
                cmd.split(), cwd=REPO, env=env, capture_output=True, text=True, timeout=1800
            )
            assert proc.returncode == 0, f"{cmd}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        assert (REPO / "build" / "local" / "plan.md").is_file()
    finally:
        subprocess.run(["make", "down"], cwd=REPO, env=env, capture_output=True, timeout=300)
