"""Smoke test: GET each service's health path through the load balancer."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from flotilla.errors import FlotillaError


@dataclass(frozen=True)
class SmokeResult:
    service: str
    url: str
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def base_url(alb_url: str, override: str | None = None) -> str:
    """--smoke-url, then FLOTILLA_SMOKE_URL, then Terraform's `alb_url` output."""
    url = override or os.environ.get("FLOTILLA_SMOKE_URL") or alb_url
    if not url.startswith(("http://", "https://")):
        url = f"http://{url}"
    return url.rstrip("/")


def _get(url: str, timeout: float) -> tuple[int | None, str | None]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status), None
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.reason if isinstance(exc.reason, str) else None
    except (urllib.error.URLError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc))


def check(
    base: str, health: dict[str, str], attempts: int = 5, delay: float = 2.0
) -> list[SmokeResult]:
    """GET base+path per service, retrying a few times (targets may still be registering)."""
    results = []
    for service, path in sorted(health.items()):
        url = base + path
        result = SmokeResult(service, url, *_get(url, timeout=5))
        for _ in range(attempts - 1):
            if result.ok:
                break
            time.sleep(delay)
            result = SmokeResult(service, url, *_get(url, timeout=5))
        results.append(result)
    return results


def require(results: list[SmokeResult]) -> None:
    bad = [r for r in results if not r.ok]
    if bad:
        lines = "; ".join(f"{r.service}: GET {r.url} -> {r.status or r.error}" for r in bad)
        raise FlotillaError(f"smoke test failed: {lines}")
