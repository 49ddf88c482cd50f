"""HTTPS by default, applied for real: a prod-like stack with a `domain` (ACM certificate by
DNS validation in Route 53, alias record), HTTP redirecting to HTTPS, `ingress_cidrs`, and the
access-log bucket, through terraform apply against a moto server of its own, checked with boto3.

Its own emulator: moto validates ACM certificates only after MOTO_ACM_VALIDATION_WAIT seconds
(60 by default), and prod's names and state must not meet the `local` stack's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flotilla.deploy.aws import Account
from flotilla.deploy.review import analyse
from flotilla.deploy.servicemap import write_service_map
from flotilla.deploy.state import backend_settings, ensure_state_bucket
from flotilla.deploy.terraform import Terraform
from flotilla.discovery import Service
from flotilla.errors import FlotillaError
from flotilla.local.emulator import Emulator
from flotilla.project import Project, load_project
from tests.fixtures.base import emulator_client
from tests.fixtures.terraform import fake_image

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

ZONE = "tlstest.example"
DOMAIN = f"app.{ZONE}"
INGRESS = "203.0.113.0/24"
HTTPS_PROD = f"""
environment     = "prod"
environment_kind = "aws"
domain          = "{DOMAIN}"
hosted_zone     = "{ZONE}"
alb_access_logs = true
ingress_cidrs   = ["{INGRESS}"]
"""


@dataclass
class Applied:
    emu: Emulator
    outputs: dict[str, Any]
    tf: Terraform
    files: list[Path]

    def client(self, service: str) -> Any:
        return emulator_client(self.emu, service)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    log = tmp_path_factory.mktemp("tls-moto") / "moto.log"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTO_ACM_VALIDATION_WAIT", "0")  # read by the moto server at start
        emu = Emulator(log_path=log).start()
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def applied(
    emulator: Emulator,
    tmp_path_factory: pytest.TempPathFactory,
    repo_root: Path,
    tf_services: list[Service],
) -> Applied:
    root = tmp_path_factory.mktemp("tlsproject")
    (root / "infra").symlink_to(repo_root / "infra", target_is_directory=True)
    (root / "environments").symlink_to(repo_root / "environments", target_is_directory=True)
    (root / "flotilla.toml").write_text('[project]\nname = "tlstest"\n')
    project: Project = load_project(root)
    emulator_client(emulator, "route53").create_hosted_zone(Name=ZONE, CallerReference="tls")
    tf = Terraform(project, "prod", extra_env=emulator.env())
    settings = backend_settings(tf.backend_file)
    ensure_state_bucket(
        settings["bucket"], settings["region"], account=Account("us-east-1", emulator.env())
    )
    tf.init()
    services = tf_services[:1]
    smap = write_service_map(
        project, "prod", services, {s.name: fake_image(s.name) for s in services}
    )
    https = root / "https.tfvars"
    https.write_text(HTTPS_PROD)
    # local's settings for what the emulator cannot do, then prod's HTTPS settings on top.
    files = [Terraform(project, "local").var_file(), https, smap]
    out = project.build_dir / "prod" / "plan.tfplan"
    assert tf.plan(files, out) is True
    tf.apply(out)
    return Applied(emulator, tf.output(), tf, files)


def the_alb(applied: Applied) -> dict[str, Any]:
    elb = applied.client("elbv2")
    (lb,) = elb.describe_load_balancers(Names=["tlstest-prod"])["LoadBalancers"]
    return dict(lb)


def test_https_listener_with_the_validated_certificate_and_http_redirects(applied: Applied) -> None:
    elb = applied.client("elbv2")
    lb = the_alb(applied)
    listeners = {
        x["Port"]: x
        for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    }
    assert sorted(listeners) == [80, 443]
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    (cert,) = https["Certificates"]
    described = applied.client("acm").describe_certificate(CertificateArn=cert["CertificateArn"])
    assert described["Certificate"]["DomainName"] == DOMAIN
    assert described["Certificate"]["Status"] == "ISSUED"
    assert described["Certificate"]["DomainValidationOptions"][0]["ValidationMethod"] == "DNS"
    (redirect,) = listeners[80]["DefaultActions"]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    assert redirect["RedirectConfig"]["Port"] == "443"
    assert redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    # The services' rules hang off the HTTPS listener; port 80 has none.
    assert len(elb.describe_rules(ListenerArn=https["ListenerArn"])["Rules"]) == 2
    assert len(elb.describe_rules(ListenerArn=listeners[80]["ListenerArn"])["Rules"]) == 1
    assert applied.outputs["alb_url"] == f"https://{DOMAIN}"
    assert applied.outputs["http_only"] is False


def test_domain_alias_and_validation_records_in_the_zone(applied: Applied) -> None:
    r53 = applied.client("route53")
    (zone,) = r53.list_hosted_zones_by_name(DNSName=f"{ZONE}.")["HostedZones"]
    records = r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    alias = next(r for r in records if r["Name"] == f"{DOMAIN}." and r["Type"] == "A")
    assert (
        alias["AliasTarget"]["DNSName"].rstrip(".").lower() == the_alb(applied)["DNSName"].lower()
    )
    assert any(r["Type"] == "CNAME" for r in records)  # the ACM validation record


def test_only_ingress_cidrs_reach_the_listeners(applied: Applied) -> None:
    ec2 = applied.client("ec2")
    (sg_id,) = the_alb(applied)["SecurityGroups"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg_id]}])
    ingress = {
        (r["FromPort"], r.get("CidrIpv4")) for r in rules["SecurityGroupRules"] if not r["IsEgress"]
    }
    assert ingress == {(80, INGRESS), (443, INGRESS)}


def test_prod_writes_access_logs_to_its_own_bucket(applied: Applied) -> None:
    bucket = applied.outputs["alb_access_logs_bucket"]
    assert bucket.startswith("tlstest-prod-alb-logs-")
    attrs = applied.client("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=the_alb(applied)["LoadBalancerArn"]
    )["Attributes"]
    values = {x["Key"]: x["Value"] for x in attrs}
    assert values["access_logs.s3.enabled"] == "true"
    assert values["access_logs.s3.bucket"] == bucket
    s3 = applied.client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    writers = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert {w["Action"] for w in writers} == {"s3:PutObject"}
    principals = [json.dumps(w["Principal"]) for w in writers]
    assert any("logdelivery.elasticloadbalancing.amazonaws.com" in p for p in principals)
    assert any(":root" in p for p in principals)  # the regional ELB account
    account = applied.client("sts").get_caller_identity()["Account"]
    assert all(w["Resource"].endswith(f"/AWSLogs/{account}/*") for w in writers)
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    enc = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert enc["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Status"] == "Enabled" and rule["Expiration"]["Days"] == 90
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_allow_http_plans_plain_http_and_the_review_warns(applied: Applied, tmp_path: Path) -> None:
    http = tmp_path / "http.tfvars"
    http.write_text("domain = null\nhosted_zone = null\nallow_http = true\n")
    out = tmp_path / "http.tfplan"
    applied.tf.plan([*applied.files, http], out)
    plan = applied.tf.show_json(out)
    review = analyse(plan, "prod")
    (warning,) = review.warnings
    assert "plain HTTP" in warning and "environments/prod.toml" in warning
    listeners = [
        rc["change"]["after"]
        for rc in plan["resource_changes"]
        if rc["type"] == "aws_lb_listener" and "create" in rc["change"]["actions"]
    ]
    assert [(x["port"], x["protocol"]) for x in listeners] == [(80, "HTTP")]


def test_neither_https_setting_fails_the_plan_naming_all_three(
    applied: Applied, tmp_path: Path
) -> None:
    neither = tmp_path / "neither.tfvars"
    neither.write_text("domain = null\nhosted_zone = null\n")
    with pytest.raises(FlotillaError) as err:
        applied.tf.plan([*applied.files, neither], tmp_path / "neither.tfplan")
    message = str(err.value)
    for key in ("domain", "certificate_arn", "allow_http = true", "environments/prod.toml"):
        assert key in message, message
