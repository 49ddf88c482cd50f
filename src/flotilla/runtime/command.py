"""`flotilla serve` for a service image: argparse only, so the image needs neither typer nor
rich. The options are those of the full CLI's `serve` (flotilla.cli.runtime)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flotilla.errors import FlotillaError

USAGE = "flotilla serve SERVICE_DIR [--port PORT] [--host HOST] [--framework NAME]"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flotilla", usage=USAGE, description="Serve one service.")
    p.add_argument("command", choices=["serve"], help="the only command in a service image")
    p.add_argument("service_dir", type=Path, help="a service folder (holds service.toml)")
    p.add_argument("--port", type=int, default=None, help="default: the manifest's port")
    p.add_argument("--host", default="0.0.0.0", help="address to bind")
    p.add_argument("--framework", default=None, help="serve a plugin with another framework")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    return p


def main(argv: list[str]) -> int:
    """Exit codes as the full CLI: 2 for bad input (argparse's too), 0 after a drain."""
    args = parser().parse_args(argv)
    from flotilla.runtime.server import serve

    try:
        serve(args.service_dir, host=args.host, port=args.port, framework=args.framework)
    except FlotillaError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0
