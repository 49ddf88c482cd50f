"""The runtime's cost per request: the plugin under `flotilla serve` against a bare Starlette
route, against the runtime as it was before issue 15 (BASELINE) and as the previous session
left it (PREVIOUS), each run from a `git archive` of that commit, all on uvicorn with uvloop +
httptools, one worker each, side by side in one run. wrk -t1 -c16 on 127.0.0.1; rounds
interleave every server (order rotated per round) so machine drift hits them all; medians of
the rounds. BENCH_ROUNDS / BENCH_SECONDS change the run; BENCH_ONLY="name;name" runs only
those servers and prints their rows (a quick look, no results written).

Targets: FastAPI plugin >= 0.5x bare Starlette and >= 2x baseline with p99 <= baseline's;
Flask and Django plugins >= 1.3x baseline.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from contextlib import ExitStack
from io import BytesIO
from pathlib import Path

from bench.bench_plugin import CONNECTIONS, PATH, PLUGIN
from bench.wrk import wrk

BASELINE = "e11a27f"  # main before the runtime's fast path
PREVIOUS = "5f488f3"  # main before the FastAPI adapter's direct dispatch
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
NON_BLOCKING = '@plugin.get("/items/{item_id}", blocking=False)'
FRAMEWORKS = ("fastapi", "flask", "django")
UVICORN = ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
STARLETTE = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def item(request):
    return JSONResponse(
        {"id": request.path_params["item_id"], "tags": request.query_params.getlist("tag")}
    )


app = Starlette(routes=[Route("/bench/items/{item_id}", item)])
"""


def service(root: Path, name: str, framework: str, code: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "bench_plugin_svc.py").write_text(code)
    (folder / "service.toml").write_text(
        f'name = "{name}"\nframework = "{framework}"\nentry = "bench_plugin_svc:plugin"\n'
        'path = "/bench"\nversion = "0.0.0"\n'
    )
    return folder


def baseline_src(root: Path, commit: str = BASELINE) -> Path:
    """`commit`'s src/ (the runtime as it was), unpacked from git."""
    data = subprocess.run(
        ["git", "archive", commit, "src"], capture_output=True, check=True, timeout=60
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(root / commit, filter="data")
    return root / commit / "src"


def commands(root: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """server name -> (argv without the port, extra environment)."""
    py = sys.executable
    (root / "bare_starlette.py").write_text(STARLETTE)
    old = str(baseline_src(root))
    prev = {"PYTHONPATH": str(baseline_src(root, PREVIOUS))}
    factory = [py, "-m", "uvicorn", "--factory", "flotilla.runtime.server:create_app"]
    out: dict[str, tuple[list[str], dict[str, str]]] = {
        "starlette": ([py, "-m", "uvicorn", "--app-dir", str(root), "bare_starlette:app"], {}),
    }
    for fw in FRAMEWORKS:
        folder = service(root, f"bench-{fw}", fw, PLUGIN)
        out[f"baseline {fw}"] = (factory, {"PYTHONPATH": old, "FLOTILLA_SERVICE_DIR": str(folder)})
        if fw == "fastapi":
            out[f"previous {fw}"] = (serve(folder), prev)
        out[f"now {fw}"] = (serve(folder), {})
    asyncd = service(root, "bench-async", "fastapi", PLUGIN.replace("def item", "async def item"))
    out["baseline fastapi, async def"] = (
        factory,
        {"PYTHONPATH": old, "FLOTILLA_SERVICE_DIR": str(asyncd)},
    )
    out["previous fastapi, async def"] = (serve(asyncd), prev)
    out["now fastapi, async def"] = (serve(asyncd), {})
    inline = PLUGIN.replace('@plugin.get("/items/{item_id}")', NON_BLOCKING)
    assert NON_BLOCKING in inline
    out["now fastapi, def blocking=False"] = (
        serve(service(root, "bench-inline", "fastapi", inline)),
        {},
    )
    return out


def serve(folder: Path) -> list[str]:
    return [sys.executable, "-m", "flotilla.cli", "serve", str(folder)]


def start(argv: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    from flotilla.process import free_port

    serve = "flotilla.cli" in argv
    full = [*argv, "--port", str(port), *(["--host", "127.0.0.1"] if serve else UVICORN)]
    internal = {"FLOTILLA_INTERNAL_PORT": str(free_port())}  # /metrics: never the fixed 9100
    return subprocess.Popen(
        full,
        env={**os.environ, **internal, **env},
        stdout=subprocess.DEVNULL,  # the access log: written, then discarded, by every server
        stderr=subprocess.DEVNULL,
    )


def wait_up(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200")
        time.sleep(0.1)


# (what, numerator, denominator, target text, minimum or None) over req/s medians
CHECKS: list[tuple[str, str, str, str, float | None]] = [
    ("fastapi plugin / bare Starlette", "now fastapi", "starlette", ">= 0.5", 0.5),
    ("fastapi plugin / baseline", "now fastapi", "baseline fastapi", ">= 2", 2.0),
    ("fastapi plugin / previous", "now fastapi", "previous fastapi", "(none)", None),
    ("flask plugin / baseline", "now flask", "baseline flask", ">= 1.3", 1.3),
    ("django plugin / baseline", "now django", "baseline django", ">= 1.3", 1.3),
    (
        "fastapi `def`, blocking=False / bare Starlette",
        "now fastapi, def blocking=False",
        "starlette",
        ">= 0.5",
        0.5,
    ),
    (
        "fastapi `def`, blocking=False / baseline `def`",
        "now fastapi, def blocking=False",
        "baseline fastapi",
        ">= 2",
        2.0,
    ),
    ("fastapi async def / bare Starlette", "now fastapi, async def", "starlette", ">= 0.5", 0.5),
    (
        "fastapi async def / baseline async def",
        "now fastapi, async def",
        "baseline fastapi, async def",
        ">= 2",
        2.0,
    ),
    (
        "fastapi async def / previous async def",
        "now fastapi, async def",
        "previous fastapi, async def",
        "(none)",
        None,
    ),
]
# the same over p99 medians, with a maximum
P99_CHECKS: list[tuple[str, str, str, str, float | None]] = [
    ("fastapi plugin p99 / baseline p99", "now fastapi", "baseline fastapi", "<= 1", 1.0),
    (
        "fastapi `def`, blocking=False p99 / baseline `def` p99",
        "now fastapi, def blocking=False",
        "baseline fastapi",
        "<= 1",
        1.0,
    ),
    ("flask plugin p99 / baseline p99", "now flask", "baseline flask", "(none)", None),
    ("django plugin p99 / baseline p99", "now django", "baseline django", "(none)", None),
]
ONLY = [n for n in os.environ.get("BENCH_ONLY", "").split(";") if n]  # quick look: no results


def main() -> int:
    from rich.console import Console
    from rich.progress import Progress

    from bench.machine import write
    from flotilla.process import free_port, stop

    console = Console()
    results: dict[str, list[tuple[float, float]]] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="flotilla-bench-rt-") as tmp, ExitStack() as stack:
        urls = {}
        for name, (argv, env) in commands(Path(tmp)).items():
            if ONLY and name not in ONLY:
                continue
            port = free_port()
            proc = start(argv, env, port)
            stack.callback(stop, proc, timeout=15)
            urls[name] = f"http://127.0.0.1:{port}/bench{PATH}"
        for url in urls.values():
            wait_up(url)
        names = list(urls)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("wrk", total=ROUNDS * len(names))
            for rnd in range(ROUNDS):
                shift = rnd % len(names)
                for name in names[shift:] + names[:shift]:
                    progress.update(task, description=f"round {rnd + 1} {name}")
                    got = wrk(urls[name], percentile=99, seconds=SECONDS, connections=CONNECTIONS)
                    results.setdefault(name, []).append(got)
                    progress.advance(task)
    rps = {n: statistics.median(r for r, _ in v) for n, v in results.items()}
    p99 = {n: statistics.median(p for _, p in v) for n, v in results.items()}
    rows = [f"| {n} | {rps[n]:,.0f} | {p99[n]:.2f} |" for n in names]
    if ONLY:
        print("\n".join(rows))
        return 0
    verdicts = []
    for what, num, den, target, need in CHECKS:
        ratio = rps[num] / rps[den]
        met = "" if need is None else "yes" if ratio >= need else "NO"
        verdicts.append(f"| {what} | **{ratio:.2f}** | {target} | {met} |")
    for what, num, den, target, need in P99_CHECKS:
        ratio = p99[num] / p99[den]
        met = "" if need is None else "yes" if ratio <= need else "NO"
        verdicts.append(f"| {what} | **{ratio:.2f}** | {target} | {met} |")
    p99_ratio = p99["now fastapi"] / p99["baseline fastapi"]
    load = f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    md = [
        "# The runtime's cost per request",
        "",
        f"`GET /bench{PATH}`; every server on uvicorn with uvloop + httptools, one worker,",
        f"access log on (to /dev/null). wrk -t1 -c{CONNECTIONS}, {ROUNDS} interleaved rounds x",
        f"{SECONDS} s, medians. Baseline = the runtime at {BASELINE} (before issue 15), previous",
        f"= {PREVIOUS} (the last session's), both run side by side from `git archive`. The",
        "plugin handler is a sync `def` (thread pool) unless the row says `async def` or",
        "`blocking=False` (a sync `def` declared non-blocking: called on the event loop).",
        "The starlette row is stock uvicorn (httptools); the `now`/`previous` rows run",
        "`flotilla serve` (uvicorn with uvloop and runtime.protocol's httptools subclass).",
        "",
        "| server | req/s | p99 ms |",
        "|---|---|---|",
        *rows,
        "",
        "| ratio | measured | target | met |",
        "|---|---|---|---|",
        *verdicts,
        "",
        f"The machine is shared (2 cores; 1-min load average {load}): absolute rates move with",
        "the neighbours, the side-by-side ratios of one run are what counts.",
    ]
    data = {
        "rps": rps,
        "p99_ms": p99,
        "rounds": results,
        "ratios": {what: rps[num] / rps[den] for what, num, den, _, _ in CHECKS},
        "p99_ratio_fastapi": p99_ratio,
        "load_average": [load_before[0], os.getloadavg()[0]],
    }
    write("runtime", "\n".join(md), data)
    console.print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
