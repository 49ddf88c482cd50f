"""One bounded wrk run: throughput and one latency percentile."""

from __future__ import annotations

import re
import subprocess

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, *, percentile: int, seconds: int, connections: int) -> tuple[float, float]:
    """(requests/s, `percentile` latency in ms) of `wrk -t1` for `seconds` with `connections`;
    the run is killed 30 s past its duration, and any non-2xx/3xx response is an error."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)\b", out)
    assert m, out
    latency = float(m.group(1)) * UNITS_MS[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} non-2xx/3xx responses")
    return rps, latency
