"""Commands: plan, deploy, rollback, unpin, status, releases (logic in flotilla.deploy)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from flotilla.cli import app
from flotilla.interrupts import interruptible

if TYPE_CHECKING:  # imported lazily at run time: `flotilla --help` loads no boto3
    from flotilla.deploy.pipeline import Options
    from flotilla.project import Project

ENV = typer.Option("local", "--env", "-e", help="Environment: environments/<env>.toml.")
TIMEOUT = typer.Option(900.0, "--timeout", help="Seconds to wait for a steady rollout.")
ALLOW_DESTROY = typer.Option(
    False, "--allow-destroy", help="Apply even if the plan destroys or replaces critical resources."
)
YES = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (prod).")
SMOKE_URL = typer.Option(
    None, "--smoke-url", help="Base URL for the smoke test (default: the ALB)."
)
SKIP_SMOKE = typer.Option(
    False, "--skip-smoke", help="Skip the smoke checks and verify: the release is unchecked."
)
VERIFY_SECONDS = typer.Option(
    None,
    "--verify-seconds",
    help="Seconds to measure the new version's 5xx share after cut-over (0: skip; default: "
    "the manifest's verify_seconds, else 20 in local, 180 in AWS).",
)
BASE_IMAGE = typer.Option(None, "--base-image", help="Python base image for the build.")
JSON = typer.Option(False, "--json", help="One JSON document on stdout, for scripts.")
WAIT_LOCK = typer.Option(
    0.0, "--wait-lock", min=0, help="Seconds to wait for another deploy's lock (default: refuse)."
)


def options(**kw: Any) -> Options:
    """The deploy options, asking on the terminal when a prod deploy needs confirmation; the
    environment is reached through the composition root's targets."""
    from flotilla.cli.targets import connect
    from flotilla.deploy.pipeline import Options

    return Options(confirm=lambda q: typer.confirm(q, default=False), connect=connect, **kw)


def project() -> Project:
    from flotilla.project import load_project

    return load_project()


@app.command("plan")
@interruptible
def plan_cmd(
    env: str = ENV,
    base_image: str | None = BASE_IMAGE,
    json_out: bool = JSON,
    push: bool = typer.Option(
        True,
        "--push/--no-push",
        help="--no-push: write nothing to ECR (a pull request's read-only role); images not "
        "pushed yet are planned with their local image id.",
    ),
) -> None:
    """Validate, build, push, plan and review; writes build/<env>/plan.md. Applies nothing.

    With --json the progress goes to stderr and stdout gets the plan's summary."""
    import json

    from rich.console import Console

    from flotilla.deploy.pipeline import PlanCommand

    console = Console(stderr=True) if json_out else Console()
    planned = PlanCommand(project(), env, options(base_image=base_image, push=push), console).run()
    if json_out:
        review = planned.review
        summary = {
            "env": env,
            "has_changes": review.has_changes,
            "counts": review.counts,
            "changed_services": review.changed_services,
            "plan_md": str(planned.plan_md),
        }
        print(json.dumps(summary))


@app.command("deploy")
@interruptible
def deploy_cmd(
    env: str = ENV,
    timeout: float = TIMEOUT,
    allow_destroy: bool = ALLOW_DESTROY,
    yes: bool = YES,
    smoke_url: str | None = SMOKE_URL,
    skip_smoke: bool = SKIP_SMOKE,
    base_image: str | None = BASE_IMAGE,
    allow_breaking: bool = typer.Option(
        False,
        "--allow-breaking",
        help="Deploy even if the API breaks clients without a major version bump.",
    ),
    unpin: list[str] = typer.Option(  # noqa: B008
        [],
        "--unpin",
        help="Deploy this pinned service from the working tree (repeatable).",
    ),
    verify_seconds: float | None = VERIFY_SECONDS,
    wait_lock: float = WAIT_LOCK,
) -> None:
    """Validate, build, push, plan, review, gate, apply, roll out, smoke, verify, record."""
    from flotilla.deploy.pipeline import DeployCommand

    opts = options(
        verify_seconds=verify_seconds,
        timeout=timeout,
        allow_destroy=allow_destroy,
        yes=yes,
        smoke_url=smoke_url,
        skip_smoke=skip_smoke,
        base_image=base_image,
        unpin=list(unpin),
        allow_breaking=allow_breaking,
        wait_lock=wait_lock,
    )
    DeployCommand(project(), env, opts).run()


@app.command("rollback")
@interruptible
def rollback_cmd(
    service: str | None = typer.Argument(None, help="The service to roll back."),
    env: str = ENV,
    to: str | None = typer.Option(
        None, "--to", help="A release number or image tag of SERVICE to deploy."
    ),
    all_services: bool = typer.Option(
        False, "--all", help="Roll back every service (asks first unless --yes)."
    ),
    timeout: float = TIMEOUT,
    allow_destroy: bool = ALLOW_DESTROY,
    yes: bool = YES,
    smoke_url: str | None = SMOKE_URL,
    skip_smoke: bool = SKIP_SMOKE,
    verify_seconds: float | None = VERIFY_SECONDS,
    wait_lock: float = WAIT_LOCK,
) -> None:
    """Re-apply SERVICE's previous passed release (or --to one) exactly, from the ledger,
    and pin it there; no rebuild, and the working tree is not read."""
    from flotilla.deploy.rollback import RollbackCommand

    opts = options(
        verify_seconds=verify_seconds,
        timeout=timeout,
        allow_destroy=allow_destroy,
        yes=yes,
        smoke_url=smoke_url,
        skip_smoke=skip_smoke,
        wait_lock=wait_lock,
    )
    RollbackCommand(project(), env, service, to, opts, all=all_services).run()


@app.command("unpin")
def unpin_cmd(
    service: str = typer.Argument(..., help="The pinned service."),
    env: str = ENV,
) -> None:
    """Let the next deploy ship SERVICE from the working tree again (undoes a rollback's pin)."""
    from flotilla.cli.targets import connect
    from flotilla.deploy.pins import UnpinCommand

    UnpinCommand(project(), env, service, connect=connect).run()


@app.command("status")
def status_cmd(env: str = ENV, json_out: bool = JSON) -> None:
    """Per service: deployed tag, digest age, desired/running/pending, rollout, targets."""
    from flotilla.cli.targets import connect
    from flotilla.deploy.views import StatusCommand

    StatusCommand(project(), env, json=json_out, connect=connect).run()


@app.command("releases")
def releases_cmd(
    service: str | None = typer.Argument(None, help="One service (default: all)."),
    env: str = ENV,
    json_out: bool = JSON,
) -> None:
    """The release ledger of ENV, newest first."""
    from flotilla.cli.targets import connect
    from flotilla.deploy.views import ReleasesCommand

    ReleasesCommand(project(), env, service, json=json_out, connect=connect).run()


@app.command("unlock")
def unlock_cmd(env: str = ENV, yes: bool = YES) -> None:
    """Break ENV's deploy lock (after asking), e.g. one left by a deploy that was killed."""
    from rich.console import Console

    from flotilla.cli.targets import reach
    from flotilla.deploy.lock import DeployLock

    proj = project()
    target = reach(proj, env)
    lock = DeployLock.of(proj, env, account=target.account)
    found = lock.read()
    if found is None:
        Console().print(f"{env} is not locked ({lock.where})", highlight=False)
        return
    holder, etag = found
    Console().print(f"{env} is locked by {holder.describe()}", highlight=False)
    if not yes and not typer.confirm("break this lock? (only if that deploy is dead)"):
        raise typer.Exit(1)
    if not lock.break_(etag):
        raise typer.Exit(5)  # it changed hands meanwhile: someone holds it now
    Console().print(f"unlocked {env}", highlight=False)
