"""infra/terraform through real terraform (python-terraform wrapper) against moto's server.

One `local` stack is applied once per module and inspected with boto3; then the same state is
re-planned (no changes) and shrunk (one service removed). staging and prod are planned only.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flotilla.deploy.aws import Account
from flotilla.deploy.servicemap import write_service_map
from flotilla.deploy.state import backend_settings, ensure_state_bucket
from flotilla.deploy.terraform import Terraform
from flotilla.discovery import Service
from flotilla.errors import FlotillaError
from flotilla.local.emulator import Emulator
from flotilla.project import Project
from tests.fixtures.base import emulator_client
from tests.fixtures.terraform import fake_image

pytestmark = [pytest.mark.terraform, pytest.mark.slow]


@dataclass
class Stack:
    tf: Terraform
    plan: dict[str, Any]
    outputs: dict[str, Any]
    tfvars: Path
    services: list[Service]


def planned(plan: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [
        rc
        for rc in plan["resource_changes"]
        if rc["type"] == rtype and rc["change"]["actions"] != ["no-op"]
    ]


@pytest.fixture(scope="module")
def stack(tf_project: Project, tf_services: list[Service], tf_emulator: Emulator) -> Stack:
    started = time.monotonic()
    tf = Terraform(tf_project, "local", extra_env=tf_emulator.env())
    tf.init()
    images = {s.name: fake_image(s.name) for s in tf_services}
    smap = write_service_map(tf_project, "local", tf_services, images)
    tfvars = tf.var_file()  # generated from environments/local.toml
    out = tf_project.build_dir / "local" / "plan.tfplan"
    assert tf.plan([tfvars, smap], out) is True
    plan = tf.show_json(out)
    tf.apply(out)
    print(f"\nlocal init+plan+apply: {time.monotonic() - started:.1f} s")
    return Stack(tf, plan, tf.output(), tfvars, tf_services)


def test_outputs_name_every_service(stack: Stack) -> None:
    out = stack.outputs
    assert out["cluster_name"] == "tftest-local"
    assert out["alb_url"] == f"http://{out['alb_dns_name']}"
    assert sorted(out["services"]) == sorted(s.name for s in stack.services)
    for s in stack.services:
        entry = out["services"][s.name]
        assert entry["url"] == out["alb_url"] + s.manifest.path
        assert entry["service_name"] == s.name
        assert entry["target_group_arn"].startswith("arn:aws:elasticloadbalancing:")


def test_one_target_group_and_rules_per_service(stack: Stack, tf_emulator: Emulator) -> None:
    elb = emulator_client(tf_emulator, "elbv2")
    for s in stack.services:
        entry = stack.outputs["services"][s.name]
        tg = elb.describe_target_groups(TargetGroupArns=[entry["target_group_arn"]])
        group = tg["TargetGroups"][0]
        assert (group["TargetType"], group["Port"]) == ("ip", s.manifest.port)
        assert group["HealthCheckPath"] == f"{s.manifest.path}/readyz"  # readiness gates traffic
        attrs = elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])
        # local.tfvars drains for 5 s (one machine); staging and prod keep 30 s (see below)
        assert {"Key": "deregistration_delay.timeout_seconds", "Value": "5"} in attrs["Attributes"]

        rule = elb.describe_rules(RuleArns=[entry["listener_rule_arn"]])["Rules"][0]
        paths = rule["Conditions"][0]["PathPatternConfig"]["Values"]
        assert sorted(paths) == sorted([s.manifest.path, f"{s.manifest.path}/*"])
        assert rule["Actions"][0]["TargetGroupArn"] == group["TargetGroupArn"]

    # Only forward rules: metrics and stats are on the internal port, which no target group
    # uses, so no rule has to hide them; unmatched paths get the default 404.
    lb = elb.describe_load_balancers(Names=["tftest-local"])["LoadBalancers"][0]
    (lst,) = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    rules = elb.describe_rules(ListenerArn=lst["ListenerArn"])["Rules"]
    default = next(r for r in rules if r["IsDefault"])
    assert default["Actions"][0]["FixedResponseConfig"]["StatusCode"] == "404"
    assert json.loads(default["Actions"][0]["FixedResponseConfig"]["MessageBody"])
    assert sorted(r["Actions"][0]["Type"] for r in rules if not r["IsDefault"]) == [
        "forward"
    ] * len(stack.services)
    vpc = emulator_client(tf_emulator, "ec2").describe_vpcs(VpcIds=[lb["VpcId"]])["Vpcs"][0]
    ecs = emulator_client(tf_emulator, "ecs")
    for s in stack.services:
        td = ecs.describe_task_definition(taskDefinition=f"tftest-local-{s.name}")
        (c,) = td["taskDefinition"]["containerDefinitions"]
        env = {e["name"]: e["value"] for e in c["environment"]}
        assert env["FLOTILLA_INTERNAL_PORT"] == "9100"
        assert env["FLOTILLA_TRUSTED_PROXIES"] == vpc["CidrBlock"]  # not "*"
        ports = elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
        assert 9100 not in {g["Port"] for g in ports}


def test_ecs_services_use_the_circuit_breaker(stack: Stack, tf_emulator: Emulator) -> None:
    ecs = emulator_client(tf_emulator, "ecs")
    names = [s.name for s in stack.services]
    described = ecs.describe_services(cluster="tftest-local", services=names)["services"]
    assert sorted(d["serviceName"] for d in described) == sorted(names)
    for d in described:
        assert d["launchType"] == "FARGATE"
        assert d["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
        assert d["loadBalancers"][0]["containerName"] == d["serviceName"]
    # moto does not keep deploymentConfiguration, so check what terraform sent.
    for rc in planned(stack.plan, "aws_ecs_service"):
        after = rc["change"]["after"]
        assert after["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
        assert (
            after["deployment_minimum_healthy_percent"],
            after["deployment_maximum_percent"],
        ) == (100, 200)


def test_tasks_admit_only_the_alb(stack: Stack, tf_emulator: Emulator) -> None:
    ec2, ecs = emulator_client(tf_emulator, "ec2"), emulator_client(tf_emulator, "ecs")
    alb_sg = emulator_client(tf_emulator, "elbv2").describe_load_balancers(Names=["tftest-local"])[
        "LoadBalancers"
    ][0]["SecurityGroups"][0]
    for s in stack.services:
        svc = ecs.describe_services(cluster="tftest-local", services=[s.name])["services"][0]
        (sg_id,) = svc["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
        sg = ec2.describe_security_groups(GroupIds=[sg_id])["SecurityGroups"][0]
        (perm,) = sg["IpPermissions"]
        assert (perm["FromPort"], perm["ToPort"]) == (s.manifest.port, s.manifest.port)
        assert [p["GroupId"] for p in perm["UserIdGroupPairs"]] == [alb_sg]
        assert perm["IpRanges"] == [] and perm["Ipv6Ranges"] == []


def test_log_groups_and_task_definitions(stack: Stack, tf_emulator: Emulator) -> None:
    logs, ecs = emulator_client(tf_emulator, "logs"), emulator_client(tf_emulator, "ecs")
    groups = logs.describe_log_groups(logGroupNamePrefix="/ecs/tftest-local/")["logGroups"]
    assert {g["logGroupName"]: g.get("retentionInDays") for g in groups} == {
        f"/ecs/tftest-local/{s.name}": 7 for s in stack.services
    }
    with_secrets = 0
    for s in stack.services:
        svc = ecs.describe_services(cluster="tftest-local", services=[s.name])["services"][0]
        td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
        (c,) = td["containerDefinitions"]
        assert c["readonlyRootFilesystem"] is True
        assert c["user"] not in ("root", "0") and not c["user"].startswith("0:")
        assert c["stopTimeout"] > 10  # the runtime drains for 10 s
        assert c["logConfiguration"]["logDriver"] == "awslogs"
        assert td["cpu"] == str(s.manifest.cpu) and td["requiresCompatibilities"] == ["FARGATE"]
        wanted = s.manifest.for_env("local").secrets
        got = {x["name"]: x["valueFrom"] for x in c.get("secrets", [])}
        assert set(got) == set(wanted), (s.name, got)
        for name, ref in wanted.items():  # SSM names become this account's ARNs
            arn = f"arn:aws:ssm:us-east-1:123456789012:parameter{ref}"
            assert got[name] == (ref if ref.startswith("arn:") else arn), got
        with_secrets += bool(wanted)
    assert with_secrets, "no service under test has [secrets]: the check above saw none"


def test_execution_role_reads_only_its_own_secrets(stack: Stack, tf_emulator: Emulator) -> None:
    iam = emulator_client(tf_emulator, "iam")
    policy = iam.get_role_policy(
        RoleName="tftest-local-extra-a-exec", PolicyName="pull-log-secrets"
    )
    doc = policy["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    by_sid = {st["Sid"]: st for st in doc["Statement"]}
    assert by_sid["ReadOwnParameters"]["Resource"] == (
        "arn:aws:ssm:us-east-1:123456789012:parameter/extra-a/api-token"
    )
    assert by_sid["PullOwnImage"]["Resource"].endswith(":repository/tftest/extra-a")
    assert "/ecs/tftest-local/extra-a" in by_sid["WriteOwnLogs"]["Resource"]
    assert not iam.list_role_policies(RoleName="tftest-local-extra-a-task")["PolicyNames"]
    assert not iam.list_attached_role_policies(RoleName="tftest-local-extra-a-task")[
        "AttachedPolicies"
    ]


def test_local_leaves_out_autoscaling_only(stack: Stack) -> None:
    assert planned(stack.plan, "aws_appautoscaling_target") == []
    assert len(planned(stack.plan, "aws_cloudwatch_metric_alarm")) == 2 * len(stack.services)


def test_second_plan_has_no_changes(stack: Stack, tf_project: Project) -> None:
    smap = tf_project.build_dir / "local" / "services.tfvars.json"
    assert (
        stack.tf.plan([stack.tfvars, smap], tf_project.build_dir / "local" / "again.tfplan")
        is False
    )


def test_removing_a_service_destroys_only_its_resources(
    stack: Stack, tf_project: Project, tf_emulator: Emulator
) -> None:
    elb = emulator_client(tf_emulator, "elbv2")

    def priorities() -> dict[str, str]:
        arns = [v["listener_rule_arn"] for v in stack.tf.output()["services"].values()]
        rules = elb.describe_rules(RuleArns=arns)["Rules"]
        return {r["Conditions"][0]["PathPatternConfig"]["Values"][0]: r["Priority"] for r in rules}

    before = priorities()
    kept = [s for s in stack.services if s.name != "extra-b"]
    smap = write_service_map(tf_project, "local", kept, {s.name: fake_image(s.name) for s in kept})
    out = tf_project.build_dir / "local" / "shrink.tfplan"
    assert stack.tf.plan([stack.tfvars, smap], out) is True
    changes = [
        rc
        for rc in stack.tf.show_json(out)["resource_changes"]
        if rc["change"]["actions"] != ["no-op"]
    ]
    assert changes and all(rc["change"]["actions"] == ["delete"] for rc in changes)
    assert {rc["module_address"] for rc in changes} == {'module.service["extra-b"]'}
    stack.tf.apply(out)

    after = priorities()
    assert "/extra-b" not in after
    assert after == {p: prio for p, prio in before.items() if p != "/extra-b"}
    assert sorted(stack.tf.output()["services"]) == sorted(s.name for s in kept)


def test_bad_service_map_fails_at_plan_with_a_clear_message(stack: Stack, tmp_path: Path) -> None:
    good = json.loads((stack.tf.project.build_dir / "local" / "services.tfvars.json").read_text())
    name = next(iter(good["services"]))
    good["services"][name]["image"] = "registry.example/app:latest"
    bad = tmp_path / "bad.tfvars.json"
    bad.write_text(json.dumps(good))
    with pytest.raises(FlotillaError) as err:
        stack.tf.plan([stack.tfvars, bad], tmp_path / "bad.tfplan")
    message = str(err.value)
    assert "pinned by digest" in message and f"{name}.image" in message


# staging and prod must say how they serve HTTPS; the shipped files leave it to the team.
HTTPS_SETTINGS = {
    "staging": 'certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/staging"\n',
    "prod": 'domain = "api.tftest.example"\nhosted_zone = "tftest.example"\n',
}


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_staging_and_prod_plan_with_autoscaling_and_alarms(
    env: str,
    tf_project: Project,
    tf_services: list[Service],
    tf_emulator: Emulator,
    tmp_path: Path,
) -> None:
    route53 = emulator_client(tf_emulator, "route53")
    if not route53.list_hosted_zones_by_name(DNSName="tftest.example.")["HostedZones"]:
        route53.create_hosted_zone(Name="tftest.example", CallerReference="tftest")
    https = tmp_path / "https.tfvars"
    https.write_text(HTTPS_SETTINGS[env])
    tf = Terraform(tf_project, env, extra_env=tf_emulator.env())
    settings = backend_settings(tf.backend_file)
    ensure_state_bucket(
        settings["bucket"], settings["region"], account=Account("us-east-1", tf_emulator.env())
    )
    tf.init()
    images = {s.name: fake_image(s.name) for s in tf_services}
    smap = write_service_map(tf_project, env, tf_services, images)
    out = tf_project.build_dir / env / "plan.tfplan"
    assert tf.plan([tf.var_file(), https, smap], out) is True
    plan = tf.show_json(out)
    n = len(tf_services)
    listeners = {rc["change"]["after"]["port"]: rc["change"]["after"] for rc in planned(
        plan, "aws_lb_listener")}  # fmt: skip
    assert sorted(listeners) == [80, 443]
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[80]["default_action"][0]["redirect"][0]["protocol"] == "HTTPS"
    certs = planned(plan, "aws_acm_certificate")
    assert [c["change"]["after"]["domain_name"] for c in certs] == (
        ["api.tftest.example"] if env == "prod" else []
    )
    # prod writes access logs to a bucket of its own; staging does not.
    assert len(planned(plan, "aws_s3_bucket_lifecycle_configuration")) == (env == "prod")
    assert len(planned(plan, "aws_appautoscaling_target")) == n
    policies = planned(plan, "aws_appautoscaling_policy")
    metrics = {
        p["change"]["after"]["target_tracking_scaling_policy_configuration"][0][
            "predefined_metric_specification"
        ][0]["predefined_metric_type"]
        for p in policies
    }
    assert len(policies) == 2 * n
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}
    assert len(planned(plan, "aws_cloudwatch_metric_alarm")) == 2 * n
    for rc in planned(plan, "aws_ecs_service"):
        alarms = rc["change"]["after"]["alarms"]
        assert alarms[0]["enable"] and alarms[0]["rollback"]
    delays = {
        rc["change"]["after"]["deregistration_delay"] for rc in planned(plan, "aws_lb_target_group")
    }
    assert delays == {"30"}
    (lb,) = planned(plan, "aws_lb")
    assert lb["change"]["after"]["enable_deletion_protection"] is (env == "prod")
    assert lb["change"]["after"]["drop_invalid_header_fields"] is True
    nats = len(planned(plan, "aws_nat_gateway"))
    assert nats == (3 if env == "prod" else 1)
    prod_cpu = {
        rc["change"]["after"]["cpu"] for rc in planned(plan, "aws_ecs_task_definition")
        if rc["module_address"] == 'module.service["extra-a"]'
    }  # fmt: skip
    assert prod_cpu == ({"512"} if env == "prod" else {"256"})
