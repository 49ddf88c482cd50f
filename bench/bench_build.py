"""Build speed and image size: flotilla build against plain `docker build`, side by side.

- no-op build of 20 services (the examples + generated copies) vs a warm-cache docker build
  of each (target: >= 10x faster);
- one changed service of 20 vs one plain docker build of it (target: <= 1.2x);
- image size vs base image + runtime deps (target: <= base + deps + 5 MB).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.fixtures.images import commit, copy_repo

from bench.machine import write
from flotilla.deploy.build import docker_client, run_build
from flotilla.deploy.build.base import OFFLINE, Target
from flotilla.deploy.build.context import build_context
from flotilla.deploy.build.source import FlotillaSource, dockerfile_path
from flotilla.deploy.build.tags import git_remote
from flotilla.deploy.build.wheelhouse import deps_wheelhouse, flotilla_wheel
from flotilla.discovery import Service, discover
from flotilla.project import Project, load_project

N = 20


def _project(root: Path) -> tuple[Project, list[Service]]:
    copy_repo(root)
    orders = root / "services" / "orders"
    i = 0
    while len(list((root / "services").glob("*/service.toml"))) < N:
        i += 1
        name = f"gen{i:02d}"
        dest = root / "services" / name
        shutil.copytree(orders, dest)
        toml = (dest / "service.toml").read_text()
        toml = toml.replace('name = "orders"', f'name = "{name}"')
        (dest / "service.toml").write_text(toml.replace('path = "/orders"', f'path = "/{name}"'))
    commit(root, "generated services")
    project = load_project(root)
    return project, discover(project.services_dir, include_installed=False)


def _docker_build(client: Any, project: Project, svc: Service, manifest: dict[str, Any]) -> float:
    """What a hand-written pipeline does: tar the same context and `docker build` it with the
    same build args (timed from the tar on: a plain `docker build` tars its context too)."""
    source = FlotillaSource(project)
    cache = project.build_dir / ".cache"
    target = Target(**json.loads(sorted(cache.glob("target-*.json"))[0].read_text()))
    deps = deps_wheelhouse(svc, target, cache)
    wheel = flotilla_wheel(source, cache)
    m = svc.manifest
    args = {
        "BASE_IMAGE": manifest["base_image"],
        "SERVICE": svc.name,
        "PORT": str(m.port),
        "HEALTH_PATH": m.health_path,
        "VERSION": m.version,
        "CONTENT_TAG": manifest["services"][svc.name]["content_tag"],
        "REVISION": manifest["git_sha"] or "unknown",
        "SOURCE": git_remote(project.root),
    }
    start = time.perf_counter()
    ctx = build_context(
        svc, dockerfile=dockerfile_path(project, source), deps=deps, flotilla_wheel=wheel
    )
    stream = client.api.build(
        fileobj=ctx,
        custom_context=True,
        tag=f"bench/{svc.name}:x",
        buildargs=args,
        network_mode="none",
        rm=True,
        decode=True,
    )
    for chunk in stream:
        if "error" in chunk:
            raise RuntimeError(chunk["error"])
    return time.perf_counter() - start


def main() -> int:
    client = docker_client()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        project, services = _project(Path(tmp) / "repo")
        run_build(project, services, plain=True, base_image=OFFLINE)  # warm every image

        t0 = time.perf_counter()
        noop = run_build(project, services, plain=True, base_image=OFFLINE)
        t_noop = time.perf_counter() - t0
        assert {e["status"] for e in noop["services"].values()} == {"unchanged"}
        t_docker_all = sum(_docker_build(client, project, s, noop) for s in services)

        changed = next(s for s in services if s.name == "gen01")
        code = changed.root / "orders_service.py"
        code.write_text(code.read_text() + f"\n# bench change {time.time_ns()}\n")
        t0 = time.perf_counter()
        one = run_build(project, services, plain=True, base_image=OFFLINE)
        t_one = time.perf_counter() - t0
        assert [n for n, e in one["services"].items() if e["status"] == "built"] == ["gen01"]
        code.write_text(code.read_text() + f"\n# bench change {time.time_ns()}\n")
        t_docker_one = _docker_build(client, project, changed, one)

        orders = one["services"]["orders"]
        base_size = int(client.images.get(OFFLINE).attrs["Size"])
        venv = client.containers.run(
            f"{orders['image']}:{orders['content_tag']}",
            ["du", "-sb", "/opt/venv"],
            remove=True,
            network_mode="none",
            entrypoint=[],
        )
        deps_size = int(venv.decode().split()[0])
        size = int(orders["size"])
        for s in services:
            if s.name.startswith("gen"):
                client.images.remove(f"bench/{s.name}:x", force=True)

    mb = 1e6
    rows = [
        (
            "no-op build, 20 services",
            f"{t_noop:.2f} s",
            f"{t_docker_all:.2f} s",
            f"{t_docker_all / t_noop:.1f}x faster",
            ">= 10x",
            t_docker_all / t_noop >= 10,
        ),
        (
            "1 changed of 20",
            f"{t_one:.2f} s",
            f"{t_docker_one:.2f} s",
            f"{t_one / t_docker_one:.2f}x",
            "<= 1.2x",
            t_one / t_docker_one <= 1.2,
        ),
        (
            "image size (orders)",
            f"{size / mb:.1f} MB",
            f"base {base_size / mb:.1f} + deps {deps_size / mb:.1f} MB",
            f"+{(size - base_size - deps_size) / mb:.1f} MB",
            "<= +5 MB",
            size <= base_size + deps_size + 5 * mb,
        ),
    ]
    md = [
        "# bench_build",
        "",
        "| case | flotilla build | docker build / reference | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    md += [
        f"| {a} | {b} | {c} | {d} | {e} | {'yes' if ok else 'NO'} |" for a, b, c, d, e, ok in rows
    ]
    md += [
        "",
        f"Base image: {OFFLINE}. Docker build = the same context and build args through "
        "the engine's API with a warm layer cache (what a hand-written pipeline does).",
    ]
    data: dict[str, object] = {
        "noop_s": t_noop,
        "docker_all_warm_s": t_docker_all,
        "one_changed_s": t_one,
        "docker_one_s": t_docker_one,
        "image_bytes": size,
        "base_bytes": base_size,
        "deps_bytes": deps_size,
        "targets_met": all(r[-1] for r in rows),
    }
    print(write("bench_build", "\n".join(md), data).read_text())
    return 0 if data["targets_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
