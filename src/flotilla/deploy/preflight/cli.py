"""Command-line values: environments defined, services known, timeouts finite and positive,
URLs with a scheme and a host, tags that Docker accepts."""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Iterator

from flotilla.deploy.preflight import Inputs, Violation, rule
from flotilla.deploy.preflight.names import DOCKER_TAG

MAX_TIMEOUT = 24 * 3600.0
MAX_VERIFY = 3600.0  # = the manifest's verify_seconds bound


def _env(inputs: Inputs, env: str) -> Iterator[Violation]:
    if env not in inputs.environments:
        where = inputs.settings_file(env)
        yield Violation(
            None,
            f"unknown environment {env!r}",
            f"no {where}; allowed: {', '.join(inputs.environments) or '(none defined)'}",
        )


@rule
def environments(inputs: Inputs) -> Iterator[Violation]:
    cli = inputs.cli
    yield from _env(inputs, cli.env)
    if cli.source_env is not None:
        yield from _env(inputs, cli.source_env)
        if cli.source_env == cli.env:
            yield Violation(None, f"--from and --to are both {cli.env!r}", "nothing to promote")


@rule
def overrides(inputs: Inputs) -> Iterator[Violation]:
    """`[environments.<name>]` in a manifest names a defined environment."""
    allowed = ", ".join(inputs.environments) or "(none defined)"
    for service in inputs.services:
        for env in service.manifest.environments:
            if env not in inputs.environments:
                yield Violation(
                    service.source,
                    f"environments.{env}",
                    f"no environment {env!r} (no {inputs.settings_file(env)}); defined: {allowed}",
                )


@rule
def timeout(inputs: Inputs) -> Iterator[Violation]:
    value = inputs.cli.timeout
    if value is not None and not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        yield Violation(
            None,
            "--timeout",
            f"must be a positive number of seconds, finite and at most {MAX_TIMEOUT:g}",
            f"{value:g}",
        )


@rule
def verify_seconds(inputs: Inputs) -> Iterator[Violation]:
    value = inputs.cli.verify_seconds
    if value is not None and not (math.isfinite(value) and 0 <= value <= MAX_VERIFY):
        yield Violation(
            None,
            "--verify-seconds",
            f"must be a number of seconds from 0 (skip verify) to {MAX_VERIFY:g}",
            f"{value:g}",
        )


@rule
def smoke_url(inputs: Inputs) -> Iterator[Violation]:
    url = inputs.cli.smoke_url
    if url is None:
        return
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a bad port
        bad_port = False
    except ValueError:
        bad_port = True
    if parts.scheme not in ("http", "https") or not parts.hostname or bad_port:
        yield Violation(
            None,
            "--smoke-url",
            "must be an http:// or https:// URL with a host, e.g. https://api.example.com",
            repr(url),
        )


@rule
def services(inputs: Inputs) -> Iterator[Violation]:
    known = sorted(s.name for s in inputs.services)
    unknown = [n for n in inputs.cli.services if n not in known]
    if unknown and known:
        names = ", ".join(map(repr, unknown))
        yield Violation.plain(f"unknown service {names}; known: {', '.join(known)}")


@rule
def tag(inputs: Inputs) -> Iterator[Violation]:
    value = inputs.cli.tag
    if value is not None and not DOCKER_TAG.fullmatch(value):
        yield Violation(
            None,
            "--to",
            "must be an image tag: 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'",
            repr(value),
        )
