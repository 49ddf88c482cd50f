"""Images: one per service, tagged by content, built only when something changed."""

from __future__ import annotations

from flotilla.deploy.build.builder import run_build
from flotilla.deploy.build.client import docker_client

__all__ = ["docker_client", "run_build"]
