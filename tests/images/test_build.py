"""`flotilla build` through the real Docker engine: tags, skip logic, failure isolation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flotilla.deploy.build import run_build
from flotilla.deploy.build.lock import HEADER, INPUTS_KEY, inputs_digest
from flotilla.deploy.build.source import FlotillaSource
from flotilla.discovery import Service, discover
from flotilla.errors import FlotillaError
from flotilla.project import Project, load_project
from tests.fixtures.images import add_service, commit, copy_repo, lock_all, tiny_app

pytestmark = pytest.mark.docker
FLOTILLA = [str(Path(sys.executable).parent / "flotilla")]


def _statuses(manifest: dict[str, Any]) -> dict[str, str]:
    return {name: entry["status"] for name, entry in manifest["services"].items()}


def _cli(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FLOTILLA, *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "FLOTILLA_ROOT": str(root), **env},
    )


def test_build_tags_skip_and_rebuild(
    tiny_project: Callable[..., tuple[Project, list[Service]]], base_image: str, docker_engine: Any
) -> None:
    project, services = tiny_project("alpha", "beta")
    first = run_build(project, services, plain=True, base_image=base_image)
    assert _statuses(first) == {"alpha": "built", "beta": "built"}
    on_disk = json.loads((project.build_dir / "manifest.json").read_text())
    assert on_disk == first
    assert first["project"] == "flotilla" and first["base_image"] == base_image
    sha = first["git_sha"]
    alpha = first["services"]["alpha"]
    assert alpha["image"] == "flotilla/alpha"
    assert alpha["tags"] == [alpha["content_tag"], f"git-{sha}", "v1.0.0"]
    assert alpha["error"] is None and alpha["size"] > 0

    image = docker_engine.images.get(f"flotilla/alpha:{alpha['content_tag']}")
    assert image.id == alpha["image_id"]
    assert {f"flotilla/alpha:{t}" for t in alpha["tags"]} <= set(image.tags)
    cfg = image.attrs["Config"]
    labels = cfg["Labels"]
    assert labels["org.opencontainers.image.revision"] == sha
    assert labels["org.opencontainers.image.version"] == "1.0.0"
    assert labels["dev.flotilla.service"] == "alpha"
    assert labels["dev.flotilla.content-tag"] == alpha["content_tag"]
    assert "org.opencontainers.image.source" in labels
    assert cfg["User"] == "10001:10001"
    assert cfg["Cmd"] == ["flotilla", "serve", "/srv/service"]
    assert "8000/tcp" in cfg["ExposedPorts"]
    assert "http://127.0.0.1:8000/alpha/healthz" in " ".join(cfg["Env"])
    assert cfg["Healthcheck"]["Test"][0] == "CMD"
    # no pip, no compilers, flotilla importable, bytecode compiled for a read-only root fs
    out = docker_engine.containers.run(
        image.id,
        [
            "sh",
            "-c",
            "python3 -c 'import flotilla, fastapi' && "
            "! python3 -c 'import pip' 2>/dev/null && ! command -v gcc && ! command -v cc && "
            # the runtime wheel: no operator-side code in the image
            "! python3 -c 'import flotilla.deploy' 2>/dev/null && "
            "! python3 -c 'import flotilla.local' 2>/dev/null && "
            "ls /srv/service/__pycache__ && echo ok",
        ],
        remove=True,
        network_mode="none",
        read_only=True,
    )
    assert out.decode().strip().endswith("ok")

    # nothing changed: nothing builds
    second = run_build(project, services, plain=True, base_image=base_image)
    assert _statuses(second) == {"alpha": "unchanged", "beta": "unchanged"}
    assert second["services"]["alpha"]["content_tag"] == alpha["content_tag"]

    # one service's file changes: only it rebuilds, with a new content tag, marked dirty
    (project.services_dir / "beta" / "app.py").write_text(tiny_app("beta", uuid.uuid4().hex))
    third = run_build(project, services, plain=True, base_image=base_image)
    assert _statuses(third) == {"alpha": "unchanged", "beta": "built"}
    beta3 = third["services"]["beta"]
    assert beta3["content_tag"] != first["services"]["beta"]["content_tag"]
    assert f"git-{sha}-dirty" in beta3["tags"]
    assert f"git-{sha}" in third["services"]["alpha"]["tags"]

    # operator-side code (deploy, its commands) and the README change: no image rebuilds
    for rel in ("src/flotilla/deploy/pipeline.py", "src/flotilla/cli/deploy.py", "README.md"):
        path = project.root / rel
        path.write_text(path.read_text() + f"\n# deploy change {uuid.uuid4().hex}\n")
    unchanged = run_build(project, services, plain=True, base_image=base_image)
    assert _statuses(unchanged) == {"alpha": "unchanged", "beta": "unchanged"}

    # the runtime changes: everything rebuilds
    runtime = project.root / "src" / "flotilla" / "runtime" / "__init__.py"
    runtime.write_text(runtime.read_text() + f"\n# runtime change {uuid.uuid4().hex}\n")
    fourth = run_build(project, services, plain=True, base_image=base_image)
    assert _statuses(fourth) == {"alpha": "built", "beta": "built"}
    assert fourth["services"]["alpha"]["content_tag"] != alpha["content_tag"]
    assert f"git-{sha}-dirty" in fourth["services"]["alpha"]["tags"]


def _broken_lock(service: Service, source: FlotillaSource) -> None:
    """A fresh-looking lock pinning a release that does not exist (yanked, or missing from
    an air-gapped mirror): resolution fails at build time."""
    header = HEADER.format(name=service.name, key=INPUTS_KEY, digest=inputs_digest(service, source))
    (service.root / "requirements.lock").write_text(
        header + "six==0.0.999 --hash=sha256:" + "0" * 64 + "\n"
    )


def test_one_failure_fails_only_that_service(tmp_path: Path, base_image: str) -> None:
    root = copy_repo(tmp_path / "repo", services=False)
    add_service(root, "good")
    add_service(root, "syntax", files={"app.py": "def broken(:\n"})
    add_service(root, "unresolvable")
    add_service(root, "stale")
    project = load_project(root)
    lock_all(project)
    source = FlotillaSource(project)
    svcs = {s.name: s for s in discover(project.services_dir, include_installed=False)}
    _broken_lock(svcs["unresolvable"], source)
    (svcs["stale"].root / "requirements.txt").write_text("six\n")
    commit(root, "services")

    proc = _cli(root, "build", "--plain", "--base-image", base_image)
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr
    assert "3 of 4 service(s) failed to build" in err
    assert "syntax:" in err and "app.py" in err and "SyntaxError" in err
    assert "unresolvable:" in err and "six==0.0.999" in err
    assert "stale:" in err and "is stale" in err and "flotilla lock stale" in err
    assert "Traceback" not in err
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    statuses = _statuses(manifest)
    assert statuses["good"] in ("built", "unchanged")
    assert {statuses[n] for n in ("syntax", "unresolvable", "stale")} == {"failed"}
    assert manifest["services"]["stale"]["error"].startswith(str(svcs["stale"].root))


def test_offline_base_is_chosen_and_said(tmp_path: Path, base_image: str) -> None:
    root = copy_repo(tmp_path / "repo", services=False)
    add_service(root, "solo")
    lock_all(load_project(root))
    commit(root, "solo")
    env = {k: v for k, v in os.environ.items() if k != "BASE_IMAGE"}
    proc = subprocess.run(
        [*FLOTILLA, "build", "--plain"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**env, "FLOTILLA_ROOT": str(root)},
    )
    assert proc.returncode == 0, proc.stderr
    assert f"using the offline base {base_image}" in proc.stderr
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    assert manifest["base_image"] == base_image


def test_dockerfile_error_is_named(tmp_path: Path, base_image: str) -> None:
    root = copy_repo(tmp_path / "repo", services=False)
    add_service(root, "solo")
    lock_all(load_project(root))
    dockerfile = root / "docker" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("WORKDIR /srv/service", "WORKDIRR /x"))
    project = load_project(root)
    with pytest.raises(FlotillaError) as err:
        run_build(
            project,
            discover(project.services_dir, include_installed=False),
            plain=True,
            base_image=base_image,
        )
    assert "solo" in err.value.message and "WORKDIRR" in err.value.message.upper()


def test_invalid_manifest_exits_2_before_building(tmp_path: Path, docker_engine: Any) -> None:
    root = copy_repo(tmp_path / "repo", services=False)
    add_service(root, "fine")
    folder = add_service(root, "bad")
    (folder / "service.toml").write_text(
        (folder / "service.toml").read_text().replace("port = 8000", "port = 80")
    )
    proc = _cli(root, "build", "--plain")
    assert proc.returncode == 2
    assert "services/bad/service.toml" in proc.stderr and "port" in proc.stderr
    assert not (root / "build").exists(), "nothing may be built or written"


def test_daemon_down_is_one_clear_message(tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "repo", services=False)
    add_service(root, "solo")
    proc = _cli(root, "build", "--plain", DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock")
    assert proc.returncode == 1
    assert "Docker daemon is not reachable" in proc.stderr
    assert "scripts/dockerd.sh" in proc.stderr and "Traceback" not in proc.stderr
