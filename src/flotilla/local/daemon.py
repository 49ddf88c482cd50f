"""The ENV=local daemon (`flotilla local up` starts it): emulator, registry, runtime and ALB.

`python -m flotilla.local.daemon --root ROOT`. Each tick (1 s): read the emulator, reconcile
containers, regenerate and reload the ALB when its config changed, publish status.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

from flotilla.local import report, snapshot, tasks
from flotilla.local.alb import LocalAlb
from flotilla.local.emulator import Emulator
from flotilla.local.haproxy import render, write_if_changed
from flotilla.local.paths import LocalPaths, write_json
from flotilla.local.record import ServiceRecord, StatusRecord
from flotilla.local.registry import LocalRegistry, ecr_credentials
from flotilla.local.runtime import Runtime
from flotilla.project import load_project

log = logging.getLogger("flotilla.local")
TICK = 1.0


def _registry(paths: LocalPaths, port: int, ecr: Any) -> LocalRegistry:
    """Debian's docker-registry as ECR's stand-in, password = the emulator's ECR token."""
    _, password = ecr_credentials(ecr)
    return LocalRegistry(port=port, storage=paths.dir / "registry", password=password).start()


class Daemon:
    def __init__(self, root: Path) -> None:
        self.project = load_project(root)
        self.paths = LocalPaths(root)
        self.cfg = self.project.config.local
        self.stopping = False
        self.emulator = Emulator(
            port=self.cfg.emulator_port,
            region=self.project.config.project.region,
            log_path=self.paths.emulator_log,
        )
        self.alb = LocalAlb(self.paths)
        self.registry: LocalRegistry | None = None  # shutdown may run before start set it

    def start(self) -> None:
        self.emulator.start()
        # Clients on the emulator, handed to each part: the daemon never talks to real AWS.
        self.clients = snapshot.clients(self.emulator.url, self.emulator.region)
        self.registry = _registry(self.paths, self.cfg.registry_port, self.clients["ecr"])
        self.docker = tasks.docker_client()
        for c in tasks.ours(self.docker, self.paths.env_id):  # left by a crashed run
            c.remove(force=True)
        self.td_cache: dict[str, dict[str, Any]] = {}
        self.runtime = Runtime(
            self.docker,
            self.clients,
            self.paths.env_id,
            self.cfg.registry_port,
            self.td_cache,
            self.paths.crash_logs,
        )
        self.paths.haproxy_state.write_text("")
        self.paths.haproxy_cfg.write_text(
            render(snapshot.Snapshot(), self.paths, self.cfg.alb_port)
        )
        self.alb.start(str(self.paths.haproxy_log))
        self.publish({})

    def publish(self, services: dict[str, ServiceRecord]) -> None:
        record = StatusRecord(
            ready=True,
            updated=time.time(),
            pid=os.getpid(),
            env_id=self.paths.env_id,
            emulator=self.emulator.url,
            registry=self.registry.host if self.registry else None,
            alb=f"http://127.0.0.1:{self.cfg.alb_port}",
            children=[p.pid for p in (self.emulator.process, self.alb.process) if p],
            services=services,
        )
        write_json(self.paths.status, record.model_dump(mode="json"))

    def tick(self) -> None:
        snap = snapshot.read(self.clients, self.td_cache)
        stats = self.alb.stats()
        self.runtime.tick(snap, stats)
        if self.runtime.changed:  # (de)registrations: route by them in this same tick
            snap.target_groups.clear()
            snap.listeners.clear()
            snapshot.read_elb(self.clients["elbv2"], snap)
        if write_if_changed(self.paths.haproxy_cfg, render(snap, self.paths, self.cfg.alb_port)):
            if err := self.alb.reload():
                log.error("ALB config rejected, keeping the previous one: %s", err)
            else:
                log.info("ALB reloaded")
        if not self.alb.running:
            log.error("haproxy exited; restarting it")
            self.alb.start(str(self.paths.haproxy_log))
        self.publish(report.build(self.runtime, snap, stats))

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            self.start()
            while not self.stopping:
                began = time.monotonic()
                try:
                    self.tick()
                except Exception:  # keep serving: a bad read now is retried next tick
                    log.exception("reconcile failed")
                time.sleep(max(0.0, TICK - (time.monotonic() - began)))
        finally:
            self.shutdown()

    def _on_signal(self, *_: object) -> None:
        self.stopping = True

    def shutdown(self) -> None:
        log.info("stopping")
        runtime = getattr(self, "runtime", None)
        if runtime:
            runtime.stop_all()
        self.alb.stop()
        if self.registry:
            self.registry.stop()
        self.emulator.stop()
        self.paths.status.unlink(missing_ok=True)
        self.paths.pid.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="flotilla.local.daemon")
    parser.add_argument("--root", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    logging.getLogger("botocore").setLevel(logging.WARNING)
    Daemon(args.root.resolve()).run()


if __name__ == "__main__":
    main()
