"""The base image pinned by digest in flotilla.toml: validated once (exit 2 naming the key) and
chosen after --base-image and $BASE_IMAGE. The build client is faked here; images are built
from the chosen base by the real engine in test_build.py."""

from __future__ import annotations

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
