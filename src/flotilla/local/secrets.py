"""Secrets by reference, resolved the way the ECS agent does: from SSM or Secrets Manager."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError


class SecretError(Exception):
    """A secret the task needs cannot be read; ECS stops such a task before it starts."""


def _ssm(ssm: Any, ref: str) -> str:
    names = [ref]
    if ":parameter" in ref:  # an ARN: "...:parameter/a/b" names "/a/b" (or "a" for "parameter/a")
        rest = ref.split(":parameter", 1)[1]
        names += [rest, rest.lstrip("/")]
    last: Exception | None = None
    for name in names:
        try:
            return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
        except ClientError as exc:
            last = exc
    raise SecretError(f"SSM parameter {ref}: {last}")


def _secretsmanager(sm: Any, ref: str) -> str:
    parts = ref.split(":")
    secret_id, json_key = ":".join(parts[:7]), parts[7] if len(parts) > 7 else ""
    stage = parts[8] if len(parts) > 8 and parts[8] else None
    kw: dict[str, str] = {"SecretId": secret_id}
    if stage:
        kw["VersionStage"] = stage
    try:
        value = str(sm.get_secret_value(**kw)["SecretString"])
    except (ClientError, KeyError) as exc:
        raise SecretError(f"Secrets Manager secret {secret_id}: {exc}") from None
    if not json_key:
        return value
    try:
        return str(json.loads(value)[json_key])
    except (ValueError, KeyError, TypeError):
        raise SecretError(
            f"Secrets Manager secret {secret_id} has no JSON key {json_key!r}"
        ) from None


def resolve(secrets: list[dict[str, str]], ssm: Any, sm: Any) -> dict[str, str]:
    """`containerDefinitions[].secrets` -> environment values."""
    out = {}
    for s in secrets:
        ref = s["valueFrom"]
        out[s["name"]] = _secretsmanager(sm, ref) if ":secretsmanager:" in ref else _ssm(ssm, ref)
    return out
