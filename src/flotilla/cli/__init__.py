"""The `flotilla` command. Each command group lives in its own module and imports its heavy
dependencies inside the command, so `flotilla serve` in a container never loads deploy code."""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console
from rich.markup import escape

from flotilla.errors import FlotillaError
from flotilla.interrupts import Interrupted

app = typer.Typer(
    name="flotilla",
    help="Ship many small Python services to AWS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
) -> None:
    """--debug is read by `main` before parsing; declared here so that --help lists it."""


COMMAND_MODULES = (
    "services",
    "runtime",
    "openapi",
    "build",
    "deploy",
    "promote",
    "local",
    "audit",
    "env",
)


def _register() -> None:
    # A service image carries only the runtime commands; an operator's install has them all.
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(f"flotilla.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"flotilla.cli.{name}":
                raise


def main(argv: list[str] | None = None) -> None:
    """Entry point: user-facing errors are one line and a non-zero exit, never a traceback.

    Click's own standalone handling (whichever click typer ships) turns usage errors, Ctrl-C,
    aborted prompts and `typer.Exit(n)` into their exit codes; only our errors and bugs
    reach the handlers below. It always ends in SystemExit, 0 on success."""
    _register()
    debug = "--debug" in (argv if argv is not None else sys.argv)
    try:
        app(args=argv)
    except Interrupted as exc:
        if debug:
            raise
        err_console.print(f"[bold red]interrupted[/] ({exc}); re-run the same command to finish")
        sys.exit(exc.exit_code)
    except FlotillaError as exc:
        if debug:
            raise
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(exc.exit_code)
    except Exception as exc:  # anything else is a bug or an environment fault
        if debug:
            raise
        if endpoint := _unreachable_endpoint(exc):
            err_console.print(
                f"[bold red]error:[/] the AWS API at {escape(endpoint)} does not answer "
                f"({type(exc).__name__}); ENV=local: is `flotilla local up` running?",
                highlight=False,
                soft_wrap=True,
            )
            sys.exit(1)
        err_console.print(
            f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            "  (run with --debug for a traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


def _unreachable_endpoint(exc: BaseException) -> str | None:
    """The endpoint of a botocore connection failure (the part that is down), else None."""
    if not type(exc).__module__.startswith("botocore"):
        return None
    kwargs = getattr(exc, "kwargs", None)
    url = kwargs.get("endpoint_url") if isinstance(kwargs, dict) else None
    return str(url) if url else None
