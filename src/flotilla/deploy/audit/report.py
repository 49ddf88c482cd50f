"""One rich table per service, a summary, and a JSON copy for CI artifacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from flotilla.deploy.audit.check import Result, Row
from flotilla.tables import fitted

_LICENCE_STYLE = {"ok": "green", "disallowed": "bold red", "unknown": "yellow", "ignored": "dim"}


def _vuln_cell(row: Row, shared_note: str | None) -> str:
    if row.vuln_status == "found":
        return "[bold red]" + "\n".join(row.vulns) + "[/]"
    if row.vuln_status == "none":
        return "[green]none known[/]"
    if row.vuln_note and row.vuln_note not in (shared_note or ""):  # else said in the panel
        return f"[yellow]unchecked[/] [dim]({escape(row.vuln_note)})[/]"
    return "[yellow]unchecked[/]"


def _latest_cell(row: Row) -> str:
    if row.latest_date is None:
        return "[dim]?[/]"
    text = f"{row.latest} ({row.latest_date:%Y-%m-%d})"
    return f"[yellow]{text} possibly unmaintained[/]" if row.stale else text


def render(result: Result, console: Console) -> None:
    headers = ("package", "version", "licence", "latest release", "vulnerabilities")
    shared = result.vuln_problem
    for svc in result.services:
        rows = []
        for row in svc.rows:
            style = _LICENCE_STYLE[row.licence_status]
            lic = f"[{style}]{row.licence or 'unknown'}[/]"
            if row.licence_status == "disallowed":
                lic += " [bold red]NOT ALLOWED[/]"
            if row.licence_from and row.licence_from != "installed":
                lic += f" [dim]({escape(row.licence_from)})[/]"
            rows.append([row.package, row.version, lic, _latest_cell(row), _vuln_cell(row, shared)])
        if not svc.rows:
            rows.append(["[dim](no dependencies)[/]", "", "", "", ""])
        # Narrow terminals lose the latest-release column first (stale ones are warned below).
        table = fitted(
            headers,
            rows,
            console.width,
            droppable=("latest release",),
            wrappable=("licence", "vulnerabilities"),
            title=f"[bold]{svc.service}[/]  [dim]{svc.source}[/]",
            title_justify="left",
            expand=False,
        )
        console.print(table)
    if result.vuln_problem:
        console.print(
            Panel(
                f"[bold]Vulnerabilities were NOT checked[/]: {escape(result.vuln_problem)}.\n"
                "Run `make audit` where pypi.org's JSON API or api.osv.dev is reachable, "
                "or set \\[audit].require_vuln_db = true to fail instead of warn.",
                title="vulnerability database",
                border_style="yellow",
            )
        )
    if result.network_problem and result.network_problem != result.vuln_problem:
        console.print(f"[yellow]warning:[/] {result.network_problem}")
    for w in result.warnings:
        if not w.startswith("vulnerabilities NOT checked"):
            console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)
    for f in result.failures:
        console.print(f"[bold red]fail:[/] {escape(f)}", highlight=False)
    packages = sum(len(s.rows) for s in result.services)
    # "passed" only when the vulnerabilities were checked too.
    if result.failures:
        verdict = "[bold red]FAILED[/]"
    elif result.vuln_problem:
        verdict = "[bold green]licences passed[/]; [bold yellow]vulnerabilities NOT checked[/]"
    else:
        verdict = "[bold green]passed[/]"
    console.print(
        f"audit {verdict}: {len(result.services)} services, {packages} packages, "
        f"{len(result.failures)} failures, {len(result.warnings)} warnings"
    )


def to_json(result: Result, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(as_dict(result), indent=2) + "\n")


def as_dict(result: Result) -> dict[str, Any]:
    return {
        "failures": result.failures,
        "warnings": result.warnings,
        "vuln_problem": result.vuln_problem,
        "services": {
            s.service: {
                "source": s.source,
                "packages": [
                    {
                        "name": r.package,
                        "version": r.version,
                        "licence": r.licence,
                        "licence_status": r.licence_status,
                        "licence_from": r.licence_from,
                        "latest": r.latest,
                        "latest_date": r.latest_date.isoformat() if r.latest_date else None,
                        "stale": r.stale,
                        "vulns": r.vulns,
                        "vuln_status": r.vuln_status,
                    }
                    for r in s.rows
                ],
            }
            for s in result.services
        },
    }
