"""Project settings (flotilla.toml): ports in range and distinct, a region AWS has."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from flotilla.deploy.preflight import Inputs, Violation, rule


@cache
def known_regions() -> frozenset[str]:
    """Every region botocore's bundled endpoint data knows, in every partition."""
    import botocore.session

    session = botocore.session.get_session()
    found: set[str] = set()
    for partition in session.get_available_partitions():
        found |= set(session.get_available_regions("ecs", partition_name=partition))
    return frozenset(found)


def region_problem(value: str) -> str | None:
    """What is wrong with `value` as a region (flotilla.toml, environment files), or None."""
    if value in known_regions():
        return None
    near = sorted(r for r in known_regions() if r.split("-")[0] == value.split("-")[0])
    return f"not an AWS region with ECS; e.g. {', '.join(near[:4] or ['us-east-1'])}"


@rule
def region(inputs: Inputs) -> Iterator[Violation]:
    value = inputs.project.config.project.region
    problem = region_problem(value)
    if problem:
        yield Violation(
            str(inputs.project.root / "flotilla.toml"), "project.region", problem, value
        )


@rule
def ports(inputs: Inputs) -> Iterator[Violation]:
    where = str(inputs.project.root / "flotilla.toml")
    local = inputs.project.config.local
    seen: dict[int, str] = {}
    for key in ("emulator_port", "registry_port", "alb_port"):
        port = getattr(local, key)
        if not 1 <= port <= 65535:
            yield Violation(where, f"local.{key}", "must be a TCP port, 1..65535", port)
        elif port in seen:
            yield Violation(
                where, f"local.{key}", f"is also local.{seen[port]}; each port must differ", port
            )
        seen.setdefault(port, key)
