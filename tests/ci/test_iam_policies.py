"""infra/terraform/ci's policies as terraform renders them (plan against the emulator), checked
with cloudsplaining and read statement by statement: roles only with the boundary, no statement
reaching another environment, a read-only pull-request role."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from tests.ci.conftest import REPO

pytestmark = [pytest.mark.terraform]
SCRIPT = REPO / "scripts" / "iam_check.py"


def iam_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("iam_check", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    if not iam_check().SCANNER.exists():
        pytest.skip("cloudsplaining is not installed (make setup)")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--json"], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]
    return dict(json.loads(proc.stdout))


def statements(doc: dict[str, Any], effect: str = "Allow") -> list[dict[str, Any]]:
    return [s for s in doc["Statement"] if s["Effect"] == effect]


def actions(s: dict[str, Any]) -> list[str]:
    a = s["Action"]
    return [a] if isinstance(a, str) else list(a)


def resources(s: dict[str, Any]) -> list[str]:
    r = s["Resource"]
    return [r] if isinstance(r, str) else list(r)


def test_cloudsplaining_finds_no_escalation_exposure_or_credentials(report: dict[str, Any]) -> None:
    assert set(report["policies"]) == {
        "aws_iam_policy.boundary",
        'aws_iam_role_policy.assume_sources["prod"]',  # iam_check sets may_assume for prod
        'aws_iam_role_policy.deploy_read["prod"]',
        'aws_iam_role_policy.deploy_read["staging"]',
        'aws_iam_role_policy.deploy_write["prod"]',
        'aws_iam_role_policy.deploy_write["staging"]',
        "aws_iam_role_policy.plan_read",
        "aws_iam_role_policy.plan_state",
    }
    assert report["failed"] == {}
    for name, cats in report["findings"].items():
        for cat in ("PrivilegeEscalation", "ResourceExposure", "CredentialsExposure"):
            assert cats[cat] == [], (name, cat)


def test_the_scanner_does_flag_a_bad_policy() -> None:
    module = iam_check()
    if not module.SCANNER.exists():
        pytest.skip("cloudsplaining is not installed (make setup)")
    bad = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole",
                           "iam:CreateAccessKey", "s3:PutBucketPolicy"],
                "Resource": "*",
            }
        ],
    }  # fmt: skip
    found = module.gated(module.scan({"bad": bad}))["bad"]
    assert found["PrivilegeEscalation"] and found["ResourceExposure"]
    assert "iam:createaccesskey" in [a.lower() for a in found["CredentialsExposure"]]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_deploy_role_creates_roles_only_with_the_boundary(report: dict[str, Any], env: str) -> None:
    doc = report["policies"][f'aws_iam_role_policy.deploy_write["{env}"]']
    boundary = report["policies"]["aws_iam_policy.boundary"]
    assert boundary["Statement"]  # the boundary exists and is scanned above
    role_writes = [s for s in statements(doc) if any(a.startswith("iam:") for a in actions(s))]
    for s in role_writes:
        if set(actions(s)) & {"iam:CreateRole", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"}:
            arns = s["Condition"]["StringEquals"]["iam:PermissionsBoundary"]
            assert arns.endswith(":policy/flotilla-workload-boundary"), s
    deny = {a for s in statements(doc, "Deny") for a in actions(s)}
    assert {"iam:CreateRole", "iam:DeleteRolePermissionsBoundary", "iam:PutRolePolicy"} <= deny
    granted = {a for s in statements(doc) for a in actions(s)}
    assert "iam:AttachRolePolicy" not in granted and "iam:CreatePolicyVersion" not in granted


@pytest.mark.parametrize(("env", "other"), [("staging", "prod"), ("prod", "staging")])
def test_no_statement_reaches_another_environment(
    report: dict[str, Any], env: str, other: str
) -> None:
    doc = report["policies"][f'aws_iam_role_policy.deploy_write["{env}"]']
    granted = {a for s in statements(doc) for a in actions(s)}
    assert "ecs:DeregisterTaskDefinition" not in granted  # no resource scoping: every env's
    for s in statements(doc):
        text = json.dumps(s)
        assert f"-{other}" not in text and f"/{other}/" not in text, s
        if resources(s) == ["*"] and s["Sid"] not in ("DescribeInfrastructure",):
            # Account-wide only under this environment's tag (request or resource).
            tags = {
                value
                for test in s["Condition"].values()
                for key, v in test.items()
                if key.endswith("Tag/Environment")
                for value in ([v] if isinstance(v, str) else v)
            }
            assert tags == {env}, s
        retag = set(actions(s)) & {
            "ec2:CreateTags", "ec2:DeleteTags", "elasticloadbalancing:AddTags",
            "elasticloadbalancing:RemoveTags", "application-autoscaling:TagResource",
        }  # fmt: skip
        if retag:
            # Either only while creating, or never the Environment/Project tags themselves.
            cond = s["Condition"]
            on_create = any(k.endswith(":CreateAction") for t in cond.values() for k in t)
            keys = cond.get("ForAllValues:StringNotEquals", {}).get("aws:TagKeys")
            assert on_create or sorted(keys) == ["Environment", "Project"], s


def test_pull_request_role_is_read_only_including_ecr_settings(report: dict[str, Any]) -> None:
    read = report["policies"]["aws_iam_role_policy.plan_read"]
    state = report["policies"]["aws_iam_role_policy.plan_state"]
    writes = {
        a
        for doc in (read, state)
        for s in statements(doc)
        for a in actions(s)
        if not a.split(":")[1].startswith(
            ("Describe", "Get", "List", "BatchGet", "BatchCheck", "Filter")
        )
    }
    # The only writes: the state lock object. Images are not pushed (`plan --no-push`).
    assert writes == {"s3:DeleteObject", "s3:PutObject"}
    lock = next(s for s in statements(state) if "s3:PutObject" in actions(s))
    assert all(r.endswith(".tflock") for r in resources(lock))


PROD_ROLE = "arn:aws:iam::222222222222:role/shop-ci-deploy-prod"
STAGING_ROLE = "arn:aws:iam::111111111111:role/shop-ci-deploy-staging"


def test_promote_across_accounts_assumes_exactly_the_named_roles(report: dict[str, Any]) -> None:
    """prod's deploy role may assume exactly staging's (may_assume), and staging's trusts
    exactly prod's (assumed_by); nothing else gains either."""
    (s,) = statements(report["policies"]['aws_iam_role_policy.assume_sources["prod"]'])
    assert actions(s) == ["sts:AssumeRole"] and resources(s) == [STAGING_ROLE]
    trust = report["trusts"]['aws_iam_role.deploy["staging"]']
    by_role = [t for t in statements(trust) if "AWS" in t["Principal"]]
    assert [(t["Action"], t["Principal"]["AWS"]) for t in by_role] == [
        ("sts:AssumeRole", PROD_ROLE)
    ]
    for address in ('aws_iam_role.deploy["prod"]', "aws_iam_role.plan"):
        principals = [t["Principal"] for t in statements(report["trusts"][address])]
        assert all(set(p) == {"Federated"} for p in principals), address
