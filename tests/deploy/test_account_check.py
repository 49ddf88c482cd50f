"""An environment that names an account deploys only with credentials of that account.

Through the emulator: moto's STS answers `get-caller-identity` for the account a role was
assumed into, so both sides of the check are the real emulator's answers."""

from __future__ import annotations

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
