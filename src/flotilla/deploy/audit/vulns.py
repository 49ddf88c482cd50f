"""Known vulnerabilities through pip-audit, with an honest answer when its database is out
of reach (pip-audit itself prints "No known vulnerabilities found" even then)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from flotilla.deploy.audit.pins import Pin

NOT_FOUND = "not found on PyPI"


@dataclass
class VulnReport:
    """`checked` holds the packages the database answered for; the rest are unchecked."""

    vulns: dict[str, list[str]] = field(default_factory=dict)  # name -> ["ID (fix: 1.2)"]
    checked: set[str] = field(default_factory=set)
    unchecked: dict[str, str] = field(default_factory=dict)  # name -> why
    problem: str | None = None  # why the database as a whole is unavailable


def parse(
    data: dict[str, Any], pins: list[Pin], exists: Callable[[str], bool | None]
) -> VulnReport:
    """Turn pip-audit's JSON into a report. `exists(name)` says whether the project is on
    PyPI (None: unknown); a "not found" for a project that exists means the per-release
    vulnerability API did not answer."""
    report = VulnReport()
    for dep in data.get("dependencies", []):
        name = canonicalize_name(dep["name"])
        if reason := dep.get("skip_reason"):
            if NOT_FOUND in reason and exists(name) is False:
                reason = "not on PyPI"
            elif NOT_FOUND in reason:
                reason = "no answer from the vulnerability API"
            report.unchecked[name] = reason
            continue
        report.checked.add(name)
        found = []
        for v in dep.get("vulns", []):
            fixes = ", ".join(v.get("fix_versions") or []) or "none"
            found.append(f"{v['id']} (fix: {fixes})")
        if found:
            report.vulns[name] = found
    for pin in pins:
        if pin.name not in report.checked and pin.name not in report.unchecked:
            report.unchecked[pin.name] = "pip-audit did not report it"
    api_down = [
        n for n, r in report.unchecked.items() if r == "no answer from the vulnerability API"
    ]
    if api_down and not report.checked:
        report.problem = (
            "PyPI's per-release JSON API (pypi.org/pypi/<name>/<version>/json) answered "
            f"for none of {len(api_down)} packages that do exist on PyPI"
        )
    return report


def audit(pins: list[Pin], exists: Callable[[str], bool | None], timeout: float) -> VulnReport:
    """Run pip-audit on exact pins (no resolution, no install): PyPI's database first, OSV
    when PyPI's gives no answer."""
    if importlib.util.find_spec("pip_audit") is None:
        return _unavailable(pins, "pip-audit is not installed (it is in flotilla[dev])")
    if not pins:
        return VulnReport()
    report = _run(pins, exists, timeout, "pypi")
    if report.problem is None:
        return report
    osv = _run(pins, exists, timeout, "osv")
    if osv.problem is None:
        return osv
    report.problem = f"{report.problem}; OSV (api.osv.dev): {osv.problem}"
    return report


def _run(
    pins: list[Pin], exists: Callable[[str], bool | None], timeout: float, service: str
) -> VulnReport:
    with tempfile.TemporaryDirectory() as tmp:
        reqs = Path(tmp) / "requirements.txt"
        reqs.write_text("".join(f"{p.name}=={p.version}\n" for p in pins))
        cmd = [
            sys.executable,
            "-m",
            "pip_audit",
            "-r",
            str(reqs),
            "--no-deps",
            "--disable-pip",
            "--vulnerability-service",
            service,
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--timeout",
            str(int(timeout)),
        ]
        budget = 30 + timeout * 3
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=budget)
        except subprocess.TimeoutExpired:
            return _unavailable(pins, f"pip-audit gave no answer within {budget:.0f} s")
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        why = lines[-1] if lines else f"exit status {proc.returncode}"
        if "NameResolutionError" in why or "Failed to resolve" in why:
            why = "host not reachable (name resolution failed)"
        elif "ConnectionError" in why or "Timeout" in why:
            why = "connection failed: " + why[-160:]
        return _unavailable(pins, why)
    return parse(data, pins, exists)


def _unavailable(pins: list[Pin], why: str) -> VulnReport:
    return VulnReport(unchecked={p.name: why for p in pins}, problem=why)
