"""SIGINT and SIGTERM during a command: unwind through every `finally` and exit 130.

`handled()` turns both signals into `Interrupted`, a BaseException, so no `except Exception`
swallows it and every lock is released on the way out. A child that must finish cleanly
(terraform releasing its state lock) is stopped with `stop_child`: one SIGINT, the way
terraform expects, then wait; further signals meanwhile only say that it is waiting.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

EXIT_CODE = 130
SIGNALS = (signal.SIGINT, signal.SIGTERM)
CHILD_GRACE = 600.0  # seconds a child gets to stop after its SIGINT before it is killed


class Interrupted(BaseException):
    """A signal asked this command to stop."""

    exit_code = EXIT_CODE

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


_pending: list[int] = []  # signals received; a raise can be lost (below)


def _raise(signum: int, _frame: FrameType | None) -> None:
    _pending.append(signum)
    raise Interrupted(signum)


def checkpoint() -> None:
    """Raise `Interrupted` if a signal came and its exception was lost.

    Python runs a signal handler wherever the main thread is, a weakref finalizer or `__del__`
    included, and an exception raised there is printed and ignored. Steps call this between
    their parts so that such a signal still stops the command."""
    if _pending:
        raise Interrupted(_pending[-1])


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Within the block SIGINT and SIGTERM raise `Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _pending.clear()
    saved = {s: signal.signal(s, _raise) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def interruptible(command: Callable[P, R]) -> Callable[P, R]:
    """A CLI command that runs within `handled()` (the CLI turns Interrupted into exit 130)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with handled():
            return command(*args, **kwargs)

    return run


@contextlib.contextmanager
def deferred(message: str) -> Iterator[None]:
    """Within the block a signal only prints `message` (to stderr, once per signal)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def say(_signum: int, _frame: FrameType | None) -> None:
        print(message, file=sys.stderr, flush=True)

    saved = {s: signal.signal(s, say) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def stop_child(proc: subprocess.Popen[str], name: str, grace: float = CHILD_GRACE) -> None:
    """Send `proc` one SIGINT and wait for it (up to `grace` seconds, then SIGKILL)."""
    if proc.poll() is not None:
        return
    print(f"interrupted: waiting for {name} to stop cleanly", file=sys.stderr, flush=True)
    with deferred(f"still waiting for {name} to stop (it is releasing its locks)"):
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop within {grace:.0f}s; killing it", file=sys.stderr)
            proc.kill()
            proc.wait()
