"""`flotilla promote --from staging --to prod` (logic in flotilla.deploy.promote)."""

from __future__ import annotations

from typing import Annotated

import typer

from flotilla.cli import app


@app.command("promote")
def promote_cmd(
    source: Annotated[
        str, typer.Option("--from", help="Environment whose release is promoted.")
    ] = "staging",
    target: Annotated[str, typer.Option("--to", help="Environment to deploy it to.")] = "prod",
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the rollout.")
    ] = 900.0,
    allow_destroy: Annotated[
        bool, typer.Option("--allow-destroy", help="Allow critical replaces.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    skip_smoke: Annotated[
        bool, typer.Option("--skip-smoke", help="No health GETs after rollout.")
    ] = False,
) -> None:
    """Deploy to --to exactly the images --from runs now (same digests), through plan,
    review, gate, apply, rollout, smoke and the ledger."""
    from flotilla.cli.deploy import options, project
    from flotilla.deploy.promote import PromoteCommand

    opts = options(timeout=timeout, allow_destroy=allow_destroy, yes=yes, skip_smoke=skip_smoke)
    PromoteCommand(project(), source, target, opts).run()
