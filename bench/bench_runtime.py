"""The runtime's cost per request: the plugin under `flotilla serve` against a bare Starlette
route and against the runtime as it was before issue 15 (BASELINE, run from a `git archive`
of that commit), all on uvicorn with uvloop + httptools, one worker each, side by side in one
run. wrk -t1 -c16 on 127.0.0.1; rounds interleave every server (order rotated per round) so
machine drift hits them all; medians of the rounds.

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
ROUNDS = 5
SECONDS = 3
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


def baseline_src(root: Path) -> Path:
    """BASELINE's src/ (the runtime as it was), unpacked from git."""
    data = subprocess.run(
        ["git", "archive", BASELINE, "src"], capture_output=True, check=True, timeout=60
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(root / "baseline", filter="data")
    return root / "baseline" / "src"


def commands(root: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """server name -> (argv without the port, extra environment)."""
    py = sys.executable
    (root / "bare_starlette.py").write_text(STARLETTE)
    old = str(baseline_src(root))
    out: dict[str, tuple[list[str], dict[str, str]]] = {
        "starlette": ([py, "-m", "uvicorn", "--app-dir", str(root), "bare_starlette:app"], {}),
    }
    for fw in FRAMEWORKS:
        folder = service(root, f"bench-{fw}", fw, PLUGIN)
        factory = ["-m", "uvicorn", "--factory", "flotilla.runtime.server:create_app"]
        env = {"PYTHONPATH": old, "FLOTILLA_SERVICE_DIR": str(folder)}
        out[f"baseline {fw}"] = ([py, *factory], env)
        out[f"now {fw}"] = ([py, "-m", "flotilla.cli", "serve", str(folder)], {})
    asyncd = service(root, "bench-async", "fastapi", PLUGIN.replace("def item", "async def item"))
    factory = ["-m", "uvicorn", "--factory", "flotilla.runtime.server:create_app"]
    out["baseline fastapi, async def"] = (
        [py, *factory],
        {"PYTHONPATH": old, "FLOTILLA_SERVICE_DIR": str(asyncd)},
    )
    out["now fastapi, async def"] = ([py, "-m", "flotilla.cli", "serve", str(asyncd)], {})
    return out


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


def main() -> int:
    from rich.console import Console
    from rich.progress import Progress

    from bench.machine import write
    from flotilla.process import free_port, stop

    console = Console()
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="flotilla-bench-rt-") as tmp, ExitStack() as stack:
        urls = {}
        for name, (argv, env) in commands(Path(tmp)).items():
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
    checks = [
        ("fastapi plugin / bare Starlette", rps["now fastapi"] / rps["starlette"], ">= 0.5", 0.5),
        ("fastapi plugin / baseline", rps["now fastapi"] / rps["baseline fastapi"], ">= 2", 2.0),
        ("flask plugin / baseline", rps["now flask"] / rps["baseline flask"], ">= 1.3", 1.3),
        ("django plugin / baseline", rps["now django"] / rps["baseline django"], ">= 1.3", 1.3),
    ]
    checks.append(
        (
            "fastapi async def plugin / bare Starlette",
            rps["now fastapi, async def"] / rps["starlette"],
            ">= 0.5",
            0.5,
        )
    )
    checks.append(
        (
            "fastapi async def plugin / baseline async def",
            rps["now fastapi, async def"] / rps["baseline fastapi, async def"],
            ">= 2",
            2.0,
        )
    )
    p99_ratio = p99["now fastapi"] / p99["baseline fastapi"]
    rows = [f"| {n} | {rps[n]:,.0f} | {p99[n]:.2f} |" for n in names]
    verdicts = [
        f"| {what} | **{ratio:.2f}** | {target} | {'yes' if ratio >= need else 'NO'} |"
        for what, ratio, target, need in checks
    ]
    verdicts.append(
        f"| fastapi plugin p99 / baseline p99 | **{p99_ratio:.2f}** | <= 1 | "
        f"{'yes' if p99_ratio <= 1 else 'NO'} |"
    )
    md = [
        "# The runtime's cost per request",
        "",
        f"`GET /bench{PATH}`; every server on uvicorn with uvloop + httptools, one worker,",
        f"access log on (to /dev/null). wrk -t1 -c{CONNECTIONS}, {ROUNDS} interleaved rounds x",
        f"{SECONDS} s, medians. Baseline = the runtime at {BASELINE} (before this work), run",
        "side by side from `git archive`. The plugin handler is a sync `def` (thread pool)",
        "unless the row says `async def`.",
        "",
        "| server | req/s | p99 ms |",
        "|---|---|---|",
        *rows,
        "",
        "| ratio | measured | target | met |",
        "|---|---|---|---|",
        *verdicts,
    ]
    data = {
        "rps": rps,
        "p99_ms": p99,
        "rounds": results,
        "ratios": {what: ratio for what, ratio, _, _ in checks},
        "p99_ratio_fastapi": p99_ratio,
    }
    write("runtime", "\n".join(md), data)
    console.print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
