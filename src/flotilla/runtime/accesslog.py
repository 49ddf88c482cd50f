"""One JSON line per request on stdout, and the request id that ties it to the caller."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime

MAX_ID = 200


def request_id(headers: list[tuple[bytes, bytes]]) -> tuple[str, bool]:
    """(id, whether X-Request-Id was sent): X-Request-Id, else X-Amzn-Trace-Id, else new."""
    trace = None
    for key, value in headers:
        if key == b"x-request-id" and value:
            return value[:MAX_ID].decode("latin-1"), True
        if key == b"x-amzn-trace-id" and value:
            trace = value[:MAX_ID].decode("latin-1")
    return trace or uuid.uuid4().hex, False


def write(service: str, method: str, route: str, status: int, duration_ms: float, rid: str) -> None:
    line = json.dumps(
        {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "service": service,
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(duration_ms, 3),
            "request_id": rid,
        },
        ensure_ascii=False,
    )
    # Flushed per line: stdout is a pipe in a container and block-buffered otherwise.
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
