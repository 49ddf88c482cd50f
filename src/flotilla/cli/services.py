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
    from flotilla.deploy.environments import check, defined
    from flotilla.discovery import discover
    from flotilla.errors import FlotillaError
    from flotilla.project import load_project
    from flotilla.runtime.contract import contract

    project = load_project()
    if env != "local" or defined(project):  # no environments yet: the manifests as written
        check(project, env)
    table = Table("service", "framework", "path", "port", "version", "cpu/mem", "count")
    notes = []
    for svc in discover(project.services_dir):
        try:
            found = contract(svc.manifest, svc.root)
        except (FlotillaError, ImportError) as exc:  # its code may need what is not here
            notes.append(f"{svc.name}: entry not importable here, OpenAPI unknown ({exc})")
            continue
        if found.document is None:
            notes.append(f"{svc.name}: {found.note}")
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
    console = Console()
    console.print(table)
    for note in notes:
        console.print(note)
