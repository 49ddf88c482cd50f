"""Auto ECR: a repository per service, a lifecycle policy, login, and push-what-is-missing.

Tags are IMMUTABLE, so "the image an environment runs" cannot be a moving `deployed-<env>`
tag. Each release instead adds its own immutable tag `deployed-<env>-<n>` (n = the ledger's
release number) and the lifecycle policy's first rule claims every `deployed-` image, so the
later count and age rules can never expire it. When the ledger forgets an old release it
removes that tag, and the image falls back under the count rule (see docs/deploy.md).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from flotilla.deploy import aws
from flotilla.deploy.registry_api import MANIFEST_TYPES, RegistryApi
from flotilla.errors import FlotillaError, UsageError

KEEP_IMAGES = 30  # per repository, besides the ones a release still points to
UNTAGGED_DAYS = 7
DEPLOYED_PREFIX = "deployed-"


def repository_name(project: str, service: str) -> str:
    return f"{project}/{service}"


def deployed_tag(env: str, release: int) -> str:
    return f"{DEPLOYED_PREFIX}{env}-{release}"


PULL_SID = "FlotillaPullByEnvironmentAccounts"
PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


def pull_policy(accounts: tuple[str, ...]) -> str:
    """A repository policy letting exactly `accounts` pull (their task execution roles; each
    account's IAM still decides which of its principals may)."""
    statement = {
        "Sid": PULL_SID,
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in sorted(accounts)]},
        "Action": list(PULL_ACTIONS),
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def lifecycle_policy(keep: int = KEEP_IMAGES) -> str:
    # An image matched by a rule's tag selection cannot be expired by a lower-priority rule:
    # rule 1 claims every release-tagged image and only "expires" beyond 10,000 of them.
    rules = [
        {
            "rulePriority": 1,
            "description": "never expire an image a release points to (deployed-<env>-<n>)",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": [DEPLOYED_PREFIX],
                "countType": "imageCountMoreThan",
                "countNumber": 10000,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"expire untagged images after {UNTAGGED_DAYS} days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": UNTAGGED_DAYS,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 3,
            "description": f"keep the last {keep} images",
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": keep,
            },
            "action": {"type": "expire"},
        },
    ]
    return json.dumps({"rules": rules}, indent=2, sort_keys=True)


@dataclass(frozen=True)
class Login:
    """Where to push and with what: ECR's proxy endpoint, or FLOTILLA_REGISTRY's host."""

    host: str
    user: str
    password: str
    overridden: bool  # pushes go to a separate real registry; ECR is told about them

    @property
    def auth(self) -> dict[str, str]:
        return {"username": self.user, "password": self.password}


@dataclass
class PushResult:
    service: str
    repository: str
    digest: str
    image: str  # what tasks run: <host>/<repository>@<digest>
    pushed: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # tags the repository already had
    clashes: list[str] = field(default_factory=list)  # tag exists for another digest


class Ecr:
    """ECR for one project, through the one boto3 client factory."""

    def __init__(
        self,
        project: str,
        keep: int = KEEP_IMAGES,
        *,
        account: aws.Account | None = None,
        registry: str | None = None,
        pull_accounts: tuple[str, ...] = (),
    ) -> None:
        """`registry`: host[:port] pushed to instead of ECR's own (a registry beside the
        emulator). Without an account, both come from the process environment.
        `pull_accounts`: the other accounts whose environments run these images; each
        repository's policy lets exactly those pull."""
        self.project = project
        self.keep = keep
        self.client: Any = (account or aws.Account()).client("ecr")
        if account is None and registry is None:
            registry = os.environ.get("FLOTILLA_REGISTRY", "").strip() or None
        self.registry = registry
        self.pull_accounts = tuple(sorted(set(pull_accounts)))

    # --- repositories -------------------------------------------------------------------
    def ensure_repository(self, service: str) -> dict[str, Any]:
        """Create (or converge) `<project>/<service>`: immutable, scanned, encrypted."""
        name = repository_name(self.project, service)
        try:
            repo: dict[str, Any] = self.client.create_repository(
                repositoryName=name,
                imageTagMutability="IMMUTABLE",
                imageScanningConfiguration={"scanOnPush": True},
                encryptionConfiguration={"encryptionType": "AES256"},
                tags=[{"Key": "flotilla:project", "Value": self.project}],
            )["repository"]
        except self.client.exceptions.RepositoryAlreadyExistsException:
            repo = self.client.describe_repositories(repositoryNames=[name])["repositories"][0]
            if repo.get("imageTagMutability") != "IMMUTABLE":
                self.client.put_image_tag_mutability(
                    repositoryName=name, imageTagMutability="IMMUTABLE"
                )
            if not repo.get("imageScanningConfiguration", {}).get("scanOnPush"):
                self.client.put_image_scanning_configuration(
                    repositoryName=name, imageScanningConfiguration={"scanOnPush": True}
                )
        policy = lifecycle_policy(self.keep)
        try:
            current = self.client.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
        except self.client.exceptions.LifecyclePolicyNotFoundException:
            current = None
        if current is None or json.loads(current) != json.loads(policy):
            self.client.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=policy)
        self._converge_pull_policy(name)
        return repo

    def _converge_pull_policy(self, name: str) -> None:
        """The repository policy: pulls by exactly `pull_accounts`. With none, a policy of
        ours (from when other accounts pulled) is removed; anyone else's is left alone."""
        try:
            current = self.client.get_repository_policy(repositoryName=name)["policyText"]
        except self.client.exceptions.RepositoryPolicyNotFoundException:
            current = None
        if not self.pull_accounts:
            if current is not None and PULL_SID in current:
                self.client.delete_repository_policy(repositoryName=name)
            return
        wanted = pull_policy(self.pull_accounts)
        if current is None or json.loads(current) != json.loads(wanted):
            self.client.set_repository_policy(repositoryName=name, policyText=wanted)

    def tags(self, service: str) -> dict[str, str]:
        """Every tag in the service's repository -> its digest ({} when there is no repo)."""
        name = repository_name(self.project, service)
        found: dict[str, str] = {}
        try:
            for page in self.client.get_paginator("describe_images").paginate(repositoryName=name):
                for img in page["imageDetails"]:
                    for tag in img.get("imageTags", []):
                        found[tag] = img["imageDigest"]
        except self.client.exceptions.RepositoryNotFoundException:
            return {}
        return found

    def digest_of(self, service: str, tag: str) -> str:
        """The digest `tag` names; an unknown tag is a usage error listing what exists."""
        tags = self.tags(service)
        if tag not in tags:
            known = sorted(t for t in tags if not t.startswith(DEPLOYED_PREFIX))
            shown = ", ".join(known[-8:]) or "none"
            raise UsageError(
                f"tag {tag!r} does not exist in repository "
                f"{repository_name(self.project, service)}; known tags: {shown}"
            )
        return tags[tag]

    # --- login and push -------------------------------------------------------------------
    def login(self) -> Login:
        data = self.client.get_authorization_token()["authorizationData"][0]
        user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        if self.registry:
            return Login(self.registry, user, password, overridden=True)
        host = urlparse(data["proxyEndpoint"]).netloc or data["proxyEndpoint"]
        return Login(host, user, password, overridden=False)

    def image_ref(self, login: Login, service: str, digest: str) -> str:
        return f"{login.host}/{repository_name(self.project, service)}@{digest}"

    def add_tag(self, login: Login, service: str, digest: str, tag: str) -> None:
        """Give an existing image one more (immutable) tag, without pulling or pushing layers."""
        name = repository_name(self.project, service)
        images = self.client.batch_get_image(
            repositoryName=name,
            imageIds=[{"imageDigest": digest}],
            acceptedMediaTypes=list(MANIFEST_TYPES),
        )["images"]
        if not images:
            raise FlotillaError(f"image {name}@{digest} is not in ECR")
        manifest = images[0]["imageManifest"]
        if login.overridden:
            RegistryApi(login).put_manifest(name, tag, manifest)
        with contextlib.suppress(self.client.exceptions.ImageAlreadyExistsException):
            self.client.put_image(
                repositoryName=name, imageManifest=manifest, imageTag=tag, imageDigest=digest
            )

    def remove_tag(self, service: str, tag: str) -> None:
        """Drop one tag; an image with other tags stays (ECR deletes only the tag)."""
        name = repository_name(self.project, service)
        self.client.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": tag}])
