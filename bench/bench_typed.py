"""Typed handlers' cost, side by side, each served by `flotilla serve` (same server, one
worker, same runtime layer), loaded with wrk on 127.0.0.1, rounds interleaved:

- typed plugin vs native FastAPI with the same pydantic models (both under FastAPI):
  targets throughput >= 1.0x, p99 <= 1.05x;
- typed vs `Request`-style plugin under FastAPI, Flask and Django: reported, and for Flask and
  Django the target is throughput >= 0.9x.

The verdict is on the ratio of the medians. Next to it: the median of the per-round ratios
(each round runs both variants seconds apart, so a neighbour's load tends to hit both) with
their range, and, for Flask and Django, callgrind's instructions per request of the plugin
path in-process (bench.instructions): deterministic, so it shows a change in cost that
req/s on a shared 2-core machine cannot resolve. Load averages are written with the results.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import textwrap
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from bench import instructions
from bench.wrk import wrk as run_wrk

ROUNDS = 11
SECONDS = 3
WARMUP_SECONDS = 1
CONNECTIONS = 16
PATH = "/items/abc?tag=x&tag=y&limit=7"

MODELS = """
from pydantic import BaseModel, Field


class Item(BaseModel):
    id: str
    tags: list[str]
    limit: int = Field(ge=1, le=100)
"""
TYPED = (
    MODELS
    + """
from flotilla import Plugin, Query

plugin = Plugin("bench")


@plugin.get("/items/{item_id}")
def item(item_id: str, tag: list[str] = Query([]), limit: int = Query(10, ge=1, le=100)) -> Item:
    return Item(id=item_id, tags=tag, limit=limit)
"""
)
REQUEST = """
from flotilla import HTTPError, Plugin, Request

plugin = Plugin("bench")


@plugin.get("/items/{item_id}")
def item(request: Request) -> dict:
    raw = request.query.get("limit", "10")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise HTTPError(422, "limit must be 1..100")
    return {"id": request.path_params["item_id"], "tags": request.query.getlist("tag"),
            "limit": int(raw)}
"""
NATIVE = (
    MODELS
    + """
from fastapi import FastAPI, Query

app = FastAPI()


@app.get("/items/{item_id}", response_model=Item)
def item(item_id: str, tag: list[str] = Query([]), limit: int = Query(10, ge=1, le=100)) -> Item:
    return Item(id=item_id, tags=tag, limit=limit)
"""
)
VARIANTS = {
    "fastapi-native": ("fastapi", NATIVE, "app"),
    "fastapi-typed": ("fastapi", TYPED, "plugin"),
    "fastapi-request": ("fastapi", REQUEST, "plugin"),
    "flask-typed": ("flask", TYPED, "plugin"),
    "flask-request": ("flask", REQUEST, "plugin"),
    "django-typed": ("django", TYPED, "plugin"),
    "django-request": ("django", REQUEST, "plugin"),
}
# (variant, baseline, minimum throughput ratio, maximum p99 ratio); None: report only.
COMPARISONS = [
    ("fastapi-typed", "fastapi-native", 1.0, 1.05),
    ("fastapi-typed", "fastapi-request", None, None),
    ("flask-typed", "flask-request", 0.9, None),
    ("django-typed", "django-request", 0.9, None),
]


def make_service(root: Path, name: str) -> Path:
    framework, code, attr = VARIANTS[name]
    folder = root / name
    folder.mkdir()
    module = f"bench_{name.replace('-', '_')}"
    (folder / f"{module}.py").write_text(textwrap.dedent(code))
    (folder / "service.toml").write_text(
        f'name = "{name}"\nframework = "{framework}"\nentry = "{module}:{attr}"\n'
        'path = "/bench"\nversion = "0.0.0"\n'
    )
    return folder


def main() -> int:
    from bench.machine import write
    from flotilla.runtime.testing import serve_process

    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    console = Console()
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="flotilla-bench-") as tmp, ExitStack() as stack:
        urls = {}
        for name in VARIANTS:
            base, _ = stack.enter_context(serve_process(make_service(Path(tmp), name)))
            urls[name] = f"{base}/bench{PATH}"
        names = list(VARIANTS)
        for name in names:  # first requests fill per-class caches; not measured
            run_wrk(urls[name], percentile=99, seconds=WARMUP_SECONDS, connections=CONNECTIONS)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("wrk", total=ROUNDS * len(names))
            for rnd in range(ROUNDS):
                # Rotate the order each round so no variant always runs on the warmer machine.
                for name in names[rnd % len(names) :] + names[: rnd % len(names)]:
                    progress.update(task, description=f"round {rnd + 1} {name}")
                    runs[name].append(
                        run_wrk(urls[name], percentile=99, seconds=SECONDS, connections=CONNECTIONS)
                    )
                    progress.advance(task)
    load_after = os.getloadavg()
    counted = [n for c in COMPARISONS for n in c[:2] if not n.startswith("fastapi")]
    instr: dict[str, float] = {}
    if instructions.available():
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("callgrind", total=len(counted))
            for name in counted:
                progress.update(task, description=f"callgrind {name}")
                instr[name] = instructions.per_request(name)
                progress.advance(task)
    med = {
        n: (statistics.median(r for r, _ in v), statistics.median(p for _, p in v))
        for n, v in runs.items()
    }
    rows, data, missed = [], {}, []
    for variant, baseline, min_rps, max_p99 in COMPARISONS:
        rps_ratio = med[variant][0] / med[baseline][0]
        p99_ratio = med[variant][1] / med[baseline][1]
        paired = sorted(a[0] / b[0] for a, b in zip(runs[variant], runs[baseline], strict=True))
        instr_ratio = instr[baseline] / instr[variant] if variant in instr else None
        ok = (min_rps is None or rps_ratio >= min_rps) and (max_p99 is None or p99_ratio <= max_p99)
        target = " / ".join(
            t for t in (
                f"req/s >= {min_rps}x" if min_rps is not None else "",
                f"p99 <= {max_p99}x" if max_p99 is not None else "",
            ) if t
        ) or "report"  # fmt: skip
        verdict = "-" if target == "report" else ("yes" if ok else "NO")
        if verdict == "NO":
            missed.append(f"{variant} vs {baseline}")
        by_instr = "- | -" if instr_ratio is None else (
            f"{instr[variant]:,.0f} / {instr[baseline]:,.0f} | **{instr_ratio:.3f}**"
        )  # fmt: skip
        rows.append(
            f"| {variant} vs {baseline} | {med[variant][0]:,.0f} / {med[baseline][0]:,.0f} | "
            f"**{rps_ratio:.3f}** | {statistics.median(paired):.3f} "
            f"({paired[0]:.3f}-{paired[-1]:.3f}) | "
            f"{med[variant][1]:.2f} / {med[baseline][1]:.2f} | **{p99_ratio:.3f}** | "
            f"{by_instr} | {target} | {verdict} |"
        )
        data[f"{variant} vs {baseline}"] = {
            "rps_ratio": rps_ratio, "paired_rps_ratios": paired, "p99_ratio": p99_ratio,
            "instructions_per_request": {n: instr[n] for n in (variant, baseline) if n in instr},
            "instruction_ratio": instr_ratio, "target": target, "met": verdict,
        }  # fmt: skip
    md = [
        "# Typed handlers: cost vs native FastAPI and vs Request-style handlers",
        "",
        f"`GET /bench{PATH}`: path + list + constrained int parameters, a pydantic model back.",
        "Every variant is served by `flotilla serve` (uvicorn, 1 worker, the same runtime layer);",
        f"wrk -t1 -c{CONNECTIONS}, {ROUNDS} rounds x {SECONDS} s after a {WARMUP_SECONDS} s "
        "warm-up,",
        "variants rotated each round; medians of the rounds. `paired`: the median (and range) of",
        "the per-round ratios. `instr/req`: callgrind's instructions per request of the plugin",
        "path in-process (bench/instructions.py), deterministic; its ratio is b / a, as req/s",
        "would be with nothing else running.",
        f"Load average (1, 5, 15 min) before: {_load(load_before)}; after: {_load(load_after)} "
        f"({os.cpu_count()} cores, shared).",
        "",
        "| comparison | req/s (a / b) | ratio | paired | p99 ms (a / b) | ratio "
        "| instr/req (a / b) | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "| variant | median req/s | median p99 ms |",
        "|---|---|---|",
        *(f"| {n} | {r:,.0f} | {p:.2f} |" for n, (r, p) in med.items()),
    ]
    if missed:
        md += ["", f"Target missed: {', '.join(missed)} (the machine is shared; see the rounds "
               "in the JSON for the spread)."]  # fmt: skip
    load = {"before": load_before, "after": load_after}
    write("typed_handlers", "\n".join(md), {"variants": runs, "comparisons": data, "load": load})
    console.print("\n".join(md))
    return 0


def _load(avg: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in avg)


if __name__ == "__main__":
    sys.exit(main())
