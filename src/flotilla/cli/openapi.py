"""`flotilla openapi [SERVICE] [--out DIR]`: write each service's OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from flotilla.cli import app


@app.command("openapi")
def openapi_cmd(
    service: str | None = typer.Argument(None, help="One service (default: all)."),
    out: Path = typer.Option(Path("build/openapi"), "--out", help="Where <service>.json goes."),  # noqa: B008
) -> None:
    """Write <out>/<service>.json for every service that has a document."""
    from flotilla.discovery import discover, select
    from flotilla.project import load_project
    from flotilla.runtime.contract import contract
    from flotilla.runtime.openapi import dumps

    project = load_project()
    found = discover(project.services_dir)
    chosen = select(found, [service] if service else [])
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    for svc in chosen:
        c = contract(svc.manifest, svc.root)
        if c.document is None:
            console.print(f"{svc.name}: {c.note}; nothing written")
            continue
        path = out / f"{svc.name}.json"
        path.write_bytes(dumps(c.document))
        console.print(f"{svc.name}: {path} ({c.note})")
