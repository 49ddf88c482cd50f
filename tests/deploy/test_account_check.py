"""An environment that names an account deploys only with credentials of that account.

Through the emulator: moto's STS answers `get-caller-identity` for the account a role was
assumed into, so both sides of the check are the real emulator's answers."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest

from flotilla.deploy import aws
from flotilla.deploy.environments import Environment, get
from flotilla.deploy.validate import check_account
from flotilla.errors import UsageError
from flotilla.project import load_project
from tests.fixtures.environments import write_environment

STAGING = "111111111111"
PROD = "222222222222"


def _environment(root: Path, top: str) -> Environment:
    write_environment(root, "staging", top)
    (root / "flotilla.toml").write_text('[project]\nname = "acct"\n')
    return get(load_project(root), "staging")


def _assume(account: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's credentials become a role's in `account` (as an AWS_PROFILE would)."""
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/flotilla-deploy", RoleSessionName="test"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])


def test_credentials_of_the_named_account_pass_and_of_another_fail(
    tmp_path: Path, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _environment(tmp_path, f'account_id = "{STAGING}"')
    caller = aws.caller_identity("us-east-1")
    assert caller["account"] != STAGING
    with pytest.raises(UsageError) as exc:
        check_account(env, caller)
    message = exc.value.message
    assert "environments/staging.toml: key `account_id` = '111111111111'" in message
    assert f"credentials are for account {caller['account']}" in message

    _assume(STAGING, monkeypatch)
    assumed = aws.caller_identity("us-east-1")
    assert assumed["account"] == STAGING
    check_account(env, assumed)


def test_a_role_arn_names_the_account_and_the_error_names_the_role(
    tmp_path: Path, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    role = f"arn:aws:iam::{PROD}:role/flotilla-deploy"
    env = _environment(tmp_path, f'role_arn = "{role}"')
    _assume(STAGING, monkeypatch)
    with pytest.raises(UsageError) as exc:
        check_account(env, aws.caller_identity("us-east-1"))
    assert f"key `role_arn` = '{role}'" in exc.value.message
    assert f"is account {PROD}, but the AWS credentials are for account {STAGING}" in (
        exc.value.message
    )
    assert exc.value.hint is not None and f"assume {role} first" in exc.value.hint

    _assume(PROD, monkeypatch)
    check_account(env, aws.caller_identity("us-east-1"))


def test_no_account_named_means_the_credentials_own(
    tmp_path: Path, aws_env: dict[str, str]
) -> None:
    env = _environment(tmp_path, "")
    check_account(env, aws.caller_identity("us-east-1"))


def test_the_target_assumes_the_files_role_with_its_session_name(
    tmp_path: Path, aws_env: dict[str, str]
) -> None:
    """Flotilla assumes role_arn itself: every client and Terraform's environment hold the
    role's credentials, and the identity the account check reads is the role's."""
    from flotilla.deploy.target import Target

    role = f"arn:aws:iam::{PROD}:role/flotilla-deploy"
    top = f'role_arn = "{role}"\nexternal_id = "ext-1234"\nsession_name = "release-bot"'
    env = _environment(tmp_path, top)
    target = Target(load_project(tmp_path), env)
    ident = target.account.identity()
    assert ident["account"] == PROD
    assert ident["arn"] == f"arn:aws:sts::{PROD}:assumed-role/flotilla-deploy/release-bot"
    check_account(env, ident)
    run_env = target.account.run_env()
    assert run_env["AWS_ACCESS_KEY_ID"] != aws_env["AWS_ACCESS_KEY_ID"]
    assert "AWS_PROFILE" not in run_env and run_env["AWS_SESSION_TOKEN"]
    # Terraform's credentials are the role's too: STS says so for them.
    sts = boto3.client(
        "sts",
        endpoint_url=run_env["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=run_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=run_env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=run_env["AWS_SESSION_TOKEN"],
    )
    assert sts.get_caller_identity()["Account"] == PROD
    # A resource made through the target lands in the role's account, not the caller's.
    target.account.client("sqs").create_queue(QueueName="made-through-the-role")
    assert not boto3.client("sqs").list_queues().get("QueueUrls")


def test_without_session_name_it_is_named_after_project_and_environment(
    tmp_path: Path, aws_env: dict[str, str]
) -> None:
    from flotilla.deploy.target import Target

    env = _environment(tmp_path, f'role_arn = "arn:aws:iam::{STAGING}:role/deploy"')
    ident = Target(load_project(tmp_path), env).account.identity()
    assert ident["arn"] == f"arn:aws:sts::{STAGING}:assumed-role/deploy/flotilla-acct-staging"


def test_credentials_that_already_are_the_role_are_used_as_they_are(
    tmp_path: Path, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI's OIDC step already assumed the role: Flotilla does not chain it to itself (which
    AWS refuses unless the role trusts itself)."""
    from flotilla.deploy.target import Target

    env = _environment(tmp_path, f'role_arn = "arn:aws:iam::{STAGING}:role/flotilla-deploy"')
    _assume(STAGING, monkeypatch)  # session "test", as the CI step's
    target = Target(load_project(tmp_path), env)
    ident = target.account.identity()
    assert ident["arn"] == f"arn:aws:sts::{STAGING}:assumed-role/flotilla-deploy/test"
    assert target.account.run_env()["AWS_ACCESS_KEY_ID"] == os.environ["AWS_ACCESS_KEY_ID"]


def test_an_assumed_role_is_assumed_again_before_its_credentials_expire(
    tmp_path: Path, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deploy may outlast the role's session: botocore renews it before expiry (within 15
    minutes of it), for boto3's clients and for each Terraform run alike."""
    from flotilla.deploy.target import Target

    env = _environment(tmp_path, f'role_arn = "arn:aws:iam::{PROD}:role/flotilla-deploy"')
    account = Target(load_project(tmp_path), env).account
    first = account.run_env()["AWS_ACCESS_KEY_ID"]
    assert account.run_env()["AWS_ACCESS_KEY_ID"] == first  # an hour left: kept
    # The shortest session AWS grants (15 minutes) is always inside the renewal window.
    monkeypatch.setattr(aws, "ASSUME_SECONDS", 900)
    short = Target(load_project(tmp_path), env).account
    keys = {short.run_env()["AWS_ACCESS_KEY_ID"] for _ in range(3)}
    assert len(keys) == 3
    assert short.identity()["account"] == PROD  # renewed credentials still the role's
