"""Who may reach what inside a task: the internal port and the trusted proxies.

`/metrics` and `/stats` are served only on the internal port (default 9100), never on the
service port the load balancer forwards to, so no spelling of a public URL reaches them. Any
server that runs `RuntimeApp` must bind the internal port as a second socket; the app tells
the two apart by the ASGI scope's `server` port (see `RuntimeApp.__call__`).

`X-Forwarded-*` is believed only from `FLOTILLA_TRUSTED_PROXIES` (Terraform sets it to the
VPC's CIDR: only the ALB in the VPC can reach the task), never from `*`.
"""

from __future__ import annotations

import ipaddress
import os
import posixpath
from collections.abc import Mapping

from flotilla.errors import UsageError

INTERNAL_PORT = 9100
ENV_INTERNAL_PORT = "FLOTILLA_INTERNAL_PORT"
ENV_TRUSTED_PROXIES = "FLOTILLA_TRUSTED_PROXIES"
DEFAULT_TRUSTED_PROXIES = "127.0.0.1"  # uvicorn's own default: nobody but loopback
INTERNAL_ENDPOINTS = ("metrics", "stats")  # only on the internal port
PUBLIC_ENDPOINTS = ("healthz", "readyz")  # the load balancer's health checks need these


def internal_port(env: Mapping[str, str] = os.environ) -> int:
    """The task's internal port: FLOTILLA_INTERNAL_PORT, default 9100."""
    raw = env.get(ENV_INTERNAL_PORT, "")
    if not raw:
        return INTERNAL_PORT
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise UsageError(f"environment variable {ENV_INTERNAL_PORT} = {raw!r} must be 1..65535")
    return int(raw)


def trusted_proxies(env: Mapping[str, str] = os.environ) -> str:
    """FLOTILLA_TRUSTED_PROXIES as uvicorn's `forwarded_allow_ips`: comma-separated addresses
    or CIDRs. `*` is refused: it would let any client forge its address and scheme."""
    raw = env.get(ENV_TRUSTED_PROXIES, "").strip() or DEFAULT_TRUSTED_PROXIES
    items = [item.strip() for item in raw.split(",") if item.strip()]
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise UsageError(
                f"environment variable {ENV_TRUSTED_PROXIES} = {raw!r}: {item!r} is not an "
                "IP address or CIDR; allowed: a comma-separated list such as 10.40.0.0/16 "
                "(never *)"
            ) from None
    return ",".join(items)


def normalize(path: str) -> str:
    """The path as a lenient router might read it: case folded, slashes collapsed, dot
    segments resolved, trailing slash and `;params` dropped."""
    path = path.split(";", 1)[0].lower()
    return posixpath.normpath("/" + path.lstrip("/")).rstrip("/") or "/"


def is_internal(path: str, prefixes: list[str]) -> bool:
    """True if `path` is, by any spelling, a mount's `/metrics` or `/stats` (or below them)."""
    lower = path.lower()
    if not any(name in lower for name in INTERNAL_ENDPOINTS):
        return False  # the common case, without normalizing
    norm = normalize(path)
    for prefix in prefixes:
        for name in INTERNAL_ENDPOINTS:
            hidden = f"{prefix.lower()}/{name}"
            if norm == hidden or norm.startswith(hidden + "/"):
                return True
    return False
