"""Where ENV=local keeps its run state: `.flotilla/local/` in the project root (gitignored)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LABEL = "flotilla.local"  # every container the local runtime starts carries it


@dataclass(frozen=True)
class LocalPaths:
    root: Path  # the project root

    @property
    def dir(self) -> Path:
        return self.root / ".flotilla" / "local"

    @property
    def pid(self) -> Path:
        return self.dir / "daemon.pid"

    @property
    def status(self) -> Path:
        return self.dir / "status.json"

    @property
    def log(self) -> Path:
        return self.dir / "daemon.log"

    @property
    def emulator_log(self) -> Path:
        return self.dir / "emulator.log"

    @property
    def haproxy_cfg(self) -> Path:
        return self.dir / "haproxy.cfg"

    @property
    def haproxy_state(self) -> Path:
        return self.dir / "haproxy.state"

    @property
    def haproxy_log(self) -> Path:
        return self.dir / "haproxy.log"

    @property
    def haproxy_sock(self) -> Path:
        return self.dir / "haproxy.sock"

    @property
    def haproxy_master(self) -> Path:
        return self.dir / "haproxy-master.sock"

    @property
    def crash_logs(self) -> Path:
        """Failed tasks' last logs, kept until the service's next deployment."""
        return self.root / "build" / "local" / "logs"

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
