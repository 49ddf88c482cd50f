"""Fixtures for the runtime tests: a throwaway service with a slow endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

SLOW_MANIFEST = """
name = "slow"
framework = "fastapi"
entry = "slow_service:plugin"
path = "/slow"
version = "0.1.0"
"""

SLOW_CODE = """
import asyncio
import os
from pathlib import Path

from flotilla import Plugin, Request

plugin = Plugin("slow")


@plugin.get("/wait")
async def wait(request: Request) -> dict:
    Path(os.environ["SLOW_MARKER"]).write_text("started")
    await asyncio.sleep(float(request.query.get("seconds", "1")))
    return {"waited": True}
"""


@pytest.fixture
def slow_service(tmp_path: Path) -> Path:
    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "service.toml").write_text(SLOW_MANIFEST)
    (folder / "slow_service.py").write_text(SLOW_CODE)
    return folder
