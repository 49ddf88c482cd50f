"""`./flotilla` passes Flotilla's exit codes through unchanged; make, which cannot (GNU make
exits 2 for any failed recipe), names the same code as `Error N`."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# A clean make environment: an outer `make test ARGS=...` must not leak in.
INHERITED = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "ARGS")
ENV = {k: v for k, v in os.environ.items() if k not in INHERITED}


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "make"),
    [
        (["status", "--env", "nope"], ["status", "ENV=nope"]),  # bad input: 2
        (["status", "--help"], ["help"]),  # 0
    ],
)
def test_the_wrapper_and_make_report_the_cli_exit_code(args: list[str], make: list[str]) -> None:
    direct = run([str(REPO / ".venv/bin/flotilla"), *args])
    wrapped = run([str(REPO / "flotilla"), *args])
    assert wrapped.returncode == direct.returncode, wrapped.stderr
    assert wrapped.stdout == direct.stdout and wrapped.stderr == direct.stderr
    via_make = run(["make", *make])
    if direct.returncode:
        assert re.search(rf"\] Error {direct.returncode}$", via_make.stderr, re.M), via_make.stderr
        assert direct.stderr.splitlines()[0] in via_make.stderr
    else:
        assert via_make.returncode == 0, via_make.stderr
