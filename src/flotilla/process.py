"""Child processes (moto and haproxy for ENV=local, servers in tests): stop them politely, then
for sure. Outside runtime/ and deploy/ so that both sides may use it."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """SIGTERM, wait up to `timeout`, then SIGKILL; nothing to do if it already exited."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
