"""Smoke test: each changed service's `[[smoke]]` requests through the load balancer.

A check passes only on the answer it expects (status, or "not 5xx" by default, plus the
substring or JSON key it names); an unreachable balancer is a failure, never a pass."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from flotilla.checks import SmokeCheck
from flotilla.errors import FlotillaError


class CheckFailed(FlotillaError):
    """A rolled-out release failed a check of its behaviour (smoke or verify): exit 4."""

    exit_code = 4


@dataclass(frozen=True)
class SmokeResult:
    service: str
    check: SmokeCheck
    url: str
    status: int | None
    problem: str | None  # None: the answer was what the check expects

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def line(self) -> str:
        what = f"{self.check.method} {self.url}"
        return f"{self.service}: {what} -> {self.status or '-'}: {self.problem or 'ok'}"


def base_url(alb_url: str, override: str | None = None) -> str:
    """--smoke-url (or the target's FLOTILLA_SMOKE_URL), then Terraform's `alb_url` output."""
    url = override or alb_url
    if not url.startswith(("http://", "https://")):
        url = f"http://{url}"
    return url.rstrip("/")


def _request(check: SmokeCheck, url: str, timeout: float) -> tuple[int | None, bytes, str | None]:
    """(status, body, transport error) of one request."""
    data = None if check.body is None else json.dumps(check.body).encode()
    req = urllib.request.Request(url, data=data, method=check.method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return int(resp.status), resp.read(), None
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(), None
    except (urllib.error.URLError, OSError) as exc:
        return None, b"", str(getattr(exc, "reason", exc))


def _has_key(body: bytes, dotted: str) -> bool:
    try:
        node: Any = json.loads(body)
    except ValueError:
        return False
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def judge(check: SmokeCheck, status: int | None, body: bytes, error: str | None) -> str | None:
    """None when the answer is what `check` expects, else what was wrong."""
    if status is None:
        return f"no answer: {error}"
    if check.status is not None and status != check.status:
        return f"expected HTTP {check.status}"
    if check.status is None and status >= 500:
        return "expected no 5xx"
    if check.contains is not None and check.contains not in body.decode(errors="replace"):
        return f"body does not contain {check.contains!r}"
    if check.json_key is not None and not _has_key(body, check.json_key):
        return f"JSON body has no key {check.json_key!r}"
    return None


def run_check(base: str, service: str, check: SmokeCheck, timeout: float = 5) -> SmokeResult:
    url = base + check.path
    status, body, error = _request(check, url, timeout)
    return SmokeResult(service, check, url, status, judge(check, status, body, error))


def check(
    base: str,
    checks: dict[str, tuple[SmokeCheck, ...]],
    attempts: int = 3,
    delay: float = 2.0,
) -> list[SmokeResult]:
    """Every service's checks through `base`, each retried a few times while it fails
    (a target may still be registering right after the rollout)."""
    results = []
    for service, mine in sorted(checks.items()):
        for c in mine:
            result = run_check(base, service, c)
            for _ in range(attempts - 1):
                if result.ok:
                    break
                time.sleep(delay)
                result = run_check(base, service, c)
            results.append(result)
    return results


def failures(results: list[SmokeResult]) -> dict[str, str]:
    """service -> the reason its smoke test failed (services that passed are absent)."""
    out: dict[str, str] = {}
    for r in results:
        if not r.ok:
            out.setdefault(
                r.service, f"smoke: {r.check.describe()} -> {r.status or '-'}: {r.problem}"
            )
    return out
