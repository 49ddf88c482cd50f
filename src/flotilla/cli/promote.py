"""`flotilla promote --from staging --to prod`: deploy the digests that passed the source
environment, read from its release ledger in AWS. Nothing is built or pushed."""

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
    from rich.console import Console

    from flotilla.deploy import steps
    from flotilla.deploy.ledger import Ledger, Release, now
    from flotilla.deploy.pipeline import Options, execute
    from flotilla.deploy.validate import validate
    from flotilla.errors import UsageError
    from flotilla.project import load_project

    aws_envs = ("staging", "prod")
    for flag, env in (("--from", source), ("--to", target)):
        if env not in aws_envs:
            raise UsageError(
                f"{flag} {env!r}: promote moves releases between {' and '.join(aws_envs)}"
            )
    if source == target:
        raise UsageError(f"--from and --to are both {source!r}: nothing to promote")
    project = load_project()
    opts = Options(
        timeout=timeout,
        allow_destroy=allow_destroy,
        yes=yes,
        skip_smoke=skip_smoke,
        confirm=lambda q: typer.confirm(q, default=False),
    )
    console = Console()
    ctx = validate(project, target, need_docker=False, timeout=timeout)
    ledger = Ledger(project.name, source)
    current = {s.name: ledger.current(s.name) for s in ctx.services}
    if missing := sorted(n for n, r in current.items() if r is None):
        raise UsageError(
            f"{', '.join(missing)}: no release in {source}; "
            f"promote deploys only what passed {source}",
            hint=f"deploy {source} first (`make deploy ENV={source}`)",
        )
    deployer = ctx.identity.get("arn", "unknown")
    releases: dict[str, Release] = {}
    for name, rel in current.items():
        assert rel is not None
        releases[name] = Release(
            0,
            name,
            rel.tag,
            rel.digest,
            rel.image,
            rel.version,
            rel.git_sha,
            now(),
            deployer,
            "promote",
        )
        console.print(f"promoting {name} {rel.tag} ({rel.digest[7:19]}) from {source}")
    planned = steps.plan(ctx, {n: r.image for n, r in releases.items()}, console)
    execute(ctx, planned, releases, opts, console)
