"""The target group's health check, run against tasks before they are registered."""

from __future__ import annotations

import http.client
import re

from flotilla.local.haproxy import matcher_regex
from flotilla.local.snapshot import TargetGroup


def check(ip: str, port: int, tg: TargetGroup) -> tuple[bool, bool, str]:
    """(passed, reachable, reason) of one `GET <health path>`, with the TG's timeout/matcher."""
    conn = http.client.HTTPConnection(ip, port, timeout=tg.timeout)
    what = f"health check GET {tg.health_path} (target group {tg.name}, matcher {tg.matcher})"
    try:
        conn.request("GET", tg.health_path, headers={"User-Agent": "ELB-HealthChecker/2.0"})
        status = conn.getresponse().status
    except TimeoutError:
        return False, True, f"{what}: Target.Timeout: request timed out after {tg.timeout}s"
    except OSError as exc:
        return False, False, f"{what}: Target.FailedHealthChecks: {exc.strerror or exc}"
    finally:
        conn.close()
    if re.match(matcher_regex(tg.matcher), str(status)):
        return True, True, f"{what}: HTTP {status}"
    return False, True, f"{what}: Target.ResponseCodeMismatch: HTTP {status}"
