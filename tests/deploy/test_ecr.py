"""Auto ECR against the emulator's ECR API and a real registry (docker-registry + htpasswd)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flotilla.deploy.ecr import Ecr, deployed_tag
from flotilla.deploy.push import push_tags
from flotilla.local.registry import LocalRegistry
from tests.fixtures.deploy import registry_tags, unique_project

pytestmark = pytest.mark.docker


def test_repository_is_immutable_scanned_encrypted_with_lifecycle(ecr_env: dict[str, str]) -> None:
    project = unique_project()
    ecr = Ecr(project, keep=12)
    asked: list[dict[str, Any]] = []
    ecr.client.meta.events.register(
        "provide-client-params.ecr.CreateRepository", lambda params, **_: asked.append(params)
    )
    ecr.ensure_repository("orders")
    ecr.ensure_repository("orders")  # idempotent
    repo = ecr.client.describe_repositories(repositoryNames=[f"{project}/orders"])["repositories"][
        0
    ]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    # The emulator defaults to AES256 whatever is asked, so check the request Flotilla sent
    # as well as what the repository reports.
    assert asked, "ensure_repository sent no CreateRepository"
    assert all(a["encryptionConfiguration"] == {"encryptionType": "AES256"} for a in asked)
    assert repo["encryptionConfiguration"]["encryptionType"] == "AES256"
    policy = json.loads(
        ecr.client.get_lifecycle_policy(repositoryName=f"{project}/orders")["lifecyclePolicyText"]
    )
    rules = sorted(policy["rules"], key=lambda r: r["rulePriority"])
    # The deployed- rule comes first so the count rule can never expire a released image.
    assert rules[0]["selection"]["tagPrefixList"] == ["deployed-"]
    untagged = next(r for r in rules if r["selection"]["tagStatus"] == "untagged")
    assert (untagged["selection"]["countType"], untagged["selection"]["countNumber"]) == (
        "sinceImagePushed",
        7,
    )
    assert rules[-1]["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 12,
    }


def test_push_only_missing_tags_and_register_digest_in_ecr(
    ecr_env: dict[str, str], registry: LocalRegistry, docker_engine: Any, tiny_image: Any
) -> None:
    project = unique_project()
    tiny_image(f"{project}/api", "c-aaaa")
    docker_engine.api.tag(f"{project}/api:c-aaaa", f"{project}/api", "v1.0.0")
    ecr = Ecr(project)
    ecr.ensure_repository("api")
    login = ecr.login()
    assert login.host == registry.host and login.user == "AWS"

    first = push_tags(ecr, docker_engine, login, "api", f"{project}/api", ["c-aaaa", "v1.0.0"])
    assert first.pushed == ["c-aaaa", "v1.0.0"]
    assert first.image == f"{registry.host}/{project}/api@{first.digest}"
    # Both sides agree: the real registry holds the tags, ECR's API knows the same digest.
    assert registry_tags(registry, f"{project}/api") == ["c-aaaa", "v1.0.0"]
    assert ecr.tags("api") == {"c-aaaa": first.digest, "v1.0.0": first.digest}

    again = push_tags(ecr, docker_engine, login, "api", f"{project}/api", ["c-aaaa", "v1.0.0"])
    assert again.pushed == [] and again.digest == first.digest

    # New content, version not bumped: the content tag is pushed, v1.0.0 stays (immutable).
    tiny_image(f"{project}/api", "c-bbbb")
    docker_engine.api.tag(f"{project}/api:c-bbbb", f"{project}/api", "v1.0.0")
    third = push_tags(ecr, docker_engine, login, "api", f"{project}/api", ["c-bbbb", "v1.0.0"])
    assert third.pushed == ["c-bbbb"] and third.clashes == ["v1.0.0"]
    assert third.digest != first.digest
    assert ecr.tags("api")["v1.0.0"] == first.digest


def test_release_tags_are_added_without_push_and_removed_leaving_the_image(
    ecr_env: dict[str, str], registry: LocalRegistry, docker_engine: Any, tiny_image: Any
) -> None:
    project = unique_project()
    tiny_image(f"{project}/web", "c-1111")
    ecr = Ecr(project)
    ecr.ensure_repository("web")
    login = ecr.login()
    res = push_tags(ecr, docker_engine, login, "web", f"{project}/web", ["c-1111"])
    ecr.add_tag(login, "web", res.digest, deployed_tag("staging", 1))
    assert ecr.tags("web") == {"c-1111": res.digest, "deployed-staging-1": res.digest}
    assert "deployed-staging-1" in registry_tags(registry, f"{project}/web")
    ecr.remove_tag("web", "deployed-staging-1")
    assert ecr.tags("web") == {"c-1111": res.digest}


def test_unknown_tag_is_a_usage_error_listing_known_tags(ecr_env: dict[str, str]) -> None:
    from flotilla.errors import UsageError

    project = unique_project()
    ecr = Ecr(project)
    ecr.ensure_repository("api")
    with pytest.raises(UsageError, match=r"tag 'v9.9.9' does not exist in repository .*/api"):
        ecr.digest_of("api", "v9.9.9")


def test_the_registry_is_checked_before_anything_is_built(
    ecr_env: dict[str, str], registry: LocalRegistry
) -> None:
    """Preflight pings the real registry with ECR's credentials: it answers, takes them, or
    is named with its address."""
    from flotilla.deploy.ecr import Login
    from flotilla.deploy.registry_api import RegistryApi
    from flotilla.errors import FlotillaError
    from flotilla.process import free_port

    login = Ecr(unique_project()).login()
    assert login.overridden and login.host == registry.host
    RegistryApi(login).ping()  # answers and takes the credentials
    wrong = Login(login.host, login.user, "not-the-token", overridden=True)
    with pytest.raises(FlotillaError, match=r"/v2/ -> 401"):
        RegistryApi(wrong).ping()
    down = Login(f"127.0.0.1:{free_port()}", login.user, login.password, overridden=True)
    with pytest.raises(FlotillaError, match=rf"registry http://{down.host}/v2 is unreachable"):
        RegistryApi(down).ping()
