"""Everything a deploy needs, checked before anything is built, pushed or applied.

Each check raises one UsageError (exit 2) naming what is wrong and what is allowed.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flotilla.deploy import preflight
from flotilla.deploy.preflight import CliValues
from flotilla.discovery import Service, discover, select
from flotilla.errors import FlotillaError, UsageError
from flotilla.project import Project

if TYPE_CHECKING:
    from flotilla.deploy.aws import Account
    from flotilla.deploy.environments import Environment
    from flotilla.deploy.target import Connect, Target

TF_REGISTRY = "https://registry.terraform.io/.well-known/terraform.json"


@dataclass
class Context:
    """What validation resolved; every later step reads it instead of asking again."""

    project: Project
    env: str
    services: list[Service]  # every service, the environment's overrides applied
    selected: list[str]  # the services a command acts on (all by default)
    target: Target  # how this process reaches the environment (account, registry, status)
    identity: dict[str, str] = field(default_factory=dict)
    docker: Any = None

    @property
    def environment(self) -> Environment:
        """environments/<env>.toml, validated."""
        return self.target.environment

    @property
    def env_dir(self) -> Path:
        return self.project.build_dir / self.env

    @property
    def deployer(self) -> str:
        """Who a release is recorded as: the caller identity's ARN."""
        return self.identity.get("arn", "unknown")

    @property
    def account(self) -> str:
        return self.identity.get("account", "")

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)


def check_env(project: Project, env: str) -> Environment:
    """`env`'s validated settings (environments/<env>.toml), or a UsageError (exit 2)."""
    from flotilla.deploy.environments import get

    return get(project, env)


def target_for(project: Project, env: str, connect: Connect | None = None) -> Target:
    """`env`'s settings checked (exit 2 for an undefined one), and the target `connect` (the
    composition root's) makes of them; without one, only kind aws can be reached."""
    from flotilla.deploy.target import connect_aws

    return (connect or connect_aws)(project, check_env(project, env))


def reach(project: Project, env: str, connect: Connect | None = None) -> Target:
    """For commands that only read (status, releases, unlock, ...): the target, its settings
    and its credentials checked, and of the account the environment names."""
    target = target_for(project, env, connect)
    target.check()
    check_account(target.environment, target.account.identity())
    return target


def check_account(environment: Environment, identity: dict[str, str]) -> None:
    """The credentials are for the account the environment names (account_id, or role_arn's).

    Without this a deploy to an environment in its own account would go, unasked, to whichever
    account the shell's credentials are for. With `role_arn` the role was assumed first, so
    this checks the role's account."""
    spec = environment.spec
    if not (spec.account_id or spec.role_arn):
        return  # no account named: the credentials' own (documented default)
    expected = spec.account
    if expected is None or identity["account"] == expected:
        return
    key, value = ("account_id", spec.account_id) if spec.account_id else ("role_arn", spec.role_arn)
    hint = f"run with credentials of account {expected}"
    if spec.role_arn and not spec.account_id:  # an identity that did not come from the role
        hint = f"assume {spec.role_arn} first, or let Flotilla's commands assume it"
    raise UsageError(
        f"{environment.path}: key `{key}` = {value!r}: environment {environment.name!r} is "
        f"account {expected}, but the AWS credentials are for account {identity['account']} "
        f"({identity['arn']}); nothing was built or applied",
        hint=hint,
    )


def check_services(project: Project, env: str, names: list[str] | None) -> list[Service]:
    services = discover(project.services_dir)
    if not services:
        raise UsageError(f"no services found in {project.services_dir} (services/*/service.toml)")
    select(services, names)  # unknown names are an error listing the known ones
    return [Service(s.manifest.for_env(env), s.root, s.source) for s in services]


def check_terraform(project: Project) -> None:
    """Preflight checked the binary and the plugin directory; without a plugin directory
    the Terraform registry must answer."""
    if project.tf_plugin_dir:
        return
    try:
        urllib.request.urlopen(TF_REGISTRY, timeout=5).close()
    except (urllib.error.URLError, OSError) as exc:
        raise UsageError(
            f"the Terraform registry is unreachable ({exc}) and no plugin directory is set",
            hint="set flotilla.toml [terraform].plugin_dir (or FLOTILLA_TF_PLUGIN_DIR) to a "
            "directory holding the hashicorp/aws provider",
        ) from None


def check_account_quotas(account: Account, services: list[Service]) -> None:
    """Quotas an account can raise, read from the account (`elbv2 describe-account-limits`)."""
    from flotilla.deploy import aws
    from flotilla.deploy.preflight.limits import account_quotas, check_quotas

    try:
        quotas = account_quotas(account)
    except aws.error_types() as exc:
        raise UsageError(f"cannot read the account's load balancer quotas: {exc}") from None
    lines = check_quotas(services, quotas, "this account's quota")
    if lines:
        raise UsageError("\n".join(lines))


def check_registry_login(target: Target) -> None:
    """Registry credentials work before anything is built (ECR's authorization token)."""
    from flotilla.deploy import aws
    from flotilla.deploy.registry_api import RegistryApi

    try:
        login = target.ecr().login()
    except aws.error_types() as exc:
        raise UsageError(
            f"cannot get registry credentials (ecr get-authorization-token): {exc}",
            hint="the deploying identity needs ecr:GetAuthorizationToken",
        ) from None
    if login.overridden:  # a registry beside an emulated ECR: it must answer, and take them
        RegistryApi(login).ping()


def docker_client() -> Any:
    """A docker SDK client that answers ping, or a usage error (exit 2)."""
    from flotilla.deploy.build import docker_client as build_client

    try:
        return build_client()
    except FlotillaError as exc:
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        raise UsageError(f"{exc.message} (DOCKER_HOST={host})", hint=exc.hint) from None


def validate(
    project: Project,
    cli: CliValues,
    *,
    need_docker: bool = True,
    read_manifests: bool = True,
    connect: Connect | None = None,
) -> Context:
    """Preflight first (every offline rule, all violations at once), then the checks that
    need the outside world, cheapest first; the first of those to fail is reported.

    Without `read_manifests` (rollback: the ledger is its input) no manifest is read, so a
    broken one elsewhere in the tree cannot block it; `services` is then empty."""
    preflight.run(project, cli, manifests=read_manifests)
    env = cli.env
    services = list(cli.services) or None
    target = target_for(project, env, connect)
    environment = target.environment
    resolved = check_services(project, env, services) if read_manifests else []
    target.check()  # its own settings (a malformed FLOTILLA_REGISTRY, ...): exit 2
    identity = target.account.identity()  # the role, when the file names one, is assumed here
    check_account(environment, identity)
    if environment.kind != "local":  # ENV=local keeps the documented defaults preflight used
        check_account_quotas(target.account, resolved)
    if need_docker:
        check_registry_login(target)
    check_terraform(project)
    client = docker_client() if need_docker else None
    return Context(
        project,
        env,
        resolved,
        list(services or [s.name for s in resolved]),
        target,
        identity,
        client,
    )
