"""schemathesis, an independent OpenAPI tester, against each example plugin service under each
framework, served by `flotilla serve` (a real process, not an in-process app).

All default checks run (negative-data rejection and unsupported methods included), with at
least 100 examples per operation and a fixed seed; the run must report 0 failures. The
stateful phase is left out to keep the suite's time bounded (it replays the same operations).
catalog is a native Django app: it has no document to test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from flotilla.runtime.testing import serve_process

REPO = Path(__file__).resolve().parents[2]
SERVICES = {"orders": "/orders", "users": "/users"}
FRAMEWORKS = ("fastapi", "flask", "django")
SEED = "20261202"


Run = subprocess.CompletedProcess[str]


def _schemathesis(base: str, service: str, report: Path) -> Run:
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{base}{SERVICES[service]}/openapi.json",
            "--max-examples", "100",
            "--seed", SEED,
            "--phases", "examples,coverage,fuzzing",
            "--generation-database", "none",
            "--no-color",
            "--report-dir", str(report),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=report,  # schemathesis leaves a .schemathesis folder where it runs
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Run]:
    """One server per (service, framework), started one after the other; the runs go three at
    a time, so the suite waits for about a third of their sum."""
    pairs = [(s, f) for s in sorted(SERVICES) for f in FRAMEWORKS]
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=3) as pool:
        bases = {
            (s, f): stack.enter_context(serve_process(REPO / "services" / s, "--framework", f))[0]
            for s, f in pairs
        }
        futures = {
            pair: pool.submit(_schemathesis, bases[pair], pair[0], tmp_path_factory.mktemp("st"))
            for pair in pairs
        }
        return {pair: future.result() for pair, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_schemathesis_finds_nothing(
    service: str, framework: str, runs: dict[tuple[str, str], Run]
) -> None:
    run = runs[(service, framework)]
    tail = run.stdout[-3000:]
    assert run.returncode == 0, tail
    counts = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert counts is not None, tail
    assert counts[1] == counts[2] and int(counts[1]) >= 100, tail
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert tested is not None and int(tested[1]) >= 3, tail
