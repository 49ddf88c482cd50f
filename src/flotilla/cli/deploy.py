"""Commands: plan, deploy, rollback, status, releases (logic in flotilla.deploy.pipeline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from flotilla.cli import app

if TYPE_CHECKING:  # imported lazily at run time: `flotilla --help` loads no boto3
    from flotilla.deploy.pipeline import Options
    from flotilla.project import Project

ENV = typer.Option(
    "local", "--env", "-e", help="Environment: infra/terraform/environments/<env>.tfvars."
)
TIMEOUT = typer.Option(900.0, "--timeout", help="Seconds to wait for a steady rollout.")
ALLOW_DESTROY = typer.Option(
    False, "--allow-destroy", help="Apply even if the plan destroys or replaces critical resources."
)
YES = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (prod).")
SMOKE_URL = typer.Option(
    None, "--smoke-url", help="Base URL for the smoke test (default: the ALB)."
)
SKIP_SMOKE = typer.Option(False, "--skip-smoke", help="Do not GET the health paths after rollout.")
BASE_IMAGE = typer.Option(None, "--base-image", help="Python base image for the build.")


def options(**kw: Any) -> Options:
    """The deploy options, asking on the terminal when a prod deploy needs confirmation."""
    from flotilla.deploy.pipeline import Options

    return Options(confirm=lambda q: typer.confirm(q, default=False), **kw)


def project() -> Project:
    from flotilla.project import load_project

    return load_project()


@app.command("plan")
def plan_cmd(env: str = ENV, base_image: str | None = BASE_IMAGE) -> None:
    """Validate, build, push, plan and review; writes build/<env>/plan.md. Applies nothing."""
    from flotilla.deploy.pipeline import PlanCommand

    PlanCommand(project(), env, options(base_image=base_image)).run()


@app.command("deploy")
def deploy_cmd(
    env: str = ENV,
    timeout: float = TIMEOUT,
    allow_destroy: bool = ALLOW_DESTROY,
    yes: bool = YES,
    smoke_url: str | None = SMOKE_URL,
    skip_smoke: bool = SKIP_SMOKE,
    base_image: str | None = BASE_IMAGE,
) -> None:
    """Validate, build, push, plan, review, gate, apply, roll out, smoke test, record."""
    from flotilla.deploy.pipeline import DeployCommand

    opts = options(
        timeout=timeout,
        allow_destroy=allow_destroy,
        yes=yes,
        smoke_url=smoke_url,
        skip_smoke=skip_smoke,
        base_image=base_image,
    )
    DeployCommand(project(), env, opts).run()


@app.command("rollback")
def rollback_cmd(
    service: str | None = typer.Argument(None, help="One service (default: every service)."),
    env: str = ENV,
    to: str | None = typer.Option(None, "--to", help="An image tag of SERVICE to deploy."),
    timeout: float = TIMEOUT,
    allow_destroy: bool = ALLOW_DESTROY,
    yes: bool = YES,
    smoke_url: str | None = SMOKE_URL,
    skip_smoke: bool = SKIP_SMOKE,
) -> None:
    """Redeploy the previous release (or --to TAG) through plan/apply/rollout; no rebuild."""
    from flotilla.deploy.pipeline import RollbackCommand

    opts = options(
        timeout=timeout,
        allow_destroy=allow_destroy,
        yes=yes,
        smoke_url=smoke_url,
        skip_smoke=skip_smoke,
    )
    RollbackCommand(project(), env, service, to, opts).run()


@app.command("status")
def status_cmd(env: str = ENV) -> None:
    """Per service: deployed tag, digest age, desired/running/pending, rollout, targets."""
    from flotilla.deploy.views import StatusCommand

    StatusCommand(project(), env).run()


@app.command("releases")
def releases_cmd(
    service: str | None = typer.Argument(None, help="One service (default: all)."),
    env: str = ENV,
) -> None:
    """The release ledger of ENV, newest first."""
    from flotilla.deploy.views import ReleasesCommand

    ReleasesCommand(project(), env, service).run()
