"""staging in account 111111111111, prod in 222222222222, each reached through its own role:
bootstrap both, deploy staging, promote to prod, end to end through the real CLI, terraform,
docker-registry and a moto server of its own.

Moto keeps resources per account when calls come through `sts:AssumeRole` into another
account id (checked first, below). It does not enforce repository policies, so the policy
document itself is checked. ECS starts no tasks in moto: MOTO_ECS_SERVICE_RUNNING=1 makes it
report the services running, read through the real ECS status source; the smoke test is
skipped (moto's ALB routes nothing; ENV=local makes it real elsewhere).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from flotilla.local.emulator import Emulator
from flotilla.local.registry import LocalRegistry
from flotilla.process import free_port
from tests.fixtures.base import emulator_client, point_aws_at, run_cli
from tests.fixtures.images import IGNORE, REPO, commit, copy_repo

pytestmark = [pytest.mark.docker, pytest.mark.terraform, pytest.mark.slow]

STAGING, PROD = "111111111111", "222222222222"
ROLE = "arn:aws:iam::{}:role/flotilla-deploy"
TERRAFORM = """
[terraform]
az_count = 2
nat_gateway_mode = "single"
alb_deletion_protection = false
log_retention_days = 7
deregistration_delay = 5
emulator_compat = true
skip_credentials_validation = true
skip_requesting_account_id = false
skip_metadata_api_check = true
s3_use_path_style = true
"""


def environment_file(name: str, account: str, promotes_from: str | None) -> str:
    source = f'promotes_from = "{promotes_from}"\n' if promotes_from else ""
    return (
        f'name = "{name}"\nkind = "aws"\nregion = "us-east-1"\n'
        f'role_arn = "{ROLE.format(account)}"\nallow_http = true\n{source}'
        f'[state]\nbucket = "acct-tfstate-{name}"\nkey = "flotilla/{name}/terraform.tfstate"\n'
        f"{TERRAFORM}"
    )


@dataclass
class Accounts:
    root: Path
    emulator: Emulator
    registry: LocalRegistry
    base_image: str

    def client(self, account: str, service: str) -> Any:
        """A client in `account`, through an assumed role as Flotilla's own are."""
        creds = emulator_client(self.emulator, "sts").assume_role(
            RoleArn=ROLE.format(account), RoleSessionName="test-check"
        )["Credentials"]
        return boto3.client(
            service,
            endpoint_url=self.emulator.url,
            region_name="us-east-1",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    def run(self, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
        return run_cli(capsys, *argv)

    def clusters(self, account: str) -> list[str]:
        """The account's ACTIVE clusters (a deleted one stays listed, INACTIVE, as in AWS)."""
        ecs = self.client(account, "ecs")
        arns = ecs.list_clusters()["clusterArns"]
        found = ecs.describe_clusters(clusters=arns)["clusters"] if arns else []
        return sorted(c["clusterName"] for c in found if c["status"] == "ACTIVE")

    def buckets(self, account: str) -> list[str]:
        found = self.client(account, "s3").list_buckets()["Buckets"]
        return sorted(b["Name"] for b in found if b["Name"].startswith("acct-"))

    def repositories(self, account: str) -> list[str]:
        repos = self.client(account, "ecr").describe_repositories()["repositories"]
        return sorted(r["repositoryName"] for r in repos)

    def task_images(self, account: str, cluster: str) -> dict[str, str]:
        ecs = self.client(account, "ecs")
        out = {}
        for arn in ecs.list_services(cluster=cluster)["serviceArns"]:
            svc = ecs.describe_services(cluster=cluster, services=[arn])["services"][0]
            td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])
            out[svc["serviceName"]] = td["taskDefinition"]["containerDefinitions"][0]["image"]
        return out

    def ledger(self, account: str, env: str, service: str) -> list[dict[str, Any]]:
        key = f"flotilla/{env}/releases/flotilla/{service}.json"
        body = self.client(account, "s3").get_object(Bucket=f"acct-tfstate-{env}", Key=key)
        return list(json.loads(body["Body"].read())["history"])


@pytest.fixture(scope="module")
def accounts(
    tmp_path_factory: pytest.TempPathFactory, base_image: str, docker_engine: Any
) -> Iterator[Accounts]:
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("accounts")
    mp.setenv("MOTO_ECS_SERVICE_RUNNING", "1")  # read by the moto server at service creation
    emu = Emulator(port=free_port(), log_path=tmp / "moto.log").start()
    mp.delenv("MOTO_ECS_SERVICE_RUNNING")
    # The registry account's ECR token is the registry's password (moto: "<account>-auth-token").
    reg = LocalRegistry(free_port(), tmp / "registry", f"{STAGING}-auth-token").start()
    root = copy_repo(tmp / "repo")
    shutil.copytree(REPO / "infra", root / "infra", ignore=IGNORE)
    (root / "environments").mkdir()
    (root / "environments" / "staging.toml").write_text(environment_file("staging", STAGING, None))
    (root / "environments" / "prod.toml").write_text(environment_file("prod", PROD, "staging"))
    for manifest in (root / "services").glob("*/service.toml"):
        # moto reports MOTO_ECS_SERVICE_RUNNING tasks, whatever the desired count: one here.
        text = re.sub(r"(?m)^(count|min) = \d+$", r"\1 = 1", manifest.read_text())
        manifest.write_text(text)
    commit(root, "two accounts")
    point_aws_at(emu, mp, drop_all_aws=True)
    mp.setenv("FLOTILLA_ROOT", str(root))
    mp.setenv("FLOTILLA_REGISTRY", reg.host)
    mp.setenv("FLOTILLA_STATUS_SOURCE", "ecs")
    mp.setenv("FLOTILLA_TF_PLUGIN_DIR", os.environ.get("FLOTILLA_TF_PLUGIN_DIR", "/opt/tf-plugins"))
    mp.delenv("CI", raising=False)
    mp.setenv("COLUMNS", "220")
    yield Accounts(root, emu, reg, base_image)
    mp.undo()
    reg.stop()
    emu.stop()


def test_0_the_emulator_keeps_resources_per_assumed_account(accounts: Accounts) -> None:
    a, b = accounts.client(STAGING, "sqs"), accounts.client(PROD, "sqs")
    a.create_queue(QueueName="acct-probe")
    assert accounts.client(STAGING, "sts").get_caller_identity()["Account"] == STAGING
    assert [u.rsplit("/", 1)[-1] for u in a.list_queues().get("QueueUrls", [])] == ["acct-probe"]
    assert b.list_queues().get("QueueUrls", []) == []
    a.delete_queue(QueueUrl=a.get_queue_url(QueueName="acct-probe")["QueueUrl"])


def test_1_bootstrap_makes_each_state_bucket_in_its_own_account(
    accounts: Accounts, capsys: pytest.CaptureFixture[str]
) -> None:
    for env, account in (("staging", STAGING), ("prod", PROD)):
        code, out = accounts.run(capsys, "env", "bootstrap", env, "--json")
        assert code == 0, out
        assert json.loads(out)["account"] == account
    assert accounts.buckets(STAGING) == ["acct-tfstate-staging"]
    assert accounts.buckets(PROD) == ["acct-tfstate-prod"]


def test_2_deploy_staging_in_its_account(
    accounts: Accounts, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = accounts.run(
        capsys,
        "deploy",
        "--env",
        "staging",
        "--yes",
        "--skip-smoke",
        "--timeout",
        "120",
        "--base-image",
        accounts.base_image,
    )
    assert code == 0, out
    assert accounts.clusters(STAGING) == ["flotilla-staging"]


def test_3_promote_runs_the_same_digest_in_prods_account_with_prods_role(
    accounts: Accounts, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = accounts.run(
        capsys, "promote", "--from", "staging", "--to", "prod", "--yes", "--skip-smoke"
    )
    assert code == 0, out

    names = sorted(p.parent.name for p in (accounts.root / "services").glob("*/service.toml"))
    staged = accounts.task_images(STAGING, "flotilla-staging")
    promoted = accounts.task_images(PROD, "flotilla-prod")
    assert sorted(staged) == sorted(promoted) == names
    for name in names:
        (s_rel,) = accounts.ledger(STAGING, "staging", name)
        (p_rel,) = accounts.ledger(PROD, "prod", name)
        # prod runs exactly the digest staging's ledger recorded, and its tasks say so
        assert p_rel["digest"] == s_rel["digest"] and p_rel["kind"] == "promote"
        assert staged[name] == promoted[name] == s_rel["image"]
        assert s_rel["image"].endswith(f"@{s_rel['digest']}")
        # each ledger records the account its release ran in
        assert (s_rel["account"], p_rel["account"]) == (STAGING, PROD)
        assert f":{PROD}:" in p_rel["deployer"] and f":{STAGING}:" in s_rel["deployer"]


def test_4_images_live_once_in_the_registry_account_which_lets_exactly_prod_pull(
    accounts: Accounts,
) -> None:
    repos = accounts.repositories(STAGING)
    assert repos and all(r.startswith("flotilla/") for r in repos)
    assert accounts.repositories(PROD) == []
    ecr = accounts.client(STAGING, "ecr")
    for repo in repos:
        policy = json.loads(ecr.get_repository_policy(repositoryName=repo)["policyText"])
        (statement,) = policy["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{PROD}:root"]}
        assert sorted(statement["Action"]) == [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
        ]


def test_5_nothing_of_one_environment_exists_in_the_others_account(accounts: Accounts) -> None:
    assert accounts.clusters(STAGING) == ["flotilla-staging"]
    assert accounts.clusters(PROD) == ["flotilla-prod"]
    assert accounts.buckets(STAGING) == ["acct-tfstate-staging"]
    assert accounts.buckets(PROD) == ["acct-tfstate-prod"]
    for account, other in ((STAGING, "prod"), (PROD, "staging")):
        lbs = accounts.client(account, "elbv2").describe_load_balancers()["LoadBalancers"]
        assert not [lb for lb in lbs if other in lb["LoadBalancerName"]]
        assert all(not c.endswith(other) for c in accounts.clusters(account))


def test_6_env_destroy_goes_through_the_gate_and_destroys_only_that_environment(
    accounts: Accounts, capsys: pytest.CaptureFixture[str]
) -> None:
    # Critical resources (the load balancer, the cluster...) need --allow-destroy: exit 3.
    code, out = accounts.run(capsys, "env", "destroy", "prod", "--yes")
    assert code == 3, out
    assert "destroys or replaces critical resources" in out and "--allow-destroy" in out
    assert accounts.clusters(PROD) == ["flotilla-prod"]
    # staging's file cannot go while prod promotes from it: exit 2, nothing destroyed.
    code, out = accounts.run(capsys, "env", "destroy", "staging", "--yes", "--remove-file")
    assert code == 2, out
    assert "promote(s) from 'staging'; nothing was destroyed" in out
    assert accounts.clusters(STAGING) == ["flotilla-staging"]

    code, out = accounts.run(capsys, "env", "destroy", "prod", "--yes", "--allow-destroy")
    assert code == 0, out
    assert "destroyed" in out and "kept: the state bucket acct-tfstate-prod" in out
    assert accounts.clusters(PROD) == []
    assert accounts.client(PROD, "elbv2").describe_load_balancers()["LoadBalancers"] == []
    # staging runs on, untouched; prod's ledger stays in prod's bucket; the file stays
    assert accounts.clusters(STAGING) == ["flotilla-staging"]
    assert accounts.ledger(PROD, "prod", "orders")
    assert (accounts.root / "environments" / "prod.toml").is_file()
    # Nothing left to destroy: says so, exit 0.
    code, out = accounts.run(capsys, "env", "destroy", "prod", "--yes", "--allow-destroy")
    assert code == 0 and "prod runs nothing: nothing to destroy" in out, out
