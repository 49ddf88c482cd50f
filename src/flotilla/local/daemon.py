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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flotilla.deploy.preflight.names import alb_name
from flotilla.local import report, snapshot, tasks
from flotilla.local.alb import LocalAlb, ServerStat
from flotilla.local.emulator import Emulator
from flotilla.local.haproxy import render, write_if_changed
from flotilla.local.paths import DEFAULT_ENV, LocalPaths, write_json
from flotilla.local.record import ServiceRecord, StatusRecord
from flotilla.local.registry import LocalRegistry, ecr_credentials
from flotilla.local.runtime import Runtime
from flotilla.local.target import local_environments
from flotilla.project import load_project

log = logging.getLogger("flotilla.local")
TICK = 1.0


def _registry(paths: LocalPaths, port: int, ecr: Any) -> LocalRegistry:
    """Debian's docker-registry as ECR's stand-in, password = the emulator's ECR token."""
    _, password = ecr_credentials(ecr)
    return LocalRegistry(port=port, storage=paths.dir / "registry", password=password).start()


@dataclass
class Lane:
    """One local environment in the daemon: its part of the emulator, its runtime, its ALB."""

    paths: LocalPaths
    port: int
    scope: snapshot.Scope
    runtime: Runtime
    alb: LocalAlb
    stats: dict[tuple[str, str], ServerStat] = field(default_factory=dict)

    def start(self) -> None:
        self.paths.env_dir.mkdir(parents=True, exist_ok=True)
        self.paths.haproxy_state.write_text("")
        self.paths.haproxy_cfg.write_text(render(snapshot.Snapshot(), self.paths, self.port))
        self.alb.start(str(self.paths.haproxy_log))

    def route(self, snap: snapshot.Snapshot) -> None:
        """Regenerate the ALB's config from `snap` and reload it when it changed."""
        if write_if_changed(self.paths.haproxy_cfg, render(snap, self.paths, self.port)):
            if err := self.alb.reload():
                log.error("%s: ALB config rejected, keeping the previous one: %s", self.name, err)
            else:
                log.info("%s: ALB reloaded", self.name)
        if not self.alb.running:
            log.error("%s: haproxy exited; restarting it", self.name)
            self.alb.start(str(self.paths.haproxy_log))

    @property
    def name(self) -> str:
        return self.paths.env

    def stop(self) -> None:
        self.runtime.stop_all()
        self.alb.stop()
        self.paths.status.unlink(missing_ok=True)


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
        self.registry: LocalRegistry | None = None  # shutdown may run before start set it
        self.lanes: dict[str, Lane] = {}
        self.td_cache: dict[str, dict[str, Any]] = {}
        self.envs_seen: object = None

    def start(self) -> None:
        self.emulator.start()
        # Clients on the emulator, handed to each part: the daemon never talks to real AWS.
        self.clients = snapshot.clients(self.emulator.url, self.emulator.region)
        self.registry = _registry(self.paths, self.cfg.registry_port, self.clients["ecr"])
        self.docker = tasks.docker_client()
        for c in tasks.ours(self.docker, self.paths.env_id):  # left by a crashed run
            c.remove(force=True)
        self.refresh()
        for lane in self.lanes.values():
            self.publish(lane, {})

    def _lane(self, env: str, port: int, scope: snapshot.Scope) -> Lane:
        paths = self.paths.of(env)
        runtime = Runtime(
            self.docker,
            self.clients,
            self.paths.env_id,
            self.cfg.registry_port,
            self.td_cache,
            paths.crash_logs,
        )
        return Lane(paths, port, scope, runtime, LocalAlb(paths))

    def refresh(self) -> None:
        """Run one lane per local environment file (the default one always); files added,
        changed or removed while running are picked up here, each tick."""
        wanted = local_environments(self.project)
        if wanted == self.envs_seen:
            return
        self.envs_seen = wanted
        claims = {env: alb_name(self.project.name, env) for env in wanted if env != DEFAULT_ENV}
        for env in [e for e in self.lanes if e not in wanted]:
            log.info("%s: no longer a local environment; stopping its tasks and ALB", env)
            self.lanes.pop(env).stop()
        default = snapshot.Scope(
            others=frozenset(claims.values()),
            reserved=alb_name(self.project.name, ""),
            own=alb_name(self.project.name, DEFAULT_ENV),
        )
        for env, port in wanted.items():
            scope = snapshot.Scope(frozenset([claims[env]])) if env in claims else default
            lane = self.lanes.get(env)
            if lane is not None and lane.port != port:
                log.info("%s: ALB port %d -> %d", env, lane.port, port)
                self.lanes.pop(env).stop()
                lane = None
            if lane is None:
                lane = self.lanes[env] = self._lane(env, port, scope)
                lane.start()
                log.info("%s: ALB on 127.0.0.1:%d", env, port)
            lane.scope = scope

    def publish(self, lane: Lane, services: dict[str, ServiceRecord]) -> None:
        record = StatusRecord(
            ready=True,
            updated=time.time(),
            pid=os.getpid(),
            env_id=self.paths.env_id,
            emulator=self.emulator.url,
            registry=self.registry.host if self.registry else None,
            alb=f"http://127.0.0.1:{lane.port}",
            children=[p.pid for p in (self.emulator.process, lane.alb.process) if p],
            services=services,
        )
        write_json(lane.paths.status, record.model_dump(mode="json"))

    def tick(self) -> None:
        try:
            self.refresh()
        except Exception:  # an environment file being edited: keep the lanes running
            log.exception("reading the environment files failed; keeping the running ones")
        snap = snapshot.read(self.clients, self.td_cache)
        changed = False
        for lane in self.lanes.values():
            lane.stats = lane.alb.stats()
            lane.runtime.tick(lane.scope.of(snap), lane.stats)
            changed |= lane.runtime.changed
        if changed:  # (de)registrations: route by them in this same tick
            snap.target_groups.clear()
            snap.listeners.clear()
            snapshot.read_elb(self.clients["elbv2"], snap)
        for lane in self.lanes.values():
            part = lane.scope.of(snap)
            lane.route(part)
            self.publish(lane, report.build(lane.runtime, part, lane.stats))

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
        for lane in self.lanes.values():
            lane.stop()
        if self.registry:
            self.registry.stop()
        self.emulator.stop()
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
