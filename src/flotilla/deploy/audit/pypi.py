"""PyPI's JSON API, one GET per project per run, bounded by a timeout."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

DEFAULT_URL = "https://pypi.org/pypi"


class Unreachable(Exception):
    """The index did not answer (DNS, timeout, 5xx)."""


class PyPI:
    """Per-run cache of project and release documents; `None` means 404 (not there)."""

    def __init__(self, timeout: float, base_url: str | None = None) -> None:
        self.timeout = timeout
        self.base_url = base_url or os.environ.get("FLOTILLA_PYPI_JSON_URL") or DEFAULT_URL
        self.base_url = self.base_url.rstrip("/")
        self._cache: dict[str, dict[str, Any] | Unreachable | None] = {}
        self._lock = threading.Lock()

    def _get(self, path: str) -> dict[str, Any] | None:
        with self._lock:
            hit = self._cache.get(path, ...)
        if hit is not ...:
            if isinstance(hit, Unreachable):
                raise hit
            return hit
        result: dict[str, Any] | Unreachable | None
        try:
            req = urllib.request.Request(
                f"{self.base_url}/{path}", headers={"Accept": "application/json"}
            )
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                result = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            result = None if exc.code == 404 else Unreachable(f"HTTP {exc.code} for {path}")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            result = Unreachable(f"{self.base_url}: {reason}")
        with self._lock:
            self._cache[path] = result
        if isinstance(result, Unreachable):
            raise result
        return result

    def project(self, name: str) -> dict[str, Any] | None:
        return self._get(f"{name}/json")

    def release(self, name: str, version: str) -> dict[str, Any] | None:
        return self._get(f"{name}/{version}/json")

    def prefetch(self, names: list[str], workers: int = 8) -> None:
        """Fetch many projects at once (network-bound, so threads)."""

        def one(name: str) -> None:
            with contextlib.suppress(Unreachable):
                self.project(name)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, sorted(set(names))))


def latest_release(doc: dict[str, Any]) -> tuple[str, datetime] | None:
    """The newest non-yanked upload in a project document: (version, time)."""
    best: tuple[str, datetime] | None = None
    for version, files in (doc.get("releases") or {}).items():
        for f in files:
            if f.get("yanked"):
                continue
            when = datetime.fromisoformat(f["upload_time_iso_8601"].replace("Z", "+00:00"))
            if best is None or when > best[1]:
                best = (version, when)
    return best
