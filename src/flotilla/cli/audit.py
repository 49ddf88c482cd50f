"""`flotilla audit`: licences, known vulnerabilities and stale packages per service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from flotilla.cli import app


@app.command("audit")
def audit_cmd(
    services: Annotated[
        list[str] | None, typer.Argument(help="Only these services (default: all).")
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="No network: licences only.")] = False,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the JSON report here ('-': stdout, tables to stderr)."),
    ] = None,
) -> None:
    """Check every service's dependencies: a disallowed licence or a known vulnerability
    fails; stale packages and an unreachable vulnerability database are reported."""
    from flotilla.deploy.audit import report, run, service_pins
    from flotilla.deploy.audit.check import check_config
    from flotilla.discovery import discover
    from flotilla.errors import FlotillaError, UsageError
    from flotilla.project import load_project

    project = load_project()
    cfg = project.config.audit
    check_config(cfg)
    found = discover(project.services_dir)
    names = [s.name for s in found]
    if unknown := [s for s in services or [] if s not in names]:
        raise UsageError(
            f"unknown service {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(names) or '(none in services/)'}"
        )
    chosen = [s for s in found if not services or s.name in services]
    to_stdout = json_out == Path("-")
    console = Console(stderr=to_stdout)
    with console.status("reading pins…"):
        targets = [service_pins(s.name, s.root, s.manifest.framework) for s in chosen]
    with console.status("asking PyPI and pip-audit…"):
        result = run(cfg, targets, offline=offline)
    report.render(result, console)
    if to_stdout:
        print(json.dumps(report.as_dict(result), indent=2))
    else:
        report.to_json(result, json_out or project.build_dir / "audit.json")
    if result.failures:
        raise FlotillaError(f"audit failed: {len(result.failures)} problem(s), listed above")
