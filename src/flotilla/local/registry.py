"""A real image registry on loopback, ECR's stand-in: Debian's `docker-registry` with htpasswd.

The user is `AWS` and the password is what the emulator's `get_authorization_token` hands
out, so `docker login` with ECR's token works against it unchanged. Start is idempotent.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flotilla.errors import FlotillaError
from flotilla.process import stop_pid

EXECUTABLE = "/usr/bin/docker-registry"

CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  secret: flotilla-local-registry
auth:
  htpasswd:
    realm: flotilla-local
    path: {htpasswd}
"""


def ecr_credentials(ecr: Any = None) -> tuple[str, str]:
    """(user, password) from ECR's `get_authorization_token` (the emulator's, for ENV=local).

    `ecr` is a boto3 ECR client; by default the one `flotilla.deploy.aws` configures.
    """
    if ecr is None:
        from flotilla.deploy import aws

        ecr = aws.client("ecr")
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return user, password


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return None


@dataclass
class LocalRegistry:
    """`docker-registry` on 127.0.0.1:`port`, storing blobs under `storage`."""

    port: int
    storage: Path
    password: str
    user: str = "AWS"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def _pidfile(self) -> Path:
        return self.storage / "registry.pid"

    def is_up(self) -> bool:
        # /v2/ answers 401 without credentials once the registry with auth is serving.
        return _status(f"{self.url}/v2/") in (200, 401)

    def start(self, timeout: float = 20.0) -> LocalRegistry:
        if self.is_up():
            return self
        exe = shutil.which("docker-registry") or EXECUTABLE
        if not Path(exe).exists():
            raise FlotillaError(
                "docker-registry is not installed", hint="run `make setup` (Debian docker-registry)"
            )
        htpasswd_bin = shutil.which("htpasswd")
        if htpasswd_bin is None:
            raise FlotillaError(
                "htpasswd is not installed", hint="run `make setup` (apache2-utils)"
            )
        self.storage.mkdir(parents=True, exist_ok=True)
        # bcrypt (-B) is the only hash docker-registry accepts.
        entry = subprocess.run(
            [htpasswd_bin, "-Bbn", self.user, self.password],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        htpasswd = self.storage / "htpasswd"
        htpasswd.write_text(entry + "\n")
        config = self.storage / "config.yml"
        config.write_text(
            CONFIG.format(storage=self.storage / "data", port=self.port, htpasswd=htpasswd)
        )
        log = open(self.storage / "registry.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [exe, "serve", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._pidfile.write_text(str(proc.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_up():
                return self
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise FlotillaError(
            f"docker-registry did not start on {self.host}; see {self.storage / 'registry.log'}"
        )

    def stop(self) -> None:
        """Stop the registry this storage folder's pid file names; absent is fine."""
        try:
            pid = int(self._pidfile.read_text())
        except (OSError, ValueError):
            return
        stop_pid(pid, timeout=5.0)
        self._pidfile.unlink(missing_ok=True)
