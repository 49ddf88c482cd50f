"""Content tags, locks and wheel selection: what decides whether and what an image builds."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from flotilla.deploy.build.base import Target
from flotilla.deploy.build.lock import lock_problem, parse_lock, write_lock
from flotilla.deploy.build.source import FlotillaSource, dockerfile_path
from flotilla.deploy.build.tags import content_tag
from flotilla.deploy.build.wheelhouse import pins_for
from flotilla.discovery import discover
from flotilla.errors import FlotillaError
from flotilla.project import load_project
from tests.fixtures.images import REPO, add_service, copy_repo

ARGS = {"SERVICE": "a", "PORT": "8000", "VERSION": "1.0.0", "REVISION": "abc1234"}


def _tag(root: Path, **over: object) -> str:
    project = load_project(root)
    svc = discover(project.services_dir, include_installed=False)[0]
    source = FlotillaSource(project)
    return content_tag(
        svc,
        dockerfile=dockerfile_path(project, source),
        base_id=str(over.get("base_id", "sha256:base")),
        flotilla_digest=source.digest,
        build_args={**ARGS, **over.get("args", {})},  # type: ignore[dict-item]
    )


def test_content_tag_follows_content_only(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo", services=False)
    folder = add_service(root, "a")
    first = _tag(root)
    assert first.startswith("c-") and len(first) == 14
    assert _tag(root) == first, "identical inputs give an identical tag"
    os.utime(folder / "app.py", (1, 1))
    assert _tag(root) == first, "an mtime is not content"
    assert _tag(root, args={"REVISION": "fffffff"}) == first, "a new commit alone rebuilds nothing"
    assert _tag(root, args={"PORT": "9000"}) != first
    assert _tag(root, base_id="sha256:other") != first
    (folder / "app.py").write_text("plugin = 1\n")
    second = _tag(root)
    assert second != first
    runtime = root / "src" / "flotilla" / "runtime" / "__init__.py"
    runtime.write_text(runtime.read_text() + "\n# changed\n")
    assert _tag(root) not in (first, second), "the flotilla wheel's content is an input"
    before = _tag(root)
    (root / "README.md").write_text("# rewritten docs\n")
    assert _tag(root) == before, "the README is not in the image wheel"
    dockerfile = root / "docker" / "Dockerfile"
    before = _tag(root)
    dockerfile.write_text(dockerfile.read_text() + "\n# changed\n")
    assert _tag(root) != before


def test_lock_is_hashed_universal_and_goes_stale(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo", services=False)
    add_service(root, "a", requirements="six==1.16.0\n")
    project = load_project(root)
    svc = discover(project.services_dir, include_installed=False)[0]
    source = FlotillaSource(project)
    problem = lock_problem(svc, source)
    assert problem is not None and "missing" in problem and "flotilla lock a" in problem

    path = write_lock(svc, source)
    assert lock_problem(svc, source) is None
    pins = {p.name: p for p in parse_lock(path.read_text(), str(path))}
    assert pins["six"].version == "1.16.0"
    assert {"fastapi", "uvicorn", "pydantic", "pydantic-core"} <= set(pins)
    assert all(p.hashes and all(h.startswith("sha256:") for h in p.hashes) for p in pins.values())
    # universal: pydantic-core has a wheel per Python version, all of them hashed
    assert len(pins["pydantic-core"].hashes) > 10

    (svc.root / "requirements.txt").write_text("six==1.16.0\nidna\n")
    problem = lock_problem(svc, source)
    assert problem is not None and "stale" in problem and "flotilla lock a" in problem


def test_lock_unresolvable_requirement_names_service_and_package(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo", services=False)
    add_service(root, "a", requirements="flotilla-no-such-package-xyz==1.0\n")
    project = load_project(root)
    svc = discover(project.services_dir, include_installed=False)[0]
    with pytest.raises(FlotillaError) as err:
        write_lock(svc, FlotillaSource(project))
    assert "a: cannot resolve" in err.value.message
    assert "flotilla-no-such-package-xyz" in err.value.message
    assert not (svc.root / "requirements.lock").exists()


def test_pins_follow_the_target_python_not_the_host(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo", services=False)
    folder = add_service(root, "a")
    (folder / "requirements.lock").write_text(
        "six==1.16.0 --hash=sha256:aa\n"
        "tomli==2.0.1 ; python_full_version < '3.12' \\\n    --hash=sha256:bb\n"
        "pywin==1 ; sys_platform == 'win32' --hash=sha256:cc\n"
    )
    svc = discover(load_project(root).services_dir, include_installed=False)[0]
    t311 = Target("3.11", "cpython", "x86_64", "glibc", "2.36")
    t312 = Target("3.12", "cpython", "x86_64", "glibc", "2.36")
    assert [p.name for p in pins_for(svc, t311)] == ["six", "tomli"]
    assert [p.name for p in pins_for(svc, t312)] == ["six"]
    args = t312.pip_args()
    assert "manylinux_2_17_x86_64" in args and "manylinux2014_x86_64" in args
    assert args[args.index("--abi") + 1] == "cp312"


def test_hadolint_passes() -> None:
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "hadolint"), str(REPO / "docker" / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
