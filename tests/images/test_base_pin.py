"""The base image pinned by digest in flotilla.toml: validated once (exit 2 naming the key) and
chosen after --base-image and $BASE_IMAGE (a faked client), and, through the real engine and
registry, the pinned digest is what the image is built FROM; a digest nobody holds is one
clear error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flotilla.deploy.build.base import select_base
from flotilla.project import load_project

PINNED = "python:3.12-slim@sha256:" + "ab" * 32


class Images:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def get(self, ref: str) -> object:
        self.asked.append(ref)
        return object()


class Client:
    def __init__(self) -> None:
        self.images = Images()


def test_the_setting_is_read_and_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "flotilla.toml").write_text(f'[build]\nbase_image = "{PINNED}"\n')
    configured = load_project(tmp_path).config.build.base_image
    assert configured == PINNED
    monkeypatch.delenv("BASE_IMAGE", raising=False)
    client: Any = Client()
    assert select_base(client, None, [], configured) == PINNED
    assert client.images.asked == [PINNED]
    monkeypatch.setenv("BASE_IMAGE", "other:1")
    assert select_base(Client(), None, [], configured) == "other:1"  # the variable wins
    assert select_base(Client(), "cli:2", [], configured) == "cli:2"  # and --base-image


@pytest.mark.parametrize(
    "value", ["python:3.12-slim@sha256:abc", "python@md5:" + "a" * 32, "Python:3.12"]
)
def test_a_malformed_pin_is_one_error_exit_2(tmp_path: Path, value: str) -> None:
    (tmp_path / "flotilla.toml").write_text(f'[build]\nbase_image = "{value}"\n')
    r = subprocess.run(
        [sys.executable, "-m", "flotilla.cli", "services"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FLOTILLA_ROOT": str(tmp_path)},
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert "flotilla.toml" in r.stderr and "build.base_image" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def _push(docker_engine: Any, registry: Any, image: str, remote: str) -> str:
    """Push `image` as `remote:pin` to the test registry; the digest the registry reports."""
    docker_engine.images.get(image).tag(remote, "pin")
    auth = {"username": registry.user, "password": registry.password}
    digest = ""
    for event in docker_engine.api.push(
        remote, tag="pin", auth_config=auth, stream=True, decode=True
    ):
        assert "error" not in event, event
        digest = (event.get("aux") or {}).get("Digest") or digest
    assert digest.startswith("sha256:")
    return str(digest)


@pytest.mark.docker
def test_a_base_pinned_by_digest_is_the_one_the_real_build_uses(
    tmp_path: Path, base_image: str, registry: Any, docker_engine: Any
) -> None:
    from tests.fixtures.images import add_service, commit, copy_repo, lock_all

    remote = f"{registry.host}/base/python"
    pinned = f"{remote}@{_push(docker_engine, registry, base_image, remote)}"
    root = copy_repo(tmp_path / "repo", services=False)
    add_service(root, "solo")
    lock_all(load_project(root))
    toml = root / "flotilla.toml"
    toml.write_text(
        toml.read_text().replace("[project]", f'[build]\nbase_image = "{pinned}"\n\n[project]', 1)
    )
    commit(root, "solo on the pinned base")
    env = {k: v for k, v in os.environ.items() if k != "BASE_IMAGE"}

    def build() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(Path(sys.executable).parent / "flotilla"), "build", "--plain"],
            cwd=root,
            capture_output=True,
            text=True,
            env={**env, "FLOTILLA_ROOT": str(root)},
            timeout=600,
        )

    r = build()
    assert r.returncode == 0, r.stdout + r.stderr
    manifest = json.loads((root / "build/manifest.json").read_text())
    assert manifest["base_image"] == pinned
    solo = docker_engine.images.get(manifest["services"]["solo"]["image_id"])
    base_layers = docker_engine.images.get(pinned).attrs["RootFS"]["Layers"]
    assert solo.attrs["RootFS"]["Layers"][: len(base_layers)] == base_layers  # built FROM it
    # A digest the registry does not hold: one clear error, nothing built.
    toml.write_text(toml.read_text().replace(pinned, f"{remote}@sha256:{'0' * 64}"))
    commit(root, "a pin to nothing")
    r = build()
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert "cannot be pulled" in r.stderr and "0000000000" in r.stderr, r.stderr
