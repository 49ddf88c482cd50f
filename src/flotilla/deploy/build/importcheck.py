"""Run each built image once before it may be pushed, the way its task runs it: no network,
read-only root filesystem (a scratch /tmp), the task's user. It must import its entry and
answer its liveness endpoint; otherwise the cause (the traceback) is what the build reports.

Liveness, not readiness: readiness may need dependencies (a database, a secret) the check
does not have. The probe runs inside the container (`docker exec`), as there is no network.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from flotilla.errors import FlotillaError
from flotilla.manifest import Manifest

# The task definition's user (infra/terraform/modules/service: var.container_user's default).
TASK_USER = "10001:10001"
TIMEOUT = 120.0  # a loaded 2-core machine takes ~25 s to start a FastAPI service
LOG_LINES = 30
# The image's CMD with --debug, so an import error shows its traceback.
COMMAND = ["flotilla", "--debug", "serve", "/srv/service"]
PROBE = "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=2)"


def _cause(container: Any) -> str:
    """The last traceback in the container's output, whole; else its last lines."""
    try:
        raw = container.logs(stdout=True, stderr=True, tail=400)
    except Exception as exc:  # the container may be gone already
        return f"(no logs: {exc})"
    lines = bytes(raw).decode(errors="replace").rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent")]
    return "\n".join(lines[starts[-1] :] if starts else lines[-LOG_LINES:])


def check_image(client: Any, image: str, manifest: Manifest, timeout: float = TIMEOUT) -> None:
    """Raise FlotillaError with the container's last log lines unless `image` starts, imports
    its entry and answers GET <health> (liveness) within `timeout` seconds."""
    url = f"http://127.0.0.1:{manifest.port}{manifest.health_path}"
    container = client.containers.run(
        image,
        COMMAND,
        detach=True,
        network_mode="none",
        read_only=True,
        tmpfs={"/tmp": "rw,nosuid,nodev,size=64m"},
        user=TASK_USER,
        environment=dict(manifest.env),
        labels={"flotilla.import-check": manifest.name},
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            container.reload()
            if container.status in ("exited", "dead"):
                code = container.attrs.get("State", {}).get("ExitCode")
                raise FlotillaError(
                    f"import check: the container exited (exit code {code}) before answering "
                    f"GET {manifest.health_path}; nothing was pushed. Its last lines:\n"
                    + _cause(container)
                )
            try:
                probe = container.exec_run(["python3", "-c", PROBE, url], user=TASK_USER)
                if probe.exit_code == 0:
                    return
            except Exception:  # it exited between reload and exec: the next round says so
                pass
            if time.monotonic() > deadline:
                raise FlotillaError(
                    f"import check: GET {manifest.health_path} did not answer 2xx within "
                    f"{timeout:.0f}s; nothing was pushed. Its last lines:\n" + _cause(container)
                )
            time.sleep(0.3)
    finally:
        with contextlib.suppress(Exception):
            container.remove(force=True)
