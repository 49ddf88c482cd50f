"""The `flotilla` console script: the full CLI where it is installed, else `serve` only.

A service image installs the runtime without the CLI's libraries (typer, rich), so there
`flotilla serve DIR` (the image's CMD) runs the runtime's small argparse command instead.
"""

from __future__ import annotations

import sys
from importlib.util import find_spec


def main() -> None:
    if find_spec("typer") is None or find_spec("rich") is None:
        from flotilla.runtime.command import main as serve_main

        sys.exit(serve_main(sys.argv[1:]))
    from flotilla.cli import main as cli_main

    cli_main()
