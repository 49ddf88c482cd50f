"""`flotilla local up|down|urls` and `flotilla logs`: the ENV=local environment."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from flotilla.cli import app

local_app = typer.Typer(
    help="ENV=local: emulator, registry, runtime and ALB on loopback.", no_args_is_help=True
)
app.add_typer(local_app, name="local")
console = Console()


@local_app.command("up")
def up_cmd() -> None:
    """Start the local environment (idempotent). Its AWS state lives until `down`."""
    from flotilla.local import env
    from flotilla.project import load_project

    project = load_project()
    with console.status("starting emulator, registry, runtime and ALB..."):
        st = env.up(project)
    table = Table("part", "address", title="flotilla local")
    table.add_row("AWS emulator", st["emulator"])
    table.add_row("registry (ECR)", st.get("registry") or "-")
    for name, lane in sorted(env.statuses(project).items()):
        table.add_row(f"ALB ({name})", lane["alb"])
    console.print(table)


@local_app.command("down")
def down_cmd() -> None:
    """Stop everything `up` started. The emulator keeps state in memory: this resets it."""
    from flotilla.local import env
    from flotilla.project import load_project

    with console.status("stopping tasks, ALB, registry and emulator..."):
        stopped = env.down(load_project())
    console.print("local environment stopped" if stopped else "local environment was not running")


LOCAL_ENV = typer.Option("local", "--env", "-e", help="A local environment (kind local).")


def _local_env(name: str, hint: str | None = None) -> str:
    """`name`, checked to be an environment that runs on this machine (exit 2 otherwise)."""
    from flotilla.errors import UsageError
    from flotilla.local.target import local_environments
    from flotilla.project import load_project

    known = local_environments(load_project())
    if name not in known:
        raise UsageError(
            f"--env {name}: not a local environment (kind local); allowed: "
            f"{', '.join(sorted(known))}",
            hint=hint,
        )
    return name


@local_app.command("urls")
def urls_cmd(env_name: str = LOCAL_ENV) -> None:
    """Each service's URL through the local ALB, with a sample curl."""
    from flotilla.local.status import source

    data = source(env=_local_env(env_name)).read()
    table = Table("service", "state", "tasks", "url")
    table.columns[3].no_wrap = True
    tries = []
    for e in sorted(data.services.values(), key=lambda e: e.name):
        base = e.paths[0].rstrip("*").rstrip("/") if e.paths else ""
        url = f"{data.alb}{base}/"
        table.add_row(e.name, e.rollout_state, f"{e.running}/{e.desired}", url)
        tries.append(f"curl -s {url}")
    console.print(table)
    for line in tries:
        print(line)


@local_app.command("env")
def env_cmd(env_name: str = LOCAL_ENV) -> None:
    """Exports pointing boto3/terraform at ENV=local: eval "$(flotilla local env)"."""
    import shlex

    from flotilla.local.target import local_settings
    from flotilla.project import load_project

    for key, value in local_settings(load_project(), _local_env(env_name)).items():
        print(f"export {key}={shlex.quote(value)}")


@app.command("logs")
def logs_cmd(
    service: str = typer.Argument(..., help="The service whose task logs to show."),
    env_name: str = typer.Option(
        "local", "--env", "-e", help="The environment (a local one for the task logs)."
    ),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep streaming new lines."),
    tail: int = typer.Option(200, "--tail", help="Lines per task to start with."),
    failed: bool = typer.Option(
        False,
        "--failed",
        help="Tasks that failed in the last rollout: exit code, reason, last log lines "
        "(local: kept until the next deploy; AWS: the stopped tasks' CloudWatch streams).",
    ),
) -> None:
    """The logs of SERVICE's tasks (ENV=local: its containers)."""
    from flotilla.local.logs import show

    if failed:
        show_failed(service, env_name, tail)
        return
    aws = (f"for AWS use CloudWatch Logs (log group /ecs/<project>-{env_name}/{service}), "
           "or `--failed` for the failed tasks")  # fmt: skip
    show(service, follow=follow, tail=tail, env=_local_env(env_name, aws))


def show_failed(service: str, env: str, tail: int) -> None:
    from flotilla.cli.targets import reach
    from flotilla.project import load_project

    target = reach(load_project(), env)
    tasks = target.status_source().failed_tasks(target.cluster, service)
    if not tasks:
        print(f"no failed task of {service} kept in {env}")
        return
    for t in tasks:
        print(t.show(tail))
