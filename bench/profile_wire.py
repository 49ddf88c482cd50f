"""Where the event-loop thread's time goes over the wire: py-spy samples each server (one
worker, `flotilla serve`) while wrk -t1 -c16 loads it, for the FastAPI plugin as the previous
session left it (PREVIOUS, from a `git archive`) and now, with a sync `def` handler (thread
pool), with `blocking=False` and with `async def`.

Each row is a function's inclusive share of the event-loop thread's samples, and that share as
µs per request (sampled seconds x share / requests served meanwhile). py-spy slows the server
(it stops the process to sample), so compare rows, not absolute rates. py-spy is not a project
dependency: `pip install py-spy` into the venv first. Writes runtime_wire_profile.md.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECONDS = 5
RATE = 200  # samples per second: py-spy at 1000 cut the served rate to a third
TOP = 28
LOOP_THREAD = "MainThread"
LOOP_RUN = "Runner.run (runners.py)"  # the frames below it are the requests' work


Counts = collections.Counter[str]


def key(frame: str) -> str:
    name, _, where = frame.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 2)[-1]})" if where else name


def fold(raw: Path) -> tuple[Counts, Counts, Counts, int]:
    """Loop-thread samples per function below the event loop's run (inclusive, and as the
    leaf), samples per thread, and the loop thread's total."""
    inclusive: Counts = collections.Counter()
    leaf: Counts = collections.Counter()
    threads: Counts = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        n = int(count)
        thread = frames[0].split(": ", 1)[-1]
        threads["pool thread" if thread.startswith("flotilla-sync") else thread] += n
        if thread != LOOP_THREAD:
            continue
        total += n
        names = [key(f) for f in frames[1:]]
        below = names[names.index(LOOP_RUN) + 1 :] if LOOP_RUN in names else []
        leaf[below[-1] if below else "the event loop itself (uvloop: poll, socket I/O)"] += n
        for name in set(below):
            inclusive[name] += n
    return inclusive, leaf, threads, total


def profile(argv: list[str], env: dict[str, str], out: Path, spy: str) -> tuple[str, float]:
    from bench.bench_plugin import CONNECTIONS, PATH
    from bench.bench_runtime import wait_up
    from flotilla.process import free_port, stop

    port = free_port()
    proc = subprocess.Popen(
        [*argv, "--port", str(port), "--host", "127.0.0.1"],
        env={**os.environ, "FLOTILLA_INTERNAL_PORT": str(free_port()), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/bench{PATH}"
        wait_up(url)
        load = subprocess.Popen(
            ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS + 2}s", url],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(1)
        record = ["record", "-p", str(proc.pid), "-d", str(SECONDS), "-r", str(RATE)]
        subprocess.run(
            [spy, *record, "--threads", "-f", "raw", "-o", str(out)],
            capture_output=True,
            check=True,
            timeout=SECONDS + 60,
        )
        text, _ = load.communicate(timeout=SECONDS + 30)
    finally:
        stop(proc, timeout=15)
    rps = float(text.split("Requests/sec:")[1].split()[0])
    return text, rps


def main() -> int:
    from bench.bench_plugin import PLUGIN
    from bench.bench_runtime import NON_BLOCKING, PREVIOUS, baseline_src, serve, service
    from bench.machine import write

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy not found: pip install py-spy", file=sys.stderr)
        return 1
    sections, data = [], {}
    with tempfile.TemporaryDirectory(prefix="flotilla-wire-") as tmp:
        root = Path(tmp)
        prev = {"PYTHONPATH": str(baseline_src(root, PREVIOUS))}
        sync = service(root, "bench-sync", "fastapi", PLUGIN)
        inline = PLUGIN.replace('@plugin.get("/items/{item_id}")', NON_BLOCKING)
        async_ = PLUGIN.replace("def item", "async def item")
        runs = {
            "previous fastapi, def": (serve(sync), prev),
            "now fastapi, def": (serve(sync), {}),
            "now fastapi, def blocking=False": (
                serve(service(root, "bench-inline", "fastapi", inline)),
                {},
            ),
            "now fastapi, async def": (serve(service(root, "bench-async", "fastapi", async_)), {}),
        }
        for name, (argv, env) in runs.items():
            raw = root / "profile.raw"
            _, rps = profile(argv, env, raw, spy)
            inclusive, leaf, threads, total = fold(raw)
            us = 1e6 / RATE / (rps * SECONDS)  # one sample's µs, per request served
            rows = [
                f"| {key} | {100 * n / max(total, 1):.1f} % | {n * us:.1f} |"
                for key, n in inclusive.most_common(TOP)
            ]
            leaves = [
                f"| {key} | {100 * n / max(total, 1):.1f} % | {n * us:.1f} |"
                for key, n in leaf.most_common(12)
            ]
            all_threads = sum(threads.values()) or 1
            split = ", ".join(
                f"{t} {100 * n / all_threads:.0f} %" for t, n in threads.most_common(4)
            )
            sections += [
                f"## {name}: {rps:,.0f} req/s while sampled",
                "",
                f"Samples by thread: {split}.",
                "",
                f"Event-loop thread: {total * us:.1f} µs per request in all.",
                "",
                "| function (event-loop thread, inclusive) | share | µs/request |",
                "|---|---|---|",
                *rows,
                "",
                "| where the samples were (leaf frame) | share | µs/request |",
                "|---|---|---|",
                *leaves,
                "",
            ]
            data[name] = {"rps": rps, "loop_samples": total, "threads": dict(threads)}
    md = [
        "# Where the event-loop thread's time goes, over the wire",
        "",
        f"py-spy {RATE} Hz for {SECONDS} s on one `flotilla serve` worker under wrk -t1 -c16,",
        f"`GET /bench/items/abc?tag=x&tag=y`; previous = {PREVIOUS}. py-spy stops the process",
        "to sample, so rates here are lower than in runtime.md: compare shares and rows.",
        "",
        *sections,
    ]
    write("runtime_wire_profile", "\n".join(md), data)
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
