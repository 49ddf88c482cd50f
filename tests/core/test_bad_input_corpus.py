"""The bad-input corpus (tests/corpus/bad_inputs/): every case exits 2 with its line, for each
command it names, before anything touches Docker or AWS (both are pointed at nothing, so a
case preflight missed fails with a different message)."""

from __future__ import annotations

import shutil
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from flotilla.cli import main
from flotilla.deploy import preflight
from flotilla.deploy.preflight import CliValues
from flotilla.project import load_project

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus" / "bad_inputs"
COMMANDS = {
    "deploy": ["deploy", "--env", "staging"],
    "plan": ["plan", "--env", "staging"],
    "rollback": ["rollback", "--all", "--env", "staging"],
    "promote": ["promote", "--from", "staging", "--to", "prod"],
}
CASES = sorted(p.parent for p in CORPUS.glob("*/*/case.toml"))
# rollback reads the ledger, not the service folders (a broken manifest cannot block it), so
# only these classes apply to it by default; a case can say `rollback = true` itself.
ROLLBACK_CLASSES = ("cli", "project", "tools")
MIN_PER_CLASS = 3


def make_project(root: Path, case: Path | None) -> dict[str, Any]:
    """The valid base project with the case's changes laid over it; returns case.toml."""
    shutil.copytree(CORPUS / "_base", root)
    terraform = root / "infra" / "terraform"
    terraform.mkdir(parents=True)
    shutil.copy(REPO / "infra/terraform/versions.tf", terraform / "versions.tf")
    shutil.copy(REPO / "infra/terraform/variables.tf", terraform / "variables.tf")
    shutil.copytree(REPO / "environments", root / "environments")
    for env in ("staging", "prod"):  # the HTTPS rule wants a decision; plain HTTP is one
        path = root / "environments" / f"{env}.toml"  # a top-level key: before any table
        path.write_text("allow_http = true\n" + path.read_text())
    if case is None:
        return {}
    spec = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    for rel in spec.get("remove", []):
        target = root / rel
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    if (case / "files").is_dir():
        shutil.copytree(case / "files", root, dirs_exist_ok=True, symlinks=True)
    for c in spec.get("clone", []):  # many services: copies of one, renamed
        source = root / "services" / c["from"]
        for i in range(c["count"]):
            name = f"{c['prefix']}{i:03d}"
            shutil.copytree(source, root / "services" / name)
            toml = root / "services" / name / "service.toml"
            toml.write_text(toml.read_text().replace(c["from"], name))
            module = root / "services" / name / f"{c['from']}_service.py"
            module.rename(module.with_name(f"{name}_service.py"))
    for w in spec.get("write", []):
        path = root / w["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        text = w.get("prefix", "") + w.get("text", "") * w.get("repeat", 1) + w.get("suffix", "")
        path.write_bytes(text.encode(w.get("encoding", "utf-8")))
        if w.get("mode"):
            path.chmod(int(w["mode"], 8))
    return spec


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Docker and the AWS emulator unreachable: nothing may get that far."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("FLOTILLA_TF_PLUGIN_DIR", "/opt/tf-plugins")
    monkeypatch.delenv("FLOTILLA_REGISTRY", raising=False)


def test_the_base_project_passes_preflight(tmp_path: Path, offline: None) -> None:
    """Otherwise every case would fail for the base's reason, not its own."""
    root = tmp_path / "proj"
    make_project(root, None)
    project = load_project(root)
    for argv in COMMANDS.values():
        cli = CliValues(argv[0], "prod" if argv[0] == "promote" else "staging")
        assert preflight.check(project, cli) == [], argv


def test_every_class_has_at_least_three_cases() -> None:
    per_class = Counter(case.parent.name for case in CASES)
    assert per_class and min(per_class.values()) >= MIN_PER_CLASS, per_class


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_bad_input_exits_2_with_its_line(
    case: Path,
    tmp_path: Path,
    offline: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "proj"
    spec = make_project(root, case)
    monkeypatch.setenv("FLOTILLA_ROOT", str(root))
    for key, value in spec.get("env", {}).items():
        monkeypatch.setenv(key, value.format(root=root))
    expect = spec["expect"].format(root=root)
    default = [c for c in COMMANDS if c != "rollback"]
    if spec.get("rollback", case.parent.name in ROLLBACK_CLASSES):
        default = list(COMMANDS)
    runs = spec.get("argv") or [COMMANDS[c] for c in spec.get("commands", default)]
    for argv in runs:
        with pytest.raises(SystemExit) as exc:
            main(list(argv))
        err = capsys.readouterr().err
        lines = [line.removeprefix("error: ") for line in err.splitlines()]
        assert exc.value.code == 2, (argv, err)
        assert "Traceback" not in err and err.count("error:") == 1, (argv, err)
        assert expect in lines, (argv, err)
    assert not (root / "build").exists()


def test_all_violations_are_reported_together(
    tmp_path: Path,
    offline: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Three cases from three classes in one project: one run names all three."""
    root = tmp_path / "proj"
    make_project(root, None)
    for case in ("project/unknown-region", "secrets/token-name"):
        shutil.copytree(CORPUS / case / "files", root, dirs_exist_ok=True)
    users = root / "services/users/service.toml"
    users.write_text(users.read_text().replace('"1.0.0"', '"1.0.0+build.7"'))
    monkeypatch.setenv("FLOTILLA_ROOT", str(root))
    with pytest.raises(SystemExit) as exc:
        main(["deploy", "--env", "staging", "--timeout", "inf"])
    err = capsys.readouterr().err
    lines = [line.removeprefix("error: ") for line in err.splitlines()]
    assert exc.value.code == 2
    assert "--timeout inf: must be a positive number of seconds, finite and at most 86400" in lines
    assert f"{root}/flotilla.toml: key `project.region` = 'us-east-7'" in err
    assert "gives image tag 'v1.0.0+build.7'" in err
    assert "key `env.API_TOKEN`: name looks like a secret" in err
