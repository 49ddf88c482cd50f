"""Fixtures for the CI tests: the workflows as parsed YAML, and a throwaway project to audit."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
FLOTILLA = [sys.executable, "-m", "flotilla.cli"]


def load_workflow(path: Path) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True: put it back.
    data: dict[Any, Any] = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.fixture(scope="session")
def workflows() -> dict[str, dict[str, Any]]:
    return {p.name: load_workflow(p) for p in sorted(WORKFLOWS.glob("*.yml"))}


SERVICE_TOML = """\
name = "{name}"
framework = "fastapi"
entry = "app:app"
path = "/{name}"
version = "1.0.0"
"""


@pytest.fixture
def audit_project(tmp_path: Path) -> Callable[..., Path]:
    """Make a project with one service per `locks` entry (its requirements.lock lines)."""

    def make(locks: dict[str, list[str]], audit_toml: str = "") -> Path:
        (tmp_path / "flotilla.toml").write_text(
            '[project]\nname = "shop"\n\n[audit]\n' + audit_toml + "\n"
        )
        for name, lines in locks.items():
            svc = tmp_path / "services" / name
            svc.mkdir(parents=True)
            (svc / "service.toml").write_text(SERVICE_TOML.format(name=name))
            (svc / "requirements.lock").write_text("\n".join(lines) + "\n")
        return tmp_path

    return make


def run_flotilla(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FLOTILLA_ROOT"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [*FLOTILLA, *args], cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )
