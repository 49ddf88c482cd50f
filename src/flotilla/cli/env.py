"""Commands: env list, env show, env new, env bootstrap (logic in flotilla.deploy.env*)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

from flotilla.cli import app
from flotilla.interrupts import interruptible

if TYPE_CHECKING:
    from flotilla.project import Project

env_app = typer.Typer(
    name="env", help="Environments: environments/<name>.toml.", no_args_is_help=True
)
app.add_typer(env_app)
JSON = typer.Option(False, "--json", help="One JSON document on stdout, for scripts.")
TABLE_WIDTH = 80  # CI logs


def _project() -> Project:
    from flotilla.project import load_project

    return load_project()


def _released(project: Project, names: list[str]) -> dict[str, tuple[datetime | None, str]]:
    """Each environment's last release, read through its own target (account, role)."""
    from flotilla.cli.targets import connect
    from flotilla.deploy.environments import load_all
    from flotilla.deploy.envviews import last_release

    found = load_all(project)
    return {n: last_release(connect(project, found[n])) for n in names}


@env_app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """Every environment: name, kind, account, region, promotes-from, last release."""
    from flotilla.deploy.environments import load_all
    from flotilla.deploy.envviews import LIST_COLUMNS, list_rows, summary
    from flotilla.tables import fitted

    project = _project()
    found = load_all(project)
    released = _released(project, sorted(found))
    items = [summary(found[n], released[n]) for n in sorted(found)]
    if as_json:
        typer.echo(json.dumps({"environments": items}, indent=2))
        return
    console = Console(width=min(Console().width, TABLE_WIDTH))
    if not items:
        console.print(f"no environments: add {project.root / 'environments'}/<name>.toml")
        return
    console.print(fitted(LIST_COLUMNS, list_rows(items), console.width, ("last release",)))


def _print_show(data: dict[str, Any], console: Console) -> None:
    keys = ("name", "kind", "file", "account", "region", "promotes_from", "confirm")
    for key in keys:
        value = data[key]
        if key == "account" and value is None:
            value = "(caller): the account the credentials are for"
        console.print(f"{key:14} {escape(str(value if value is not None else '—'))}")
    role = data["role"]
    console.print(f"{'role':14} {escape(str(role['arn'] or '— (the credentials as they are)'))}")
    if data["alb_port"] is not None:
        console.print(f"{'alb':14} http://127.0.0.1:{data['alb_port']}")
    for key in ("promotes_to", "https", "state"):
        console.print(f"{key:14} {escape(json.dumps(data[key]))}", soft_wrap=True)
    images = data["images"]
    pulled = ", ".join(images["pulled_by_accounts"]) or "no other account"
    home = images["registry_account"] or "(caller)"
    console.print(
        f"{'images':14} registry account {home} ({escape(images['registry_environment'])}'s); "
        f"pulled by {pulled}",
        soft_wrap=True,
    )
    when = data["last_release"] or f"— ({data['last_release_note']})"
    console.print(f"{'last release':14} {escape(when)}")
    console.print(f"{'terraform':14} {escape(data['generated']['tfvars'])}")
    console.print(f"{'backend':14} {escape(data['generated']['backend'])}")
    for name, svc in data["services"].items():
        secrets = ", ".join(f"{k}={v}" for k, v in svc["secrets"].items()) or "no secrets"
        console.print(
            f"service {escape(name)}: {svc['count']} ({svc['min']}..{svc['max']}) x "
            f"{svc['cpu']}/{svc['memory']}, {escape(secrets)}",
            soft_wrap=True,
        )


@env_app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="The environment."), as_json: bool = JSON
) -> None:
    """Everything NAME resolves to; writes Terraform's inputs into build/NAME/."""
    from flotilla.deploy.environments import get
    from flotilla.deploy.envviews import show

    project = _project()
    get(project, name)  # unknown: exit 2
    data = show(project, name, _released(project, [name])[name])
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    _print_show(data, Console(highlight=False))


@env_app.command("new")
def new_cmd(
    name: str = typer.Argument(..., help="The new environment's name."),
    source: str = typer.Option(..., "--from", help="The environment to copy."),
    account: str | None = typer.Option(None, "--account", help="Its AWS account id."),
    region: str | None = typer.Option(None, "--region", help="Its AWS region."),
    kind: str | None = typer.Option(
        None,
        "--kind",
        help="aws or local (on this machine, beside the others, with its own ALB port); "
        "default: the source's.",
    ),
) -> None:
    """Write environments/NAME.toml from another environment's file; print what to review."""
    from flotilla.deploy.envnew import new_environment

    project = _project()
    made = new_environment(project, name, source, account=account, region=region, kind=kind)
    console = Console(highlight=False)
    console.print(f"wrote {escape(str(made.path))} (from {escape(source)}); review:")
    for line in made.review:
        console.print(f"  - {escape(line)}", soft_wrap=True)


@env_app.command("bootstrap")
def bootstrap_cmd(
    name: str = typer.Argument(..., help="The environment."), as_json: bool = JSON
) -> None:
    """Create NAME's state bucket in its account; safe to re-run.

    The file's state bucket: versioned, encrypted, public access blocked, TLS only.
    The credentials must be for the account the file names."""
    from flotilla.cli.targets import reach
    from flotilla.deploy.state import ensure_state_bucket

    project = _project()
    # Unknown: exit 2. The role is assumed, then another account's credentials: exit 2.
    target = reach(project, name)
    identity = target.account.identity()
    environment = target.environment
    bucket, region = environment.spec.state.bucket, environment.state_region
    created = ensure_state_bucket(bucket, region, account=target.account)
    if as_json:
        data = {
            "environment": name,
            "bucket": bucket,
            "region": region,
            "account": identity["account"],
            "created": created,
        }
        typer.echo(json.dumps(data, indent=2))
        return
    verb = "created" if created else "already existed; settings applied again:"
    Console(highlight=False).print(
        f"state bucket {escape(bucket)} ({region}, account {identity['account']}) {verb} "
        "versioned, encrypted, public access blocked",
        soft_wrap=True,
    )


@env_app.command("destroy")
@interruptible
def destroy_cmd(
    name: str = typer.Argument(..., help="The environment."),
    allow_destroy: bool = typer.Option(
        False, "--allow-destroy", help="Needed: the plan destroys critical resources (the ALB...)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    remove_file: bool = typer.Option(
        False, "--remove-file", help="Also remove environments/NAME.toml and build/NAME/."
    ),
    wait_lock: float = typer.Option(
        0.0, "--wait-lock", min=0, help="Seconds to wait for another deploy's lock."
    ),
) -> None:
    """Destroy everything NAME runs (plan -destroy, review, gate, apply); the state bucket,
    the ledger and the images stay."""
    from flotilla.cli.deploy import options
    from flotilla.deploy.destroy import DestroyCommand

    opts = options(allow_destroy=allow_destroy, yes=yes, wait_lock=wait_lock)
    DestroyCommand(_project(), name, opts, remove_file=remove_file).run()
