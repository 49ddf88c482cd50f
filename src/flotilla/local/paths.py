"""Where ENV=local keeps its run state: `.flotilla/local/` in the root of the checkout that
started it (gitignored), and a machine-wide note of which environment holds which ports
(`<state home>/flotilla/local-ports/<port>.json`), so another checkout of the same project
finds the running environment, and a different project is told who holds the ports."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flotilla.project import Project

LABEL = "flotilla.local"  # every container the local runtime starts carries it


DEFAULT_ENV = "local"  # the local environment flotilla.toml's [local].alb_port serves


@dataclass(frozen=True)
class LocalPaths:
    """One local environment's run state. The daemon, emulator and registry are shared by
    every local environment of the checkout (`dir`); each has its own status and ALB
    (`env_dir`: `dir` itself for the default environment, `dir/envs/<env>` for others)."""

    root: Path  # the project root
    env: str = DEFAULT_ENV

    @property
    def dir(self) -> Path:
        return self.root / ".flotilla" / "local"

    @property
    def env_dir(self) -> Path:
        return self.dir if self.env == DEFAULT_ENV else self.dir / "envs" / self.env

    def of(self, env: str) -> LocalPaths:
        """Another local environment's paths, in the same checkout."""
        return LocalPaths(self.root, env)

    @property
    def pid(self) -> Path:
        return self.dir / "daemon.pid"

    @property
    def status(self) -> Path:
        return self.env_dir / "status.json"

    @property
    def log(self) -> Path:
        return self.dir / "daemon.log"

    @property
    def emulator_log(self) -> Path:
        return self.dir / "emulator.log"

    @property
    def haproxy_cfg(self) -> Path:
        return self.env_dir / "haproxy.cfg"

    @property
    def haproxy_state(self) -> Path:
        return self.env_dir / "haproxy.state"

    @property
    def haproxy_log(self) -> Path:
        return self.env_dir / "haproxy.log"

    @property
    def haproxy_sock(self) -> Path:
        return self.env_dir / "haproxy.sock"

    @property
    def haproxy_master(self) -> Path:
        return self.env_dir / "haproxy-master.sock"

    @property
    def crash_logs(self) -> Path:
        """Failed tasks' last logs, kept until the service's next deployment."""
        return self.root / "build" / self.env / "logs"

    @property
    def env_id(self) -> str:
        """Labels containers with their environment, so two project roots never mix."""
        return hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:12]


def write_json(path: Path, data: Any) -> None:
    """Write atomically: readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def ports_dir() -> Path:
    """Machine-wide: `$XDG_STATE_HOME/flotilla/local-ports` (default ~/.local/state)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "flotilla" / "local-ports"


def _ports(project: Project) -> list[int]:
    from flotilla.local.target import local_environments

    cfg = project.config.local
    return [cfg.emulator_port, cfg.registry_port, *local_environments(project).values()]


@dataclass(frozen=True)
class PortHolder:
    """The running local environment that holds a port."""

    project: str
    root: Path


def holder(port: int) -> PortHolder | None:
    """Who holds `port`, if the environment that claimed it still runs."""
    from flotilla.process import alive

    try:
        note = read_json(ports_dir() / f"{port}.json")
        pid = int(LocalPaths(Path(note["root"])).pid.read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return PortHolder(str(note["project"]), Path(note["root"])) if alive(pid) else None


def claim(project: Project, root: Path) -> None:
    """Note that the environment started from `root` holds the project's ports."""
    for port in _ports(project):
        write_json(ports_dir() / f"{port}.json", {"project": project.name, "root": str(root)})


def unclaim(project: Project, root: Path) -> None:
    for port in _ports(project):
        path = ports_dir() / f"{port}.json"
        try:
            if read_json(path).get("root") == str(root):
                path.unlink()
        except (OSError, ValueError, AttributeError):
            continue


def local_paths(project: Project, env: str = DEFAULT_ENV) -> LocalPaths:
    """The run state of `project`'s local environment `env`: this checkout's, or, when another
    checkout of the same project runs it on these ports, that one's."""
    own = LocalPaths(project.root, env)
    if own.pid.exists():
        return own
    found = holder(project.config.local.emulator_port)
    if found and found.project == project.name and found.root != project.root:
        return LocalPaths(found.root, env)
    return own
