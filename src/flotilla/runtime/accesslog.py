"""One JSON line per request on stdout, and the request id that ties it to the caller.

A request only appends a tuple; encoding (orjson) and the write happen in one batch a few
milliseconds later on the event loop, after the response has gone out. One write and flush
per batch instead of per line: stdout is a pipe in a container. Pending lines are written at
shutdown (lifespan and atexit), so a graceful stop loses none.
"""

from __future__ import annotations

import asyncio
import atexit
import random
import sys
import time
from datetime import UTC, datetime

import orjson

MAX_ID = 200
FLUSH_SECONDS = 0.05  # how stale the log may be
MAX_PENDING = 1024  # lines held before a write regardless of the timer

Entry = tuple[float, str, str, str, int, float, str]


def request_id(headers: list[tuple[bytes, bytes]]) -> tuple[str, bool]:
    """(id, whether X-Request-Id was sent): X-Request-Id, else X-Amzn-Trace-Id, else new."""
    trace = None
    for key, value in headers:
        if key == b"x-request-id" and value:
            return value[:MAX_ID].decode("latin-1"), True
        if key == b"x-amzn-trace-id" and value:
            trace = value[:MAX_ID].decode("latin-1")
    # 128 random bits from the PRNG, not os.urandom: a syscall per request was a fifth of the
    # plugin path under load (bench/results/runtime_profile_*.txt), and an id is no secret.
    # `random` reseeds itself in every forked worker.
    return trace or f"{random.getrandbits(128):032x}", False


def encode(entry: Entry) -> bytes:
    at, service, method, route, status, duration_ms, rid = entry
    return orjson.dumps(
        {
            "time": datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds"),
            "service": service,
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(duration_ms, 3),
            "request_id": rid,
        }
    )


class AccessLog:
    """The runtime's access log writer: call it per request, lines reach stdout in batches."""

    def __init__(self) -> None:
        self.pending: list[Entry] = []
        self.scheduled = False

    def __call__(
        self, service: str, method: str, route: str, status: int, duration_ms: float, rid: str
    ) -> None:
        self.pending.append((time.time(), service, method, route, status, duration_ms, rid))
        if len(self.pending) >= MAX_PENDING:
            self.flush()
        elif not self.scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop (a sync caller): write now
                self.flush()
                return
            self.scheduled = True
            loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        self.scheduled = False
        entries, self.pending = self.pending, []
        if entries:
            # sys.stdout looked up now: tests and `flotilla dev` may have replaced it.
            sys.stdout.write(b"".join(encode(e) + b"\n" for e in entries).decode())
            sys.stdout.flush()


LOG = AccessLog()
atexit.register(LOG.flush)
write = LOG  # the default writer RuntimeApp uses
