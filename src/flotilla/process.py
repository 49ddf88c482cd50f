"""Child processes (moto and haproxy for ENV=local, servers in tests): ports for them; stop them
politely, then for sure. Outside runtime/ and deploy/ so that both sides may use it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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


def alive(pid: int) -> bool:
    """Whether process `pid` still runs; an exited process (a zombie) does not."""
    try:  # our own child: reap it, or it lingers as a zombie that kill(0) still sees
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # another process's exited child: a zombie until its parent reaps it
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """`stop` for a process known by its pid only: SIGTERM, wait up to `timeout`, then SIGKILL.

    Already gone is fine.
    """
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive(pid):
            if time.monotonic() >= deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.1)
    except ProcessLookupError:
        pass
