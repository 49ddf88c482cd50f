"""Instructions per request of a bench_typed variant's plugin path, counted by callgrind:
deterministic where req/s on a shared 2-core machine is not. The variant's WSGI app (the
Flask or Django adapter and its plugin: no server, no thread pool) answers the bench request
REQUESTS times in a child process under valgrind; a run with no requests is subtracted, so
imports and start-up drop out. PYTHONHASHSEED is fixed so that repeated counts agree.

    python -m bench.instructions VARIANT N    (the child: answer N requests, in-process)
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REQUESTS = 1000
WARMUP = 50  # requests before the counted ones, in both runs (first-use caches)
ROOT = Path(__file__).resolve().parent.parent


def available() -> bool:
    return shutil.which("valgrind") is not None


def per_request(variant: str) -> float:
    """Instructions per request of `variant` (a flask-* or django-* bench_typed variant)."""
    return (_count(variant, REQUESTS) - _count(variant, 0)) / REQUESTS


def _count(variant: str, requests: int) -> int:
    with tempfile.TemporaryDirectory(prefix="flotilla-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             "-m", "bench.instructions", variant, str(requests)],
            cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"}, check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900,
        )  # fmt: skip
        found = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
        assert found, f"no instruction total in {out}"
        return int(found.group(1))


def _app(variant: str, root: Path) -> Any:
    from bench.bench_typed import make_service
    from flotilla.runtime.loader import import_entry, read_service

    folder = make_service(root, variant)
    manifest = read_service(folder)
    plugin = import_entry(manifest, folder.resolve())
    if manifest.framework == "flask":
        from flotilla.runtime.adapters.flask import flask_app

        return flask_app(plugin, manifest.max_body_bytes)
    from flotilla.runtime.adapters.django import django_handler

    return django_handler(plugin, manifest.max_body_bytes)


def _serve(variant: str, requests: int) -> None:
    from bench.bench_typed import PATH

    path, _, query = PATH.partition("?")
    with tempfile.TemporaryDirectory(prefix="flotilla-callgrind-") as tmp:
        app = _app(variant, Path(tmp))
        statuses: list[str] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
            statuses.append(status)

        def answer() -> None:
            environ = {
                "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/bench", "PATH_INFO": path,
                "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
                "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                "HTTP_HOST": "127.0.0.1:8000", "HTTP_USER_AGENT": "wrk", "HTTP_ACCEPT": "*/*",
                "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
                "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": True,
                "wsgi.multiprocess": False, "wsgi.run_once": False, "asgi.scope": {},
            }  # fmt: skip
            result = app(environ, start_response)
            b"".join(result)
            getattr(result, "close", lambda: None)()

        for _ in range(WARMUP):
            answer()
        if not statuses[0].startswith("200"):
            raise SystemExit(f"{variant}: {statuses[0]}")
        for _ in range(requests):
            answer()


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
