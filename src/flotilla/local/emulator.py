"""The AWS API emulator (moto in server mode) for tests and ENV=local.

Moto keeps its state in memory: a restart resets it. ENV=local therefore treats the
emulator's lifetime as the environment's lifetime (`flotilla local down` ends both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from flotilla.errors import FlotillaError
from flotilla.process import free_port
from flotilla.process import stop as stop_process

# Credentials the emulator accepts; never real ones.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
            return True
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Emulator:
    """A moto server on 127.0.0.1. `env()` is what boto3 and terraform need to use it."""

    port: int = field(default_factory=free_port)
    region: str = "us-east-1"
    log_path: Path | None = None
    # One request at a time (flotilla.local.moto_serial); False: moto's stock server, whose
    # concurrent requests race (bench/soak_local_apply.py compares the two).
    serial: bool = True
    # More of moto's own settings, e.g. INITIAL_NO_AUTH_ACTION_COUNT (IAM enforced after N).
    settings: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def start(self, timeout: float = 30.0) -> Emulator:
        if is_up(self.url):
            return self  # already running (ENV=local started it earlier)
        env = {
            **os.environ,
            # AWS-managed IAM policies (e.g. AmazonECSTaskExecutionRolePolicy) exist only then.
            "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
            "MOTO_PORT": str(self.port),  # moto builds its own URLs from it
            **self.settings,
        }
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [*self._server(), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if is_up(self.url):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise FlotillaError(f"the AWS emulator (moto_server) did not start on {self.url}")

    def _server(self) -> list[str]:
        if self.serial:
            return [sys.executable, "-m", "flotilla.local.moto_serial"]
        # The venv's own moto first: a moto_server elsewhere on PATH may be another version.
        beside = Path(sys.executable).parent / "moto_server"
        return [str(beside) if beside.exists() else shutil.which("moto_server") or "moto_server"]

    def reset(self) -> None:
        """Forget all emulated resources (moto's own reset endpoint)."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).close()

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None
