"""`flotilla promote --from staging --to prod` (logic in flotilla.deploy.promote)."""

from __future__ import annotations

from typing import Annotated

import typer

from flotilla.cli import app
from flotilla.cli.deploy import (
    ALLOW_DESTROY,
    SKIP_SMOKE,
    TIMEOUT,
    VERIFY_SECONDS,
    WAIT_LOCK,
    YES,
    options,
    project,
)
from flotilla.interrupts import interruptible


@app.command("promote")
@interruptible
def promote_cmd(
    source: Annotated[
        str, typer.Option("--from", help="Environment whose release is promoted.")
    ] = "staging",
    target: Annotated[str, typer.Option("--to", help="Environment to deploy it to.")] = "prod",
    timeout: float = TIMEOUT,
    allow_destroy: bool = ALLOW_DESTROY,
    yes: bool = YES,
    skip_smoke: bool = SKIP_SMOKE,
    verify_seconds: float | None = VERIFY_SECONDS,
    wait_lock: float = WAIT_LOCK,
) -> None:
    """Deploy to --to exactly the images --from runs now (same digests), through plan,
    review, gate, apply, rollout, smoke and the ledger."""
    from flotilla.deploy.promote import PromoteCommand

    opts = options(
        timeout=timeout,
        allow_destroy=allow_destroy,
        yes=yes,
        skip_smoke=skip_smoke,
        verify_seconds=verify_seconds,
        wait_lock=wait_lock,
    )
    PromoteCommand(project(), source, target, opts).run()
