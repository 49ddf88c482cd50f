"""The audit itself: per service, each pinned package's licence, staleness and known
vulnerabilities. Network answers are shared across services within one run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any

from flotilla.deploy.audit import licences
from flotilla.deploy.audit.pins import Pin, ServicePins
from flotilla.deploy.audit.pypi import PyPI, Unreachable, latest_release
from flotilla.deploy.audit.vulns import VulnReport, audit
from flotilla.errors import UsageError
from flotilla.project import AuditSection


@dataclass
class Row:
    package: str
    version: str
    licence: str | None = None
    licence_from: str = ""
    licence_status: str = "unknown"  # ok | disallowed | unknown | ignored
    latest: str | None = None
    latest_date: datetime | None = None
    stale: bool = False
    vulns: list[str] = field(default_factory=list)
    vuln_status: str = "unchecked"  # none | found | unchecked
    vuln_note: str = ""


@dataclass
class ServiceAudit:
    service: str
    source: str
    rows: list[Row]


@dataclass
class Result:
    services: list[ServiceAudit]
    vuln_problem: str | None
    network_problem: str | None
    failures: list[str]
    warnings: list[str]


def check_config(cfg: AuditSection) -> None:
    """Bad allow-list entries are a usage error, before any network call."""
    if bad := licences.validate_allow_list(cfg.allow):
        raise UsageError(
            f"flotilla.toml audit.allow: {', '.join(map(repr, bad))} is not an SPDX licence id",
            hint="use ids from https://spdx.org/licenses/, e.g. 'MIT', 'BSD-3-Clause'",
        )


def _installed_licence(pin: Pin) -> str | None:
    try:
        dist = metadata.distribution(pin.name)
    except metadata.PackageNotFoundError:
        return None
    if dist.version != pin.version:
        return None
    md = dist.metadata
    return licences.from_metadata(
        md["License-Expression"], md["License"], md.get_all("Classifier") or []
    )


def _info_licence(info: dict[str, Any]) -> str | None:
    return licences.from_metadata(
        info.get("license_expression"), info.get("license"), info.get("classifiers") or []
    )


def _licence(pin: Pin, pypi: PyPI | None) -> tuple[str | None, str]:
    if found := _installed_licence(pin):
        return found, "installed"
    if pypi is None:
        return None, "offline"
    try:
        if (doc := pypi.release(pin.name, pin.version)) and (found := _info_licence(doc["info"])):
            return found, "PyPI"
        if (doc := pypi.project(pin.name)) and (found := _info_licence(doc["info"])):
            return found, f"PyPI, latest {doc['info']['version']}"
    except Unreachable:
        return None, "PyPI unreachable"
    return None, "no licence metadata"


def _vuln_reports(all_pins: list[Pin], pypi: PyPI, timeout: float) -> dict[Pin, VulnReport]:
    """One pip-audit run per group of pins with distinct names (usually one run)."""
    groups: list[dict[str, Pin]] = []
    for pin in sorted(set(all_pins), key=lambda p: (p.name, p.version)):
        for group in groups:
            if pin.name not in group:
                group[pin.name] = pin
                break
        else:
            groups.append({pin.name: pin})

    def exists(name: str) -> bool | None:
        try:
            return pypi.project(name) is not None
        except Unreachable:
            return None

    out: dict[Pin, VulnReport] = {}
    for group in groups:
        report = audit(list(group.values()), exists, timeout)
        for pin in group.values():
            out[pin] = report
    return out


def run(
    cfg: AuditSection,
    targets: list[ServicePins],
    *,
    offline: bool = False,
    now: datetime | None = None,
) -> Result:
    """Audit `targets` under `cfg`, which the caller has passed through `check_config`."""
    now = now or datetime.now(UTC)
    ignored = {i.lower() for i in cfg.ignore_packages}
    pypi = None if offline else PyPI(cfg.timeout_seconds)
    all_pins = [p for t in targets for p in t.pins]
    network_problem = vuln_problem = None
    vuln_reports: dict[Pin, VulnReport] = {}
    if pypi is not None:
        pypi.prefetch([p.name for p in all_pins])
        try:
            pypi.project("pip")  # a project that always exists: is the index there at all?
        except Unreachable as exc:
            network_problem = f"PyPI's JSON API is unreachable ({exc}): staleness not checked"
        vuln_reports = _vuln_reports(all_pins, pypi, cfg.timeout_seconds)
        problems = {r.problem for r in vuln_reports.values() if r.problem}
        vuln_problem = "; ".join(sorted(problems)) or None
    else:
        network_problem = vuln_problem = "--offline: vulnerabilities and staleness not checked"

    failures: list[str] = []
    warnings: list[str] = []
    audits = []
    for target in targets:
        rows = []
        for pin in target.pins:
            row = Row(pin.name, pin.version)
            row.licence, row.licence_from = _licence(pin, pypi)
            if pin.name in ignored:
                row.licence_status = "ignored"
            elif row.licence is None:
                row.licence_status = "unknown"
                msg = f"{target.service}: {pin.name} {pin.version}: licence unknown"
                (failures if cfg.unknown_licence == "fail" else warnings).append(msg)
            elif licences.allowed(row.licence, cfg.allow):
                row.licence_status = "ok"
            else:
                row.licence_status = "disallowed"
                failures.append(
                    f"{target.service}: {pin.name} {pin.version} is licensed {row.licence}, "
                    "which is not in flotilla.toml [audit].allow"
                )
            _staleness(row, pypi, now, cfg.stale_after_days)
            if row.stale:
                warnings.append(
                    f"{target.service}: {pin.name}: latest release {row.latest} on "
                    f"{row.latest_date:%Y-%m-%d}, possibly unmaintained"
                )
            _vulns(row, pin, vuln_reports.get(pin))
            if row.vulns and cfg.fail_on_vulns:
                failures.append(
                    f"{target.service}: {pin.name} {pin.version}: {', '.join(row.vulns)}"
                )
            rows.append(row)
        audits.append(ServiceAudit(target.service, target.source, rows))
    if vuln_problem and (cfg.require_vuln_db or not offline):
        msg = f"vulnerabilities NOT checked: {vuln_problem}"
        (failures if cfg.require_vuln_db else warnings).append(msg)
    return Result(audits, vuln_problem, network_problem, failures, warnings)


def _staleness(row: Row, pypi: PyPI | None, now: datetime, days: int) -> None:
    if pypi is None:
        return
    try:
        doc = pypi.project(row.package)
    except Unreachable:
        return
    if doc and (latest := latest_release(doc)):
        row.latest, row.latest_date = latest
        row.stale = now - row.latest_date > timedelta(days=days)


def _vulns(row: Row, pin: Pin, report: VulnReport | None) -> None:
    if report is None:
        row.vuln_note = "offline"
    elif pin.name in report.vulns:
        row.vulns, row.vuln_status = report.vulns[pin.name], "found"
    elif pin.name in report.checked:
        row.vuln_status = "none"
    else:
        row.vuln_note = report.unchecked.get(pin.name, "not checked")
