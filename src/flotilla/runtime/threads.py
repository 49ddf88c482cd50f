"""The worker's thread pool for sync code: plugin `def` handlers and WSGI apps.

Not anyio's `to_thread` nor `loop.run_in_executor`: THREADS threads take calls from one
SimpleQueue and hand each result straight to an asyncio future with `call_soon_threadsafe`.
No concurrent.futures Future (a lock and a Condition per call), no capacity limiter, no
future chaining: the hop is the queue put, one thread wake-up and one loop wake-up
(bench/results/runtime_profile.md). The handler still never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable
from contextlib import suppress
from queue import SimpleQueue
from typing import Any, ParamSpec, TypeVar

THREADS = 10  # concurrent sync requests per worker (a2wsgi's default too)

P = ParamSpec("P")
T = TypeVar("T")
Loop = asyncio.AbstractEventLoop
Job = tuple[Loop, "asyncio.Future[Any]", contextvars.Context, Callable[[], Any]]


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if not future.cancelled():  # the request was cancelled (client gone) while we ran
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class Pool:
    """THREADS daemon threads, started on first use (a forked worker starts its own)."""

    def __init__(self, size: int = THREADS) -> None:
        self.jobs: SimpleQueue[Job] = SimpleQueue()
        self.threads = [
            threading.Thread(target=self._work, name=f"flotilla-sync_{i}", daemon=True)
            for i in range(size)
        ]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        while True:
            loop, future, context, call = self.jobs.get()
            try:
                outcome = True, context.run(call)
            except BaseException as exc:  # handed to the awaiting request, as an executor does
                outcome = False, exc
            with suppress(RuntimeError):  # that loop is closed: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, future, *outcome)
            del loop, future, context, call, outcome


_pool: Pool | None = None
_lock = threading.Lock()


def _forked() -> None:
    """A forked child has none of its parent's threads: it starts a pool of its own."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forked)


def pool() -> Pool:
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = Pool()
    return _pool


async def run_sync(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`func(*args)` in the pool, with the caller's context variables (as Starlette does)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    job = (loop, future, contextvars.copy_context(), lambda: func(*args, **kwargs))
    (_pool or pool()).jobs.put(job)
    return await future
