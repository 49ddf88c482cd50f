"""The local ALB routes by the emulator's listener rules to tasks the local runtime runs."""

from __future__ import annotations

import collections
import re
import time

import pytest
import requests
from tests.fixtures.local_env import LocalEnv, completed

pytestmark = pytest.mark.docker


def test_rules_route_by_path_with_alb_headers_and_secrets(
    local_env: LocalEnv, echo_image: str
) -> None:
    cl = local_env.clients
    cl["ssm"].put_parameter(Name="/alpha/a", Value="from-ssm", Type="SecureString")
    arn = cl["secretsmanager"].create_secret(Name="alpha/b", SecretString='{"k": "from-sm"}')["ARN"]
    ssm_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/alpha/a"
    local_env.create(
        "alpha",
        echo_image,
        VERSION="alpha-v1",
        _secrets=[  # type: ignore[arg-type]
            {"name": "SECRET_A", "valueFrom": ssm_arn},
            {"name": "SECRET_B", "valueFrom": f"{arn}:k::"},
        ],
    )
    local_env.create("beta", echo_image, VERSION="beta-v1")
    # Like the kit's Terraform: /metrics and /stats of every service are not public.
    local_env.clients["elbv2"].create_rule(
        ListenerArn=local_env.listener_arn,
        Priority=1,
        Conditions=[
            {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*/metrics", "/*/stats"]}}
        ],
        Actions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {
                    "StatusCode": "404",
                    "ContentType": "text/plain",
                    "MessageBody": "not public",
                },
            }
        ],
    )
    assert completed(local_env.wait("alpha", completed)), local_env.service("alpha")
    assert completed(local_env.wait("beta", completed)), local_env.service("beta")

    a = requests.get(f"{local_env.alb}/alpha/orders?id=1", timeout=5)
    assert a.status_code == 200
    body = a.json()
    assert body["version"] == "alpha-v1" and body["path"] == "/alpha/orders?id=1"
    assert body["secret"] == "from-ssm|from-sm"  # resolved from SSM and Secrets Manager
    assert body["user"] == 65534  # the task definition's user, not root
    h = body["headers"]
    assert h["x-forwarded-for"] == "127.0.0.1"
    assert h["x-forwarded-proto"] == "http"
    assert h["x-forwarded-port"] == local_env.alb.rsplit(":", 1)[1]
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", h["x-amzn-trace-id"])
    assert requests.get(f"{local_env.alb}/beta", timeout=5).json()["version"] == "beta-v1"

    blocked = requests.get(f"{local_env.alb}/alpha/metrics", timeout=5)
    assert (blocked.status_code, blocked.text) == (404, "not public")
    assert requests.get(f"{local_env.alb}/beta/stats", timeout=5).status_code == 404
    unknown = requests.get(f"{local_env.alb}/nothing/here", timeout=5)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "no service at this path"}
    assert requests.get(f"{local_env.alb}/alphabet", timeout=5).status_code == 404  # not /alpha*

    local_env.delete("beta")  # the runtime drops it: no status, or nothing desired any more
    deadline = time.monotonic() + 60
    while (st := local_env.service("beta")) and st.get("desired") != 0:
        assert time.monotonic() < deadline, f"beta still desired after delete: {st}"
        time.sleep(0.5)


def test_round_robin_over_healthy_tasks(local_env: LocalEnv, echo_image: str) -> None:
    local_env.create("gamma", echo_image, count=2)
    st = local_env.wait("gamma", completed)
    assert completed(st) and all(t["state"] == "healthy" for t in st["targets"]), st
    seen = collections.Counter(
        requests.get(f"{local_env.alb}/gamma/", timeout=5).json()["task"] for _ in range(10)
    )
    assert len(seen) == 2 and set(seen.values()) == {5}, seen
    local_env.delete("gamma")
