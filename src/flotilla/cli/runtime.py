"""Commands: `serve` (one service, exactly as its container runs it) and `dev` (all services)."""

from __future__ import annotations

from pathlib import Path

import typer

from flotilla.cli import app


@app.command("serve")
def serve_cmd(
    service_dir: Path = typer.Argument(..., help="A service folder (holds service.toml)."),  # noqa: B008
    port: int | None = typer.Option(None, "--port", help="Default: the manifest's port."),
    host: str = typer.Option("0.0.0.0", "--host", help="Address to bind."),
    framework: str | None = typer.Option(
        None, "--framework", help="Serve a plugin with fastapi, flask or django instead."
    ),
) -> None:
    """Serve one service with healthz and readyz; metrics and stats on the internal port."""
    from flotilla.runtime.server import serve

    serve(service_dir, host=host, port=port, framework=framework)


@app.command("dev")
def dev_cmd(
    port: int = typer.Option(8000, "--port"),
    host: str = typer.Option("127.0.0.1", "--host"),
    reload: bool = typer.Option(True, "--reload/--no-reload", help="Restart on code changes."),
) -> None:
    """Every discovered service in one process, each under its own path prefix."""
    from flotilla.project import load_project
    from flotilla.runtime.dev import run_dev

    run_dev(load_project().services_dir, host=host, port=port, reload=reload)
