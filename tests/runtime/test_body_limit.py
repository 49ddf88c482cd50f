"""The manifest's `max_body_bytes` reaches every framework: a larger body answers 413."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from flotilla.runtime.testing import serve_in_thread

PLUGIN = """
from flotilla import Plugin, Request

plugin = Plugin("limited")


@plugin.post("/echo")
def echo(request: Request) -> dict:
    return {"length": len(request.body)}
"""


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("svc") / "limited"
    folder.mkdir()
    (folder / "limited_mod.py").write_text(PLUGIN)
    (folder / "service.toml").write_text(
        'name = "limited"\nframework = "fastapi"\nentry = "limited_mod:plugin"\n'
        'path = "/limited"\nversion = "1.0.0"\nmax_body_bytes = 100\n'
    )
    return folder


@pytest.mark.parametrize("framework", ["fastapi", "flask", "django"])
def test_body_over_the_manifest_limit_is_413(limited: Path, framework: str) -> None:
    with serve_in_thread(limited, framework) as base:
        ok = httpx.post(f"{base}/limited/echo", content=b"x" * 100)
        big = httpx.post(f"{base}/limited/echo", content=b"x" * 101)
        chunked = httpx.post(f"{base}/limited/echo", content=iter([b"x" * 60, b"x" * 60]))
    assert ok.json() == {"length": 100}
    expected = {"error": {"status": 413, "message": "request body over 100 bytes"}}
    assert (big.status_code, big.json()) == (413, expected)
    assert (chunked.status_code, chunked.json()) == (413, expected)
