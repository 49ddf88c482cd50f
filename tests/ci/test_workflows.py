"""The GitHub Actions workflows: actionlint clean, every action pinned to a commit, minimal
permissions, OIDC only, and no logic that lives only in YAML."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.ci.conftest import REPO, WORKFLOWS

ACTIONLINT = REPO / ".venv" / "bin" / "actionlint"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
# What a `run:` step may be: a make target, or the flotilla CLI.
ALLOWED_RUN = re.compile(r"^(make( [a-z-]+| [A-Z_]+=[\w.-]+)+|\.venv/bin/flotilla [\w -]+)$")


def _steps(wf: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job, step) for job, spec in wf["jobs"].items() for step in spec.get("steps", [])]


def test_actionlint_passes_on_the_workflows() -> None:
    assert ACTIONLINT.exists(), "actionlint missing: `make setup` installs flotilla[dev]"
    proc = subprocess.run(
        [str(ACTIONLINT), "-color=false"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The check above can fail: an undefined job output and a bad expression are reported."""
    bad = tmp_path / ".github" / "workflows"
    bad.mkdir(parents=True)
    (bad / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ needs.nothing.outputs.x }}\n"
    )
    proc = subprocess.run(
        [str(ACTIONLINT), "-color=false", str(bad / "bad.yml")], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert 'property "nothing" is not defined' in proc.stdout, proc.stdout


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_actionlint_runs_shellcheck_on_run_blocks(tmp_path: Path) -> None:
    bad = tmp_path / ".github" / "workflows"
    bad.mkdir(parents=True)
    (bad / "sc.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo $UNQUOTED_THING\n"
    )
    proc = subprocess.run(
        [str(ACTIONLINT), "-color=false", str(bad / "sc.yml")], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "shellcheck" in proc.stdout


def test_the_three_workflows_exist(workflows: dict[str, Any]) -> None:
    assert {"pr.yml", "main.yml", "promote.yml"} <= set(workflows)


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    seen = 0
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = USES_LINE.match(line)
            if not m:
                continue
            seen += 1
            ref, rest = m.groups()
            assert PINNED.match(ref), f"{path.name}:{number}: {ref} is not pinned to a 40-hex SHA"
            assert re.search(r"#\s*v\d+\.\d+\.\d+", rest), f"{path.name}:{number}: no # vX.Y.Z"
    assert seen >= 10


def test_permissions_are_minimal(workflows: dict[str, Any]) -> None:
    for name, wf in workflows.items():
        assert wf.get("permissions") == {}, f"{name}: top-level permissions must be {{}}"
        for job, spec in wf["jobs"].items():
            perms = spec.get("permissions")
            assert isinstance(perms, dict), f"{name}:{job}: no job-level permissions"
            uses = [s.get("uses", "") for s in spec.get("steps", [])]
            oidc = any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
            # OIDC exactly where AWS is used, and only there.
            assert (perms.get("id-token") == "write") == oidc, f"{name}:{job}: id-token"
            writes = {k for k, v in perms.items() if v == "write"} - {"id-token"}
            comment = any(u.startswith("marocchino/sticky-pull-request-comment@") for u in uses)
            assert writes == ({"pull-requests"} if comment else set()), f"{name}:{job}: {writes}"
            assert set(perms.values()) <= {"read", "write"}


def test_aws_access_is_oidc_only() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text, path
        assert "secrets." not in text, f"{path.name}: the workflows read vars, never secrets"
    for name in ("pr.yml", "main.yml", "promote.yml"):
        assert "role-to-assume: ${{ vars." in (WORKFLOWS / name).read_text()


def test_run_steps_call_only_make_targets_or_flotilla(workflows: dict[str, Any]) -> None:
    for name, wf in workflows.items():
        for job, step in _steps(wf):
            if "run" in step:
                cmd = step["run"].strip()
                assert ALLOWED_RUN.match(cmd), f"{name}:{job}: run {cmd!r} is logic in YAML"


def test_pr_workflow_shape(workflows: dict[str, Any]) -> None:
    pr = workflows["pr.yml"]
    assert "pull_request" in pr["on"]
    runs = [s["run"] for _, s in _steps(pr) if "run" in s]
    for needed in (
        "make lint",
        "make test",
        "make build",
        "make plan ENV=staging ARGS=--no-push",
        "make audit",
    ):
        assert needed in runs
    jobs = pr["jobs"]
    for job in ("test", "build", "plan"):  # only for what the PR touches
        assert "needs.changes.outputs" in jobs[job]["if"]
    comment = [s for _, s in _steps(pr) if "sticky-pull-request-comment" in s.get("uses", "")]
    assert len(comment) == 1 and comment[0]["with"]["header"]  # one comment, updated in place
    uploads = [s["with"]["path"] for _, s in _steps(pr) if "upload-artifact" in s.get("uses", "")]
    assert "build/staging/" in uploads


def test_caches_pip_and_terraform_providers(workflows: dict[str, Any]) -> None:
    for name in ("pr.yml", "main.yml", "promote.yml"):
        steps = [s for _, s in _steps(workflows[name])]
        py = [s for s in steps if "setup-python" in s.get("uses", "")]
        assert py and all(s["with"]["cache"] == "pip" for s in py)
        caches = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
        assert any(".terraform/providers" in s["with"]["path"] for s in caches), name


def test_main_deploys_staging_one_at_a_time(workflows: dict[str, Any]) -> None:
    main = workflows["main.yml"]
    assert main["on"]["push"]["branches"] == ["main"]
    (job,) = main["jobs"].values()
    assert job["environment"] == "staging"
    assert job["concurrency"] == {"group": "deploy-staging", "cancel-in-progress": False}
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert runs.index("make build") < runs.index("make deploy ENV=staging")


def test_promote_is_manual_gated_and_never_builds(workflows: dict[str, Any]) -> None:
    promote = workflows["promote.yml"]
    assert set(promote["on"]) == {"workflow_dispatch"}
    (job,) = promote["jobs"].values()
    assert job["environment"] == "prod"
    assert job["concurrency"]["cancel-in-progress"] is False
    runs = " ".join(s["run"] for s in job["steps"] if "run" in s)
    assert "flotilla promote --from staging --to prod" in runs
    assert "build" not in runs and "make deploy" not in runs
