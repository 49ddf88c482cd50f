"""The worker's thread pool: results, errors and context variables come back to the caller."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from flotilla.runtime.threads import THREADS, pool, run_sync

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def where(suffix: str, *, sep: str = ":") -> str:
    return f"{threading.current_thread().name}{sep}{VAR.get()}{sep}{suffix}"


def test_results_context_and_keywords_come_back() -> None:
    async def main() -> list[str]:
        VAR.set("caller")
        return await asyncio.gather(*(run_sync(where, str(i), sep="|") for i in range(50)))

    got = asyncio.run(main())
    assert [g.split("|")[1:] for g in got] == [["caller", str(i)] for i in range(50)]
    assert all(g.startswith("flotilla-sync_") for g in got)
    assert len(pool().threads) == THREADS


def test_an_exception_is_raised_in_the_caller() -> None:
    def fail() -> None:
        raise KeyError("nope")

    with pytest.raises(KeyError, match="nope"):
        asyncio.run(run_sync(fail))


def test_a_cancelled_caller_leaves_the_pool_working() -> None:
    release = threading.Event()

    async def main() -> str:
        task = asyncio.ensure_future(run_sync(release.wait, 5))
        await asyncio.sleep(0)
        task.cancel()
        release.set()  # the call finishes after its caller is gone
        with pytest.raises(asyncio.CancelledError):
            await task
        return await run_sync(where, "after")

    assert asyncio.run(main()).endswith(":unset:after")


def test_a_forked_child_gets_a_pool_of_its_own() -> None:
    import subprocess
    import sys

    code = """
import asyncio, os
from flotilla.runtime.threads import run_sync
print(asyncio.run(run_sync(lambda: "parent")), flush=True)
pid = os.fork()
if pid == 0:
    print(asyncio.run(asyncio.wait_for(run_sync(lambda: "child"), 10)), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["parent", "child"]
