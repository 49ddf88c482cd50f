"""The `flotilla` command. Each command group lives in its own module and imports its heavy
dependencies inside the command, so `flotilla serve` in a container never loads deploy code."""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console
from rich.markup import escape

from flotilla.errors import FlotillaError

app = typer.Typer(
    name="flotilla",
    help="Ship many small Python services to AWS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)
_state = {"debug": False}


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
) -> None:
    _state["debug"] = debug


COMMAND_MODULES = ("services", "runtime", "build", "deploy", "promote", "local", "audit")


def _register() -> None:
    # A service image carries only the runtime commands; an operator's install has them all.
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(f"flotilla.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"flotilla.cli.{name}":
                raise


def main(argv: list[str] | None = None) -> None:
    """Entry point: user-facing errors are one line and a non-zero exit, never a traceback."""
    _register()
    debug = "--debug" in (argv if argv is not None else sys.argv)
    try:
        app(args=argv, standalone_mode=False)
    except FlotillaError as exc:
        if debug:
            raise
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # anything else is a bug or an environment fault
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            err_console.print("[yellow]aborted[/]")
            sys.exit(1)
        if debug:
            raise
        err_console.print(
            f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            "  (run with --debug for a traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
