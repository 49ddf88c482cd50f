"""Commands: `build` (one image per service) and `lock` (per-service requirements.lock)."""

from __future__ import annotations

from typing import Annotated

import typer

from flotilla.cli import app
from flotilla.interrupts import interruptible


@app.command("build")
@interruptible
def build_cmd(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to build (default: all).")
    ] = None,
    plain: bool = typer.Option(False, "--plain", help="Plain log lines instead of a live table."),
    base_image: str = typer.Option(
        None,
        "--base-image",
        help="Base image (default: $BASE_IMAGE, python:3.12-slim, or the "
        "offline base from `make base-image`).",
    ),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, max=16, help="Parallel builds."),
) -> None:
    """Build each service into its own image; unchanged ones are skipped."""
    from rich.console import Console
    from rich.table import Table

    from flotilla.deploy.build import run_build
    from flotilla.discovery import discover, select
    from flotilla.project import load_project

    project = load_project()
    chosen = select(discover(project.services_dir), services)  # bad manifests: exit 2 here
    manifest = run_build(
        project, chosen, plain=plain or None, base_image=base_image, max_workers=jobs
    )
    table = Table("service", "status", "image", "tags", "size", box=None)
    for name in (s.name for s in chosen):
        entry = manifest["services"][name]
        size = f"{entry['size'] / 1e6:.0f} MB" if entry.get("size") else ""
        table.add_row(name, entry["status"], entry["image"], " ".join(entry["tags"]), size)
    Console().print(table)


@app.command("lock")
def lock_cmd(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to lock (default: all).")
    ] = None,
    check: bool = typer.Option(False, "--check", help="Only check that every lock is fresh."),
) -> None:
    """Write services/<name>/requirements.lock (pinned, hashed, for every Python/platform)."""
    from rich.console import Console

    from flotilla.deploy.build.lock import lock_problem, write_lock
    from flotilla.deploy.build.source import FlotillaSource
    from flotilla.discovery import discover, select
    from flotilla.errors import FlotillaError
    from flotilla.project import load_project

    project = load_project()
    chosen = select(discover(project.services_dir), services)
    source = FlotillaSource(project)
    console = Console()
    if check:
        problems = [p for p in (lock_problem(s, source) for s in chosen) if p]
        if problems:
            raise FlotillaError("\n".join(problems))
        console.print(f"{len(chosen)} lock(s) fresh")
        return
    failed = []
    for svc in chosen:
        try:
            path = write_lock(svc, source)
        except FlotillaError as exc:
            failed.append(exc.message)
            console.print(f"[red]{svc.name}: failed[/]")
            continue
        pins = sum(1 for ln in path.read_text().splitlines() if "==" in ln)
        console.print(f"{svc.name}: {path.relative_to(project.root)} ({pins} pins)")
    if failed:
        raise FlotillaError("\n".join(failed))
