"""What a build context holds: no secrets-shaped files, what .flotillaignore says, no link out
of the service folder, and a detect-secrets scan whose findings fail the build."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flotilla.deploy.build import run_build
from flotilla.deploy.build.ignore import context_files
from flotilla.deploy.secretscan import scan_files
from flotilla.discovery import Service
from flotilla.errors import FlotillaError, UsageError
from flotilla.project import Project
from tests.fixtures.images import REPO

HEX_SECRET = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
SECRETS_SHAPED = {
    ".env": "DB_PASSWORD=x\n",
    ".env.prod": "X=1\n",
    "server.pem": "-----BEGIN CERTIFICATE-----\n",
    "tls/private.key": "k\n",
    "id_rsa": "k\n",
    "id_ed25519.pub": "k\n",
    ".aws/credentials": "[default]\n",
    ".git/config": "[core]\n",
    "pkg/__pycache__/mod.cpython-311.pyc": "",
}


def make(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def names(root: Path) -> set[str]:
    return {rel for rel, _ in context_files(root)}


def test_secrets_shaped_files_are_left_out_by_default(tmp_path: Path) -> None:
    root = make(tmp_path / "svc", {"app.py": "plugin = None\n", "pkg/mod.py": "", **SECRETS_SHAPED})
    assert names(root) == {"app.py", "pkg/mod.py"}


def test_flotillaignore_then_dockerignore(tmp_path: Path) -> None:
    root = make(
        tmp_path / "svc",
        {"app.py": "", "notes/draft.md": "", "data.csv": "", "keep.csv": "", ".env.example": ""},
    )
    (root / ".dockerignore").write_text("notes/\n")
    assert names(root) == {"app.py", "data.csv", "keep.csv"}
    # .flotillaignore wins over .dockerignore; `!` re-includes, also past a default
    (root / ".flotillaignore").write_text("*.csv\n!keep.csv\n!.env.example\n")
    assert names(root) == {"app.py", "notes/draft.md", "keep.csv", ".env.example"}


def test_a_link_out_of_the_service_folder_is_refused_by_name(tmp_path: Path) -> None:
    outside = make(tmp_path / "elsewhere", {"credentials": "secret\n"})
    root = make(tmp_path / "svc", {"app.py": "", "conf/inner.toml": ""})
    (root / "inside.toml").symlink_to(root / "conf" / "inner.toml")
    assert names(root) >= {"inside.toml"}, "a link within the folder is fine"
    (root / "conf" / "creds").symlink_to(outside / "credentials")
    with pytest.raises(UsageError) as exc:
        context_files(root)
    assert f"conf/creds -> {outside / 'credentials'}" in exc.value.message
    (root / ".flotillaignore").write_text("conf/creds\n")
    assert "conf/creds" not in names(root), "an ignored link is not taken, so not refused"


def _scan(root: Path) -> list[str]:
    return [f.describe() for f in scan_files(root, context_files(root))]


def test_scan_names_file_and_line(tmp_path: Path) -> None:
    root = make(
        tmp_path / "svc",
        {
            "app.py": "plugin = None\n",
            "settings.py": 'DEBUG = False\nAWS_ID = "AKIAIOSFODNN7EXAMPLE"\n',
            "conf/key.txt": f'signing = "{HEX_SECRET}"\n',
        },
    )
    assert _scan(root) == [
        "conf/key.txt:1: Hex High Entropy String",
        "settings.py:2: AWS Access Key",
    ]


def test_lock_file_hashes_are_not_findings(tmp_path: Path) -> None:
    """The hex entropy detector is on (the test above), yet a real lock's hashes pass."""
    root = make(tmp_path / "svc", {"app.py": ""})
    for name in ("users", "catalog"):
        lock = (REPO / "services" / name / "requirements.lock").read_text()
        assert lock.count("--hash=sha256:") > 10
        (root / f"{name}.lock").write_text(lock)
    (root / "requirements.lock").write_text(
        (REPO / "services/orders/requirements.lock").read_text()
    )
    assert _scan(root) == []


def test_baseline_allows_a_reviewed_false_positive(tmp_path: Path) -> None:
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    root = make(tmp_path / "svc", {"fixture.py": 'TOKEN_SAMPLE = "AKIAIOSFODNN7EXAMPLE"\n'})
    assert _scan(root) == ["fixture.py:1: AWS Access Key"]
    collection = SecretsCollection(root=str(root))
    with default_settings():
        collection.scan_file("fixture.py")  # what `detect-secrets scan > .secrets.baseline` writes
    (root / ".secrets.baseline").write_text(json.dumps({"results": collection.json()}))
    assert _scan(root) == []


@pytest.mark.docker
def test_image_from_a_folder_holding_secrets_has_none_of_them(
    tiny_project: Callable[..., tuple[Project, list[Service]]], base_image: str, docker_engine: Any
) -> None:
    from docker.errors import ImageNotFound

    project, services = tiny_project("alpha")
    (alpha,) = services

    def build() -> dict[str, Any]:
        manifest = run_build(project, services, plain=True, base_image=base_image)
        return dict(manifest["services"]["alpha"])

    clean = build()
    make(alpha.root, {**SECRETS_SHAPED, "notes/todo.md": ""})
    (alpha.root / ".flotillaignore").write_text("notes/\n")
    again = build()
    assert again["status"] == "unchanged", "left-out files do not change the content tag"
    assert again["content_tag"] == clean["content_tag"]

    (alpha.root / "keep.md").write_text("content\n")
    built = build()
    assert built["status"] == "built" and built["content_tag"] != clean["content_tag"]
    listing = docker_engine.containers.run(
        built["image_id"], ["find", "-L", "/srv/service/", "-not", "-type", "d"], remove=True
    ).decode()
    files = {line.removeprefix("/srv/service/") for line in listing.split()}
    assert len(files) > 2, listing
    assert {"app.py", "service.toml", "keep.md"} <= files, files
    assert not files & {*SECRETS_SHAPED, "notes/todo.md", ".flotillaignore"}, files
    assert not any(f.startswith((".env", ".git/", ".aws/", "notes/")) for f in files), files

    # a secret in the code fails that service's build, naming file and line; nothing is tagged
    (alpha.root / "settings.py").write_text('AWS_ID = "AKIAIOSFODNN7EXAMPLE"\n')
    with pytest.raises(FlotillaError) as exc:
        build()
    assert "settings.py:1: AWS Access Key" in exc.value.message
    failed = json.loads((project.build_dir / "manifest.json").read_text())["services"]["alpha"]
    assert failed["status"] == "failed"
    with pytest.raises(ImageNotFound):
        docker_engine.images.get(f"flotilla/alpha:{failed['content_tag']}")
