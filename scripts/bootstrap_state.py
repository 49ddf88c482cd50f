"""Create Terraform's state bucket once per account: versioned, encrypted, public access blocked.

`flotilla env bootstrap NAME` does the same for an environment and checks the account first;
this script stays for a bucket named by hand (--bucket) and for scripts that call it.

python scripts/bootstrap_state.py --env staging     # bucket and region: environments/staging.toml
python scripts/bootstrap_state.py --bucket NAME --region us-east-1
"""

from __future__ import annotations

import argparse
import sys

from flotilla.deploy.state import ensure_state_bucket, state_location
from flotilla.errors import FlotillaError
from flotilla.project import load_project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--env",
        help="read bucket and region from environments/<env>.toml [state]",
    )
    parser.add_argument("--bucket", help="bucket name (instead of --env)")
    parser.add_argument("--region", help="bucket region (default: the environment's)")
    args = parser.parse_args(argv)
    try:
        if args.env:
            where = state_location(load_project(), args.env)  # unknown env: exit 2
            bucket, region = args.bucket or where.bucket, args.region or where.region
        elif args.bucket:
            bucket, region = args.bucket, args.region or "us-east-1"
        else:
            parser.error("give --env or --bucket")
        created = ensure_state_bucket(bucket, region)
    except FlotillaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    verb = "created" if created else "already exists; settings re-applied:"
    print(f"state bucket {bucket} ({region}) {verb} versioned, encrypted, public access blocked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
