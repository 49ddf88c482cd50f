"""The environment a command acts on, as this process reaches it: its AWS account (the role
assumed), the registry images go to, where rollouts are read, the smoke base URL and the
traffic metrics.

Validation builds one per command and carries it through the pipeline (`Context.target`), so
no setting travels through `os.environ`. This module is the AWS implementation;
`flotilla.local.target` points the same calls at the emulator, the registry and the local
runtime. A composition root (the CLI) picks one through a `Connect`: `deploy/` never imports
`local/`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flotilla.deploy.aws import Account, Role
from flotilla.errors import FlotillaError, UsageError

if TYPE_CHECKING:
    from flotilla.deploy.ecr import Ecr
    from flotilla.deploy.environments import Environment
    from flotilla.deploy.ledger import Ledger
    from flotilla.deploy.metrics import TrafficMetrics
    from flotilla.deploy.status import RolloutSource
    from flotilla.deploy.terraform import Terraform
    from flotilla.project import Project

STATUS_SOURCES = ("ecs", "local")


def role_of(environment: Environment) -> Role | None:
    spec = environment.spec
    if not spec.role_arn:
        return None
    return Role(
        spec.role_arn,
        spec.session_name or f"flotilla-{environment.project}-{environment.name}"[:64],
        spec.external_id,
        str(environment.path),
    )


class Target:
    """An environment of kind `aws`: its account through `role_arn` when the file names one,
    else through the standard AWS_* variables and profiles."""

    def __init__(
        self,
        project: Project,
        environment: Environment,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.project = project
        self.environment = environment
        self.settings: dict[str, str] = dict(os.environ if settings is None else settings)
        self.account = Account(environment.spec.region, self.settings, self.role())
        self._environments: Mapping[str, Environment] | None = None
        self._image_account: Account | None = None

    def environments(self) -> Mapping[str, Environment]:
        """Every environment file, read once per target (the promotion chain needs them)."""
        if self._environments is None:
            from flotilla.deploy.environments import load_all

            self._environments = load_all(self.project)
        return self._environments

    def role(self) -> Role | None:
        """The role this target's account is reached with: the file's `role_arn`."""
        return role_of(self.environment)

    @property
    def name(self) -> str:
        return self.environment.name

    @property
    def cluster(self) -> str:
        return f"{self.project.name}-{self.name}"

    @property
    def registry(self) -> str | None:
        """host[:port] images are pushed to instead of ECR's own (FLOTILLA_REGISTRY), or None."""
        value = self.settings.get("FLOTILLA_REGISTRY", "").strip()
        if value and not re.fullmatch(r"[A-Za-z0-9.-]+(:\d{1,5})?", value):
            raise UsageError(
                f"FLOTILLA_REGISTRY={value!r} must be host[:port], e.g. 127.0.0.1:5000 "
                "(no scheme, no path)"
            )
        return value or None

    def check(self) -> None:
        """The target's own settings, read before anything happens: exit 2 for a bad one."""
        _ = self.registry
        self.status_kind()
        self.image_source()

    def image_source(self) -> Environment:
        """The environment whose account holds this one's images (see `image_source`)."""
        return image_source(self.project, self.environment, self.environments())

    def image_account(self) -> Account:
        """The registry account, reached with its environment's role (assumed once per
        target); this environment's own account when they are one (or when the source names
        no account)."""
        if self._image_account is None:
            source = self.image_source()
            own = self.environment.spec.account
            if source.name == self.name or source.spec.account in (None, own):
                self._image_account = self.account
            else:
                self._image_account = Account(source.spec.region, self.settings, role_of(source))
        return self._image_account

    def pull_accounts(self) -> tuple[str, ...]:
        """Every other account whose environments run images from this one's registry."""
        return pull_accounts(self.project, self.environment, self.environments())

    def ecr(self) -> Ecr:
        """The project's ECR in the registry account, pushing to this target's registry;
        its repositories let the other environments' accounts pull."""
        from flotilla.deploy.ecr import Ecr

        return Ecr(
            self.project.name,
            account=self.image_account(),
            registry=self.registry,
            pull_accounts=self.pull_accounts(),
        )

    def ledger(self) -> Ledger:
        """This environment's ledger, in its state bucket in this account."""
        from flotilla.deploy.ledger import Ledger

        return Ledger.of(self.project, self.name, self.account)

    def terraform(self, **kwargs: Any) -> Terraform:
        from flotilla.deploy.terraform import Terraform

        return Terraform(self.project, self.name, account=self.account, **kwargs)

    @property
    def smoke_url(self) -> str | None:
        """The smoke and verify base URL when not the ALB's own (FLOTILLA_SMOKE_URL)."""
        return self.settings.get("FLOTILLA_SMOKE_URL", "").strip() or None

    def status_kind(self) -> str:
        kind = self.settings.get("FLOTILLA_STATUS_SOURCE") or self.default_status
        if kind not in STATUS_SOURCES:
            raise UsageError(
                f"FLOTILLA_STATUS_SOURCE={kind!r}: allowed: {', '.join(STATUS_SOURCES)}"
            )
        return kind

    default_status = "ecs"

    def status_source(self) -> RolloutSource:
        """Where rollouts are read: ECS (FLOTILLA_STATUS_SOURCE=local needs a local target)."""
        if self.status_kind() != "ecs":
            raise UsageError(
                f"FLOTILLA_STATUS_SOURCE=local: environment {self.name!r} is of kind aws",
                hint="unset FLOTILLA_STATUS_SOURCE",
            )
        from flotilla.deploy.ecs_status import EcsStatusSource

        return EcsStatusSource(self.account)

    def metrics(self) -> TrafficMetrics:
        """Traffic metrics for verify: the ALB's CloudWatch sums."""
        from flotilla.deploy.cloudwatch import CloudWatchMetrics

        return CloudWatchMetrics(account=self.account)


def chain(environment: Environment, found: Mapping[str, Environment]) -> list[Environment]:
    """`environment`, then what it promotes from, and so on: the first one is last."""
    out = [environment]
    while (source := out[-1].spec.promotes_from) and source in found:
        if found[source] in out:
            break  # a cycle is load_all's error; here it ends the walk
        out.append(found[source])
    return out


def image_source(
    project: Project, environment: Environment, found: Mapping[str, Environment]
) -> Environment:
    """The environment whose account holds `environment`'s images: images are built once and
    pushed to one registry account, flotilla.toml's `[project] registry_account`, by default
    the account of the first environment of the promotion chain."""
    links = chain(environment, found)
    wanted = project.config.project.registry_account
    if wanted is None:
        return links[-1]
    for env in reversed(links):
        if env.spec.account == wanted:
            return env
    raise UsageError(
        f"flotilla.toml: key `project.registry_account` = {wanted!r}: no environment in "
        f"environment {environment.name}'s promotion chain ({', '.join(e.name for e in links)}) "
        "is in "
        "that account, so none has a role to push images there with",
        hint="set account_id (or role_arn) of the first environment to it, or unset it",
    )


def pull_accounts(
    project: Project, environment: Environment, found: Mapping[str, Environment]
) -> tuple[str, ...]:
    """The accounts, other than the registry account, of every environment of kind aws whose
    images come from `environment`'s registry account: what its repository policies name."""
    home = image_source(project, environment, found).spec.account
    if home is None:
        return ()
    accounts = {
        e.spec.account
        for e in found.values()
        if e.kind == "aws" and image_source(project, e, found).spec.account == home
    }
    return tuple(sorted(a for a in accounts if a and a != home))


Connect = Callable[["Project", "Environment"], Target]


def connect_aws(project: Project, environment: Environment) -> Target:
    """The `Connect` for callers that know only AWS (kind local needs the CLI's)."""
    if environment.kind != "aws":
        raise FlotillaError(
            f"environment {environment.name!r} is of kind {environment.kind}: run it through "
            "the flotilla command, which supplies the local runtime"
        )
    return Target(project, environment)
