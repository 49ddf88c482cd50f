"""The docker SDK client, or one clear error when the engine is not answering."""

from __future__ import annotations

import importlib
from typing import Any

from flotilla.errors import FlotillaError

HINT = "start it with `make setup` / `bash scripts/dockerd.sh`"


def docker_sdk() -> Any:
    """The docker SDK module (imported by name: the repo's docker/ folder shadows it for mypy)."""
    return importlib.import_module("docker")


def docker_client(timeout: int = 600) -> Any:
    """A connected `docker.DockerClient` (from the environment: DOCKER_HOST etc.)."""
    docker = docker_sdk()
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as exc:
        raise FlotillaError(f"Docker daemon is not reachable ({_short(exc)}): {HINT}") from None
    return client


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]
