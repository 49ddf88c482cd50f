"""The local ALB: an haproxy master process driven by generated config.

Changes reload gracefully (SIGUSR2 to the master: the listening socket is kept, old workers
finish their requests), and health states survive reloads through haproxy's server-state file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass

from flotilla.errors import FlotillaError
from flotilla.local.paths import LocalPaths
from flotilla.process import stop as stop_process


@dataclass(frozen=True)
class ServerStat:
    backend: str
    server: str
    status: str  # UP | DOWN | DRAIN | MAINT | no check | "UP 1/3" ...
    check_status: str  # L7OK | L7STS | L4CON | L4TOUT | ...
    check_code: str
    check_desc: str

    @property
    def healthy(self) -> bool:
        return self.status.startswith("UP") or self.status == "no check"

    @property
    def reason(self) -> str:
        if self.check_status.startswith("L7STS"):
            return f"Target.ResponseCodeMismatch: health check returned HTTP {self.check_code}"
        if self.check_status.startswith(("L4TOUT", "L7TOUT")):
            return "Target.Timeout: health check timed out"
        if self.check_status.startswith("L4CON"):
            return "Target.FailedHealthChecks: connection refused"
        return f"Target.FailedHealthChecks: {self.check_status} {self.check_desc}".strip()


def haproxy_binary() -> str:
    exe = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.path.exists(p)), None
    )
    if not exe:
        raise FlotillaError("haproxy is not installed", hint="run `make setup` (Debian haproxy)")
    return exe


class LocalAlb:
    def __init__(self, paths: LocalPaths) -> None:
        self.paths = paths
        self.process: subprocess.Popen[bytes] | None = None
        self.exe = haproxy_binary()

    def check(self) -> str | None:
        """None when the config is valid, else haproxy's complaint."""
        r = subprocess.run(
            [self.exe, "-c", "-q", "-f", str(self.paths.haproxy_cfg)],
            capture_output=True,
            text=True,
            check=False,
        )
        return None if r.returncode == 0 else (r.stderr or r.stdout).strip()

    def start(self, log_path: str) -> None:
        if err := self.check():
            raise FlotillaError(f"generated haproxy config is invalid: {err}")
        log = open(log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [
                self.exe,
                "-W",
                "-S",
                str(self.paths.haproxy_master),
                "-f",
                str(self.paths.haproxy_cfg),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise FlotillaError(f"haproxy exited at start; see {log_path}")
            try:
                self.command("show info")
                return
            except OSError:
                time.sleep(0.1)
        raise FlotillaError(f"haproxy did not open its stats socket; see {log_path}")

    def command(self, cmd: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.paths.haproxy_sock))
            s.sendall(cmd.encode() + b"\n")
            chunks = []
            while data := s.recv(65536):
                chunks.append(data)
        return b"".join(chunks).decode()

    def reload(self) -> str | None:
        """Apply the config on disk; keeps the running one when the new one is invalid."""
        if err := self.check():
            return err
        with contextlib.suppress(OSError):
            self.paths.haproxy_state.write_text(self.command("show servers state"))
        before = self._worker()
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR2)
        # Routing changes only count once the new worker serves them (status reads this).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._worker() in (before, None):
            time.sleep(0.05)
        return None

    def _worker(self) -> str | None:
        """The pid of the worker that answers the stats socket."""
        try:
            for line in self.command("show info").splitlines():
                if line.startswith("Pid:"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            return None
        return None

    def stats(self) -> dict[tuple[str, str], ServerStat]:
        try:
            text = self.command("show stat")
        except OSError:
            return {}
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        out: dict[tuple[str, str], ServerStat] = {}
        for r in rows:
            if r.get("svname") in ("FRONTEND", "BACKEND", None):
                continue
            out[(r["pxname"], r["svname"])] = ServerStat(
                r["pxname"],
                r["svname"],
                r.get("status", ""),
                r.get("check_status", ""),
                r.get("check_code", ""),
                r.get("check_desc", ""),
            )
        return out

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None
