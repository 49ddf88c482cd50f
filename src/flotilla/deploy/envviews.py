"""`flotilla env list` and `flotilla env show`: what each environment file resolves to.

Read-only. The last release time comes from the environment's ledger (the newest ledger file
in its state bucket); an environment whose bucket cannot be read shows "—" and the reason in
`--json`. Secrets appear by reference (their SSM name or ARN), never by value.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flotilla.deploy import aws
from flotilla.deploy.environments import Environment, backend_file, load_all, tfvars_file
from flotilla.deploy.target import image_source, pull_accounts
from flotilla.discovery import discover
from flotilla.errors import FlotillaError
from flotilla.project import Project

if TYPE_CHECKING:
    from flotilla.deploy.target import Target

LIST_COLUMNS = ("name", "kind", "account", "region", "from", "last release")
CALLER = "(caller)"  # no account_id: the account the credentials are for


def last_release(target: Target) -> tuple[datetime | None, str]:
    """When the target environment's ledger was last written (read in its own account, with
    its role), and why it is unknown when it is."""
    errors: tuple[type[BaseException], ...] = (*aws.error_types(), FlotillaError)
    try:
        ledger = target.ledger()
        pages = ledger.s3.get_paginator("list_objects_v2").paginate(
            Bucket=ledger.bucket, Prefix=ledger.prefix, PaginationConfig={"MaxItems": 1000}
        )
        times = [o["LastModified"] for page in pages for o in page.get("Contents", [])]
    except errors as exc:
        code = aws.error_code(exc) if not isinstance(exc, FlotillaError) else ""
        if code in ("NoSuchBucket", "404"):
            return None, "no releases (no state bucket yet)"
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return (max(times), "") if times else (None, "no releases")


def summary(env: Environment, released: tuple[datetime | None, str]) -> dict[str, Any]:
    when, why = released
    return {
        "name": env.name,
        "kind": env.kind,
        "account": env.spec.account,
        "region": env.spec.region,
        "promotes_from": env.spec.promotes_from,
        "last_release": when.isoformat() if when else None,
        "last_release_note": why,
        "file": str(env.path),
    }


def list_rows(items: list[dict[str, Any]]) -> list[list[str]]:
    from flotilla.deploy.views import age

    rows = []
    for it in items:
        when = datetime.fromisoformat(it["last_release"]) if it["last_release"] else None
        rows.append(
            [
                it["name"],
                it["kind"],
                it["account"] or CALLER,
                it["region"],
                it["promotes_from"] or "—",
                f"{age(when)} ago" if when else "—",
            ]
        )
    return rows


def _services(project: Project, env: str) -> dict[str, Any]:
    """Each service as it runs in `env`: sizing and secrets by reference."""
    found: dict[str, Any] = {}
    for svc in discover(project.services_dir):
        m = svc.manifest.for_env(env)
        found[m.name] = {
            "path": m.path,
            "cpu": m.cpu,
            "memory": m.memory,
            "count": m.count,
            "min": m.min,
            "max": m.max,
            "env": dict(sorted(m.env.items())),
            "secrets": dict(sorted(m.secrets.items())),  # references (SSM names, ARNs)
            "overridden": env in svc.manifest.environments,
        }
    return found


def show(project: Project, name: str, released: tuple[datetime | None, str]) -> dict[str, Any]:
    """Everything `name` resolves to, Terraform's generated inputs written."""
    found = load_all(project)
    env = found[name]
    spec = env.spec
    source = image_source(project, env, found)
    return {
        **summary(env, released),
        "account_id": spec.account_id,
        "role": {
            "arn": spec.role_arn,
            "external_id": "(set)" if spec.external_id else None,  # shown by reference only
            "session_name": spec.session_name,
        },
        "https": spec.https_settings(),
        "confirm": spec.confirm,
        "alb_port": env.alb_port(project.config.local.alb_port),  # kind local: on loopback
        "promotes_to": sorted(n for n, e in found.items() if e.spec.promotes_from == name),
        "images": {  # pushed once to the registry account, pulled from there by the others
            "registry_account": source.spec.account,
            "registry_environment": source.name,
            "pulled_by_accounts": list(pull_accounts(project, env, found)),
        },
        "state": {
            "bucket": spec.state.bucket,
            "key": env.state_key,
            "region": env.state_region,
            "encrypt": spec.state.encrypt,
            "use_lockfile": spec.state.use_lockfile,
        },
        "terraform": env.tfvars(),
        "generated": {
            "tfvars": str(tfvars_file(project, name)),
            "backend": str(backend_file(project, name)),
        },
        "services": _services(project, name),
    }
