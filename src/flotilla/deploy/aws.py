"""The one place that creates boto3 sessions and clients.

Endpoints come from the standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` settings,
which boto3 honours itself, so the same code talks to AWS or to the emulator.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flotilla.errors import UsageError

if TYPE_CHECKING:
    import boto3

ASSUME_SECONDS = 3600  # an assumed role's credentials; longer needs the role's MaxSessionDuration


def _region_in(env: Mapping[str, str]) -> str | None:
    return env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None


def region(default: str | None = None) -> str:
    """AWS_REGION, then AWS_DEFAULT_REGION, then flotilla.toml's `[project] region`."""
    if value := _region_in(os.environ):
        return value
    return default or _project_region()


def _project_region() -> str:
    from flotilla.project import load_project

    return load_project().config.project.region


def session(region_name: str | None = None) -> boto3.Session:
    import boto3

    return boto3.Session(region_name=region(region_name))


def _config() -> Any:
    from botocore.config import Config

    return Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5)


def client(service: str, region_name: str | None = None) -> Any:
    """A boto3 client of the process environment's account (no environment's role);
    endpoints are resolved per call so tests can repoint the environment."""
    return session(region_name).client(service, config=_config())  # type: ignore[call-overload]


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
    return _identity(client("sts", region_name), endpoint_url("sts"))


def _identity(sts: Any, endpoint: str | None) -> dict[str, str]:
    try:
        ident = sts.get_caller_identity()
    except error_types() as exc:
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


@dataclass(frozen=True)
class Role:
    """The role an environment's file names (role_arn, external_id, session_name)."""

    arn: str
    session_name: str
    external_id: str | None = None
    source: str = ""  # the file that names it, for messages


def _refreshable(assume: Callable[[], dict[str, Any]]) -> Any:
    """An assumed role's credentials that botocore renews before they expire (a deploy may
    outlast ASSUME_SECONDS); the first AssumeRole runs now, so a refusal stops the command
    before anything is built."""
    from botocore.credentials import RefreshableCredentials

    def metadata() -> dict[str, str]:
        c = assume()
        expiry = c["Expiration"]
        return {
            "access_key": c["AccessKeyId"],
            "secret_key": c["SecretAccessKey"],
            "token": c["SessionToken"],
            "expiry_time": expiry.isoformat() if hasattr(expiry, "isoformat") else str(expiry),
        }

    return RefreshableCredentials.create_from_metadata(metadata(), metadata, "sts-assume-role")


def _botocore_session(credentials: Any) -> Any:
    """A botocore session whose every client signs with `credentials`."""
    from botocore.session import get_session

    session = get_session()
    # No public setter yet (boto/botocore#1742); botocore's set_credentials fills this field.
    session._credentials = credentials  # type: ignore[attr-defined]
    return session


class Account:
    """One AWS account as this process reaches it: a boto3 session (with the environment's
    role assumed when its file names one), the endpoints, and the same for Terraform.

    `settings` is read, never written: the process environment by default, with what a
    local target lays over it. Plain AWS_* variables and profiles keep working, because the
    base session is boto3's own default chain over them."""

    def __init__(
        self,
        region: str | None = None,
        settings: Mapping[str, str] | None = None,
        role: Role | None = None,
    ) -> None:
        self.settings: dict[str, str] = dict(os.environ if settings is None else settings)
        self.region = region or _region_in(self.settings) or _project_region()
        self.role = role
        self._session: boto3.Session | None = None
        self._credentials: Any = None  # botocore's RefreshableCredentials of the role
        self._identity: dict[str, str] | None = None

    def endpoint_url(self, service: str) -> str | None:
        return endpoint_url(service, self.settings)

    def _base(self) -> boto3.Session:
        import boto3

        s = self.settings
        if s.get("AWS_PROFILE") or not s.get("AWS_ACCESS_KEY_ID"):
            # boto3's own chain: the profile, else the instance or container role, SSO, ...
            return boto3.Session(profile_name=s.get("AWS_PROFILE") or None, region_name=self.region)
        return boto3.Session(
            aws_access_key_id=s["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=s.get("AWS_SECRET_ACCESS_KEY"),
            aws_session_token=s.get("AWS_SESSION_TOKEN") or None,
            region_name=self.region,
        )

    def session(self) -> boto3.Session:
        """The session every client of this account comes from; the role is assumed once."""
        if self._session is not None:
            return self._session
        base = self._base()
        if self.role is None:
            self._session = base
            return base
        import boto3

        if self._holds(base, self.role):  # CI already assumed it (OIDC): no chaining to itself
            self._session = base
            return base
        role = self.role
        self._credentials = _refreshable(lambda: self._assume(base, role))
        session = _botocore_session(self._credentials)
        self._session = boto3.Session(botocore_session=session, region_name=self.region)
        return self._session

    def _holds(self, base: boto3.Session, role: Role) -> bool:
        """True when the base credentials already are a session of `role` (an assumed-role
        ARN names the role without its path)."""
        sts = base.client("sts", endpoint_url=self.endpoint_url("sts"), config=_config())
        try:
            ident = sts.get_caller_identity()
        except error_types():
            return False  # the AssumeRole below then says what is wrong
        parts = role.arn.split(":")
        partition, account, name = parts[1], parts[4], role.arn.rsplit("/", 1)[-1]
        arn = str(ident["Arn"])
        if not arn.startswith(f"arn:{partition}:sts::{account}:assumed-role/{name}/"):
            return False
        # `identity()` would ask the same question of the same credentials: keep the answer.
        self._identity = {"account": ident["Account"], "arn": arn, "user_id": ident["UserId"]}
        return True

    def _assume(self, base: boto3.Session, role: Role) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "RoleArn": role.arn,
            "RoleSessionName": role.session_name,
            "DurationSeconds": ASSUME_SECONDS,
        }
        if role.external_id:
            kwargs["ExternalId"] = role.external_id
        sts = base.client("sts", endpoint_url=self.endpoint_url("sts"), config=_config())
        try:
            creds: dict[str, Any] = dict(sts.assume_role(**kwargs)["Credentials"])
        except error_types() as exc:
            where = f"{role.source}: key `role_arn` = {role.arn!r}: " if role.source else ""
            raise UsageError(
                f"{where}cannot assume role {role.arn} with the current AWS credentials: "
                f"{exc}; nothing was built or applied",
                hint="the caller needs sts:AssumeRole on the role, and the role's trust policy "
                "must name the caller (and the external_id, when the file sets one)",
            ) from None
        return creds

    def client(self, service: str, region_name: str | None = None) -> Any:
        return self.session().client(  # type: ignore[call-overload]
            service,
            region_name=region_name or self.region,
            endpoint_url=self.endpoint_url(service),
            config=_config(),
        )

    def run_env(self) -> dict[str, str]:
        """The process environment for Terraform (and any AWS CLI) to reach the same account:
        the settings, with the assumed role's credentials instead of a profile."""
        self.session()
        env = dict(self.settings)
        if self._credentials is not None:  # fresh for this run (renewed near their expiry)
            frozen = self._credentials.get_frozen_credentials()
            env.pop("AWS_PROFILE", None)
            env["AWS_ACCESS_KEY_ID"] = frozen.access_key
            env["AWS_SECRET_ACCESS_KEY"] = frozen.secret_key
            env["AWS_SESSION_TOKEN"] = frozen.token or ""
        return env

    def identity(self) -> dict[str, str]:
        """`sts get-caller-identity` of this account's session, once; or one clear error."""
        if self._identity is None:
            self._identity = _identity(self.client("sts"), self.endpoint_url("sts"))
        return self._identity
