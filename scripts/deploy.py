#!/usr/bin/env python3
"""Thin entry: `scripts/deploy.py --env staging` == `flotilla deploy --env staging`.

All logic lives in flotilla.deploy.pipeline; this only forwards the arguments.
"""

import sys

from flotilla.cli import main

if __name__ == "__main__":
    main(["deploy", *sys.argv[1:]])
