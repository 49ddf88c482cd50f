"""`python -m bench [NAME ...]`: run every benchmark module (or the named ones)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    names = argv or sorted(
        m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_")
    )
    failed = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}")
        failed += int(bool(module.main()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
