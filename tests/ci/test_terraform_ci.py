"""infra/terraform/ci: fmt, validate (provider from the plugin dir) and checkov, no skips."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ci.conftest import REPO

CI_TF = REPO / "infra" / "terraform" / "ci"
CHECKOV = REPO / ".venv-tools" / "bin" / "checkov"

pytestmark = pytest.mark.terraform


def _tf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["terraform", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not installed")
def test_fmt_and_validate(tmp_path: Path) -> None:
    plugin_dir = os.environ.get("FLOTILLA_TF_PLUGIN_DIR")
    if not plugin_dir:
        pytest.skip("FLOTILLA_TF_PLUGIN_DIR not set (the Makefile exports it)")
    work = tmp_path / "ci"
    shutil.copytree(CI_TF, work, ignore=shutil.ignore_patterns(".terraform"))
    fmt = _tf("fmt", "-check", "-diff", cwd=work)
    assert fmt.returncode == 0, fmt.stdout
    init = _tf("init", "-backend=false", "-input=false", f"-plugin-dir={plugin_dir}", cwd=work)
    assert init.returncode == 0, init.stderr
    val = _tf("validate", "-no-color", cwd=work)
    assert val.returncode == 0 and "Success" in val.stdout, val.stdout + val.stderr


@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov not installed (make setup)")
def test_checkov_clean_without_skips() -> None:
    proc = subprocess.run(
        [str(CHECKOV), "-d", str(CI_TF), "--quiet", "--compact", "--framework", "terraform"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = re.search(
        r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", proc.stdout
    )
    assert summary, proc.stdout[-2000:]
    passed, failed, skipped = map(int, summary.groups())
    assert (failed, skipped) == (0, 0) and passed > 30, proc.stdout[-4000:]
    assert "skip" not in "".join(p.read_text() for p in CI_TF.glob("*.tf")).lower()


def test_roles_trust_only_the_repository_per_environment() -> None:
    main = (CI_TF / "main.tf").read_text()
    assert '"repo:${var.github_repository}:pull_request"' in main
    assert '"repo:${var.github_repository}:environment:${env}"' in main
    assert "StringLike" not in main  # exact subjects, no wildcards
