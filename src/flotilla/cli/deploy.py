"""Commands: plan, deploy, rollback, status, releases (logic in flotilla.deploy.pipeline)."""

from __future__ import annotations

import typer

from flotilla.cli import app

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


def _options(**kw: object) -> object:
    from flotilla.deploy.pipeline import Options

    return Options(confirm=lambda q: typer.confirm(q, default=False), **kw)  # type: ignore[arg-type]


def _project() -> object:
    from flotilla.project import load_project

    return load_project()


@app.command("plan")
def plan_cmd(env: str = ENV, base_image: str | None = BASE_IMAGE) -> None:
    """Validate, build, push, plan and review; writes build/<env>/plan.md. Applies nothing."""
    from flotilla.deploy.pipeline import PlanCommand

    PlanCommand(_project(), env, _options(base_image=base_image)).run()  # type: ignore[arg-type]


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

    opts = _options(
        timeout=timeout,
        allow_destroy=allow_destroy,
        yes=yes,
        smoke_url=smoke_url,
        skip_smoke=skip_smoke,
        base_image=base_image,
    )
    DeployCommand(_project(), env, opts).run()  # type: ignore[arg-type]


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

    opts = _options(
        timeout=timeout,
        allow_destroy=allow_destroy,
        yes=yes,
        smoke_url=smoke_url,
        skip_smoke=skip_smoke,
    )
    RollbackCommand(_project(), env, service, to, opts).run()  # type: ignore[arg-type]


@app.command("status")
def status_cmd(env: str = ENV) -> None:
    """Per service: deployed tag, digest age, desired/running/pending, rollout, targets."""
    from flotilla.deploy.views import StatusCommand

    StatusCommand(_project(), env).run()  # type: ignore[arg-type]


@app.command("releases")
def releases_cmd(
    service: str | None = typer.Argument(None, help="One service (default: all)."),
    env: str = ENV,
) -> None:
    """The release ledger of ENV, newest first."""
    from flotilla.deploy.views import ReleasesCommand

    ReleasesCommand(_project(), env, service).run()  # type: ignore[arg-type]
