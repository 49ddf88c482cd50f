"""Soak: N fresh ENV=local applies in a row, each against a new emulator (moto server).

    ./.venv/bin/python -m bench.soak_local_apply [--runs 10] [--server serial|stock] [--tf-log]

Each run is what a first `flotilla deploy --env local` does to infrastructure: terraform init
(state bucket in the fresh emulator), plan, apply of the repository's stack with the example
services, then a second plan that must show no changes (nothing was left that terraform does
not know about). Meanwhile a thread polls the emulator the way ENV=local's reconciler does
(ECS, ELB and EC2 describes). `--server stock` runs moto's own threaded server, `serial` the
one ENV=local uses (flotilla.local.moto_serial). Results: bench/results/soak_local_apply*.
Not part of `make test`: it takes minutes, and the point is to run it on a busy machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from flotilla.deploy.servicemap import write_service_map
from flotilla.deploy.terraform import Terraform
from flotilla.discovery import discover
from flotilla.errors import FlotillaError
from flotilla.local.emulator import Emulator
from flotilla.project import load_project

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
FAKE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/soak/{}@sha256:" + "ab" * 32


def poll(emu: Emulator, stop: threading.Event) -> int:
    """Describe calls at most 20/s until `stop`, as the local reconciler makes; the count."""
    import boto3

    kw: dict[str, Any] = {"endpoint_url": emu.url, "region_name": emu.region}
    kw |= {k.lower(): v for k, v in emu.env().items() if k.startswith("AWS_") and "KEY" in k}
    ecs, elb, ec2 = (boto3.client(n, **kw) for n in ("ecs", "elbv2", "ec2"))
    calls = [
        lambda: ecs.list_services(cluster="soak-local"),
        lambda: elb.describe_target_groups(),
        lambda: elb.describe_load_balancers(),
        lambda: ec2.describe_security_groups(),
        lambda: ec2.describe_route_tables(),
    ]
    count = 0
    while not stop.wait(0.05) and count < 100_000:
        with contextlib.suppress(Exception):  # the cluster does not exist yet, and so on
            calls[count % len(calls)]()
        count += 1
    return count


def one_run(work: Path, n: int, tf_log: bool, serial: bool) -> dict[str, Any]:
    root = work / f"run{n}"
    (root / "infra").mkdir(parents=True)
    (root / "infra" / "terraform").symlink_to(REPO / "infra" / "terraform")
    (root / "flotilla.toml").write_text('[project]\nname = "soak"\n')
    project = load_project(root)
    emu = Emulator(log_path=root / "moto.log", serial=serial).start()
    stop = threading.Event()
    poller = threading.Thread(target=poll, args=(emu, stop), daemon=True)
    poller.start()
    extra = emu.env()
    if tf_log:
        extra |= {"TF_LOG": "DEBUG", "TF_LOG_PATH": str(root / "terraform.log")}
    started = time.monotonic()
    result: dict[str, Any] = {"run": n}
    try:
        tf = Terraform(project, "local", extra_env=extra)
        tf.init()
        services = discover(REPO / "services", include_installed=False)
        smap = write_service_map(
            project, "local", services, {s.name: FAKE.format(s.name) for s in services}
        )
        tfvars = tf.var_file()  # generated from environments/local.toml
        out = project.build_dir / "local" / "plan.tfplan"
        tf.plan([tfvars, smap], out)
        tf.apply(out)
        again = tf.plan([tfvars, smap], out)
        result |= {"ok": not again, "leftover_changes": again}
    except FlotillaError as exc:
        lines = [line for line in str(exc).splitlines() if line.strip()]
        result |= {"ok": False, "error": " | ".join(lines[:6])[:600]}
    finally:
        stop.set()
        poller.join()
        emu.stop()
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tf-log", action="store_true", help="keep TF_LOG=DEBUG per run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folders")
    parser.add_argument("--server", choices=("serial", "stock"), default="serial")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="soak-local-apply-"))
    runs = []
    for n in range(1, args.runs + 1):
        r = one_run(work, n, args.tf_log, args.server == "serial")
        runs.append(r)
        print(json.dumps(r), flush=True)
    ok = sum(1 for r in runs if r["ok"])
    summary = {
        "server": args.server,
        "runs": len(runs),
        "succeeded": ok,
        "failed": len(runs) - ok,
        "seconds": [r["seconds"] for r in runs],
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "details": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"soak_local_apply_{args.server}"
    (RESULTS / f"{name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    rows = "\n".join(
        f"| {r['run']} | {'ok' if r['ok'] else 'FAILED'} | {r['seconds']} | "
        f"{r.get('error', 'plan after apply: no changes' if r['ok'] else 'changes left')} |"
        for r in runs
    )
    (RESULTS / f"{name}.md").write_text(
        f"# Fresh ENV=local applies, {args.server} emulator ({summary['when']})\n\n"
        f"{ok}/{len(runs)} fresh applies succeeded (each: new emulator, init, plan, apply, "
        "re-plan with no changes; a reconciler-like poller meanwhile), on a shared 2-core "
        "machine.\n\n"
        "| run | result | seconds | note |\n|---|---|---|---|\n" + rows + "\n"
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"kept {work}")
    return 0 if ok == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
