"""The worker's thread pool for sync code: plugin `def` handlers and WSGI apps.

`loop.run_in_executor` on a plain ThreadPoolExecutor, not anyio's `to_thread`: under
concurrent load the hop costs about a quarter as much (no capacity limiter, no extra task),
and the handler still never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

THREADS = 10  # concurrent sync requests per worker (a2wsgi's default too)

P = ParamSpec("P")
T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    """Created on first use, so a forked worker never inherits its parent's threads."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="flotilla-sync")
    return _pool


async def run_sync(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`func(*args)` in the pool, with the caller's context variables (as Starlette does)."""
    context = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    if kwargs:
        return await loop.run_in_executor(pool(), lambda: context.run(func, *args, **kwargs))
    return await loop.run_in_executor(pool(), context.run, func, *args)  # type: ignore[arg-type]
