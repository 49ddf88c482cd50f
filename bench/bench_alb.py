"""The local ALB hop against going direct to a task, side by side in one run (wrk, bounded).

Target: through the ALB >= 0.8x the direct throughput and <= +1 ms p50. Both go to the same
task (the orders example image when built, else the test echo image) over the same network
path haproxy uses (the task's bridge IP), so the difference is the proxy hop.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from typing import Any

from bench.machine import write
from bench.wrk import wrk as run_wrk

ROUNDS = 3
SECONDS = 6
CONNECTIONS = 16


def wrk(url: str) -> tuple[float, float]:
    """(requests/s, p50 ms) of one bounded wrk run."""
    return run_wrk(url, percentile=50, seconds=SECONDS, connections=CONNECTIONS)


def _serve(local: Any) -> tuple[dict[str, Any], str, str]:
    """(status, image, path): the real runtime (orders example) when its image serves, else
    the test echo image."""
    from tests.fixtures.local_env import build_echo_image

    candidates = [("flotilla/orders:v1.0.0", "/orders/healthz", "orders", {})]
    candidates.append((build_echo_image(), "/echo/", "echo", {"PREFIX": "/echo"}))
    st: dict[str, Any] = {}
    for image, path, name, env in candidates:
        found = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
        if found.returncode:
            continue
        local.create(name, image, **env)
        st = local.wait(name, lambda s: s.get("rollout_state") in ("COMPLETED", "FAILED"), 180)
        if st.get("rollout_state") == "COMPLETED":
            return st, image, path
        print(f"{image} did not serve: {st.get('rollout_reason')}")
        local.delete(name)
    raise RuntimeError(f"no image served: {st}")


def deploy_time() -> dict[str, Any]:
    """Seconds from `flotilla deploy --env local` with one changed service to its new version
    answering through the ALB, and to the command's end (steady state, smoke, ledger)."""
    import sys
    import tempfile
    from pathlib import Path

    import requests
    from tests.fixtures.local_env import VERSION_ROUTE, scratch_project

    flotilla = str(Path(sys.executable).parent / "flotilla")
    with tempfile.TemporaryDirectory() as tmp, scratch_project(Path(tmp)) as p:
        first = p.deploy()
        if first.returncode:
            return {"error": (first.stdout + first.stderr)[-600:]}
        with (p.root / "services/orders/orders_service.py").open("a") as f:
            f.write(VERSION_ROUTE)
        p.commit("orders: /version")
        start = time.monotonic()
        proc = subprocess.Popen(
            [flotilla, "deploy", "--env", "local", "--yes"],
            cwd=p.root,
            env=p.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        serving = done = None
        while time.monotonic() - start < 900 and (done is None or serving is None):
            try:
                ok = requests.get(f"{p.alb}/orders/meta/version", timeout=2).status_code == 200
            except requests.RequestException:
                ok = False
            now = time.monotonic() - start
            serving = serving if serving is not None or not ok else now
            if done is None and proc.poll() is not None:
                done = now
                if proc.returncode:
                    break
            time.sleep(0.2)
        proc.wait()
        return {
            "new_version_serving_s": serving,
            "deploy_command_s": done,
            "exit_code": proc.returncode,
        }


def main() -> int:
    import tempfile
    from pathlib import Path

    from tests.fixtures.local_env import start_env

    with tempfile.TemporaryDirectory() as tmp, start_env(Path(tmp)) as local:
        st, image, path = _serve(local)
        direct = f"http://{st['targets'][0]['target']}{path}"
        via = f"{local.alb}{path}"
        wrk(direct), wrk(via)  # warm both
        rows: list[dict[str, Any]] = []
        for _ in range(ROUNDS):
            for name, url in (("direct", direct), ("alb", via)):
                rps, p50 = wrk(url)
                rows.append({"path": name, "rps": rps, "p50_ms": p50})
                time.sleep(0.5)
    med = {
        n: {k: statistics.median(r[k] for r in rows if r["path"] == n) for k in ("rps", "p50_ms")}
        for n in ("direct", "alb")
    }
    ratio = med["alb"]["rps"] / med["direct"]["rps"]
    added = med["alb"]["p50_ms"] - med["direct"]["p50_ms"]
    ok = ratio >= 0.8 and added <= 1.0
    deploy = deploy_time()
    if "error" in deploy:
        deploy_md = (
            f"Deploy time: not measured, the first deploy failed: `{deploy['error'][-200:]}`"
        )
    else:
        deploy_md = (
            f"Deploy with one changed service (orders): new version answering through the ALB "
            f"after **{deploy['new_version_serving_s']:.1f} s**; the command finished (steady "
            f"state after the 30 s deregistration delay, smoke, ledger) after "
            f"{deploy['deploy_command_s']:.1f} s (exit {deploy['exit_code']})."
        )
    md = "\n".join(
        [
            "# Local ALB hop vs direct to the task",
            "",
            f"wrk -t1 -c{CONNECTIONS} -d{SECONDS}s, {ROUNDS} alternating rounds, medians; "
            f"image `{image}`, GET `{path}`.",
            "",
            "| path | requests/s | p50 (ms) |",
            "|---|---:|---:|",
            *[f"| {n} | {med[n]['rps']:.0f} | {med[n]['p50_ms']:.2f} |" for n in ("direct", "alb")],
            "",
            f"Throughput ratio ALB/direct: **{ratio:.2f}** (target >= 0.8). "
            f"Added p50: **{added:+.2f} ms** (target <= +1 ms). {'PASS' if ok else 'FAIL'}",
            "",
            "# Time to deploy a change to ENV=local",
            "",
            deploy_md,
        ]
    )
    print(md)
    write(
        "alb",
        md,
        {
            "rounds": rows,
            "median": med,
            "ratio": ratio,
            "added_p50_ms": added,
            "pass": ok,
            "deploy": deploy,
            "image": image,
            "path": path,
        },
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
