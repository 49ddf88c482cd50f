"""Where each microsecond of the plugin path goes, per framework, in-process (no server, no
network): the same ASGI request driven through each layer, 16 requests in flight, for the
runtime now, at BASELINE and at PREVIOUS (each run in a child process from a `git archive`).

`python -m bench.profile_runtime` writes bench/results/runtime_profile.md; a pyinstrument
profile of each full path goes to bench/results/runtime_profile_<framework>.txt.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REQUESTS = 4000
IN_FLIGHT = 16
PASSES = 5
FRAMEWORKS = ("fastapi", "flask", "django")
LAYERS = ("adapter", "+ runtime wrapper", "+ metrics", "+ access log")


def scope() -> dict[str, Any]:
    path = "/bench/items/abc"
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"tag=x&tag=y", "client": ("127.0.0.1", 5555),
        "server": ("127.0.0.1", 8000), "state": {},
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")],
    }  # fmt: skip


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: Any) -> None:
    return None


async def per_request_us(app: Any) -> float:
    import asyncio

    async def client(n: int) -> None:
        for _ in range(n):
            await app(scope(), receive, send)

    await client(200)
    start = time.perf_counter()
    await asyncio.gather(*(client(REQUESTS // IN_FLIGHT) for _ in range(IN_FLIGHT)))
    return (time.perf_counter() - start) / REQUESTS * 1e6


def apps() -> dict[str, Any]:
    """name -> ASGI app, one per (framework, layer), plus the bare Starlette route."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from bench.bench_plugin import PLUGIN
    from flotilla.runtime import accesslog
    from flotilla.runtime.app import Mount, RuntimeApp
    from flotilla.runtime.lifecycle import Lifecycle
    from flotilla.runtime.loader import plugin_app

    namespace: dict[str, Any] = {}
    exec(PLUGIN, namespace)  # the very route the over-the-wire benches serve
    plugin = namespace["plugin"]

    async def bare(request: Any) -> JSONResponse:
        tags = request.query_params.getlist("tag")
        return JSONResponse({"id": request.path_params["item_id"], "tags": tags})

    class NoMetrics:
        def observe(self, *args: object) -> None:
            return None

    def no_log(*args: object) -> None:
        return None

    out: dict[str, Any] = {"starlette": Starlette(routes=[Route("/bench/items/{item_id}", bare)])}
    for fw in FRAMEWORKS:
        inner = plugin_app(plugin, fw)

        async def adapter(s: Any, r: Any, se: Any, inner: Any = inner) -> None:
            await inner({**s, "root_path": "/bench"}, r, se)

        def runtime(metrics: Any, log: Any, inner: Any = inner) -> RuntimeApp:
            mount = Mount("bench", "/bench", inner)
            kwargs = {} if metrics is None else {"metrics": metrics}
            return RuntimeApp([mount], lifecycle=Lifecycle(), access_log=log, **kwargs)

        out[f"{fw} {LAYERS[0]}"] = adapter
        out[f"{fw} {LAYERS[1]}"] = runtime(NoMetrics(), no_log)
        out[f"{fw} {LAYERS[2]}"] = runtime(None, no_log)
        out[f"{fw} {LAYERS[3]}"] = runtime(None, accesslog.write)
    return out


def measure() -> dict[str, float]:
    """Best of 5 interleaved passes over every app (stdout captured: the access log); the
    best, as timeit reports: on a shared machine the slower passes measure the neighbours."""
    import asyncio

    import uvloop

    found = apps()
    runs: dict[str, list[float]] = {name: [] for name in found}

    async def passes() -> None:
        for _ in range(int(os.environ.get("PROFILE_PASSES", PASSES))):
            for name, app in found.items():
                real, sys.stdout = sys.stdout, io.StringIO()
                try:
                    runs[name].append(await per_request_us(app))
                    flush = getattr(getattr(app, "access_log", None), "flush", None)
                    if flush is not None:
                        flush()
                finally:
                    sys.stdout = real

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(passes())
    return {name: min(v) for name, v in runs.items()}


def profile(framework: str) -> str:
    """pyinstrument's text profile of the full path (event-loop thread)."""
    import asyncio

    from pyinstrument import Profiler

    app = apps()[f"{framework} {LAYERS[3]}"]
    profiler = Profiler(interval=0.0002, async_mode="disabled")
    real, sys.stdout = sys.stdout, io.StringIO()
    try:
        profiler.start()
        asyncio.run(per_request_us(app))
        profiler.stop()
        app.access_log.flush()  # pending lines into the capture, not onto the console
    finally:
        sys.stdout = real
    text: str = profiler.output_text(unicode=False, color=False, show_all=False)
    return text


def child(baseline: Path | None) -> dict[str, float]:
    env = {**os.environ, "PROFILE_PASSES": "1"}
    if baseline is not None:
        env["PYTHONPATH"] = str(baseline)
    out = subprocess.run(
        [sys.executable, "-m", "bench.profile_runtime", "--measure"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    from bench.bench_runtime import BASELINE, PREVIOUS, baseline_src
    from bench.machine import RESULTS, write

    # One pass per child, the three runtimes taking turns: load on a shared machine then hits
    # all three alike (a child of five passes each, one after the other, did not).
    found: list[dict[str, list[float]]] = [{}, {}, {}]
    with tempfile.TemporaryDirectory(prefix="flotilla-profile-") as tmp:
        sources = [baseline_src(Path(tmp)), baseline_src(Path(tmp), PREVIOUS), None]
        for _ in range(PASSES):
            for runs, src in zip(found, sources, strict=True):
                for name, us in child(src).items():
                    runs.setdefault(name, []).append(us)
    old, prev, now = ({name: min(v) for name, v in runs.items()} for runs in found)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for fw in FRAMEWORKS:
        (RESULTS / f"runtime_profile_{fw}.txt").write_text(profile(fw))
    runs = (old, prev, now)
    rows = ["| bare Starlette route | " + " | ".join(f"{r['starlette']:.1f}" for r in runs) + " |"]
    for fw in FRAMEWORKS:
        before = [0.0, 0.0, 0.0]
        for layer in LAYERS:
            got = [r[f"{fw} {layer}"] for r in runs]
            cells = " | ".join(f"{g - b:+.1f}" for g, b in zip(got, before, strict=True))
            rows.append(f"| {fw}: {layer} | {cells} |")
            before = got
        rows.append(f"| **{fw}: total** | " + " | ".join(f"**{b:.1f}**" for b in before) + " |")
    md = [
        "# Where the plugin path's microseconds go",
        "",
        f"In-process, no server: {REQUESTS} requests of `GET /bench/items/abc?tag=x&tag=y`,",
        f"{IN_FLIGHT} in flight, on uvloop; best of {PASSES} passes, the three runtimes taking",
        "turns (one child process per pass). Each layer row is",
        "what adding that layer costs per request (µs); `adapter` is the framework serving the",
        "plugin, including the hop to the thread pool for the sync handler. The server's own",
        "cost (HTTP parsing, sockets) is not in here: see runtime.md for over-the-wire numbers.",
        f"Baseline = {BASELINE}, previous = {PREVIOUS} (the last session's). pyinstrument",
        "profiles of each full path now: runtime_profile_*.txt; over the wire:",
        "runtime_wire_profile.md.",
        "",
        "| layer | baseline µs | previous µs | now µs |",
        "|---|---|---|---|",
        *rows,
    ]
    data = {"baseline_us": old, "previous_us": prev, "now_us": now}
    write("runtime_profile", "\n".join(md), data)
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        print(json.dumps(measure()))
        sys.exit(0)
    sys.exit(main())
