"""Secrets in the wrong place: an [env] name or value that looks like a secret is refused,
with the hint to use [secrets] (a reference to SSM or Secrets Manager, never a value).

Values go through detect-secrets' shape and keyword detectors; names are matched against
detect-secrets' own keyword list (password, secret, api_key, ...) plus `token`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from flotilla.deploy.preflight import Inputs, Violation, rule
from flotilla.deploy.secretscan import value_findings

HINT = "looks like a secret; put a reference in [secrets] (an SSM parameter or Secrets Manager ARN)"
# A number, a boolean or nothing is a setting (TOKEN_TTL = "3600"), not a secret.
_PLAIN = re.compile(r"(|\d+(\.\d+)?|true|false|yes|no|on|off)", re.IGNORECASE)


@cache
def _secret_name() -> re.Pattern[str]:
    from detect_secrets.plugins.keyword import DENYLIST

    words = "|".join((*DENYLIST, "token", "credentials?"))
    return re.compile(rf"(^|_)({words})(_|$)", re.IGNORECASE)


def env_problems(env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(name, why) for each variable that looks like a secret."""
    for name, value in env.items():
        found = value_findings(name, value)
        if found:
            yield name, f"value {HINT} (detect-secrets: {', '.join(found)})"
        elif _secret_name().search(name) and not _PLAIN.fullmatch(value.strip()):
            yield name, f"name {HINT}"


@rule
def env_secrets(inputs: Inputs) -> Iterator[Violation]:
    for service in inputs.services:
        m = service.manifest
        tables = [("env", m.env)] + [
            (f"environments.{env}.env", o.env or {}) for env, o in m.environments.items()
        ]
        for table, env in tables:
            for name, why in env_problems(env):
                # The value itself is never printed: it may be a real secret.
                yield Violation(service.source, f"{table}.{name}", why)
