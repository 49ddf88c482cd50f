"""The one place that creates boto3 sessions and clients.

Endpoints come from the standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` settings,
which boto3 honours itself, so the same code talks to AWS or to the emulator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flotilla.errors import UsageError

if TYPE_CHECKING:
    import boto3


def region(default: str | None = None) -> str:
    """AWS_REGION, then AWS_DEFAULT_REGION, then flotilla.toml's `[project] region`."""
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if value := os.environ.get(key):
            return value
    if default:
        return default
    from flotilla.project import load_project

    return load_project().config.project.region


def session(region_name: str | None = None) -> boto3.Session:
    import boto3

    return boto3.Session(region_name=region(region_name))


def client(service: str, region_name: str | None = None) -> Any:
    """A boto3 client; endpoints are resolved per call so tests can repoint the environment."""
    from botocore.config import Config

    cfg = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5)
    return session(region_name).client(service, config=cfg)  # type: ignore[call-overload]


@lru_cache(maxsize=1)
def error_types() -> tuple[type[BaseException], ...]:
    """botocore's (BotoCoreError, ClientError), imported on first use."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def endpoint_url(service: str, env: Mapping[str, str] | None = None) -> str | None:
    """`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, from `env` (default: this
    process's environment); None when neither is set."""
    env = os.environ if env is None else env
    return env.get(f"AWS_ENDPOINT_URL_{service.upper()}") or env.get("AWS_ENDPOINT_URL")


def caller_identity(region_name: str | None = None) -> dict[str, str]:
    """`sts get-caller-identity`, or one clear error when credentials or endpoint are wrong."""
    try:
        ident = client("sts", region_name).get_caller_identity()
    except error_types() as exc:
        endpoint = endpoint_url("sts")
        where = f" at {endpoint}" if endpoint else ""
        raise UsageError(
            f"AWS credentials do not work{where}: {exc}",
            hint="set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "(ENV=local: run `flotilla local up`)",
        ) from None
    return {"account": ident["Account"], "arn": ident["Arn"], "user_id": ident["UserId"]}


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError, or ''."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
