"""`flotilla services`: list and validate what discovery finds."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from flotilla.cli import app


@app.command("services")
def services_cmd(
    env: str = typer.Option("local", "--env", help="Apply this environment's overrides."),
) -> None:
    """Validate every manifest and list the services."""
    from flotilla.discovery import discover
    from flotilla.manifest import check_environment
    from flotilla.project import load_project

    check_environment(env)
    project = load_project()
    table = Table("service", "framework", "path", "port", "version", "cpu/mem", "count")
    for svc in discover(project.services_dir):
        m = svc.manifest.for_env(env)
        table.add_row(
            m.name,
            m.framework,
            m.path,
            str(m.port),
            m.version,
            f"{m.cpu}/{m.memory}",
            f"{m.count} ({m.min}..{m.max})",
        )
    Console().print(table)
