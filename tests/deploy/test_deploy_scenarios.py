"""The whole deploy, end to end: real dockerd, real docker-registry (htpasswd, the emulator's
ECR token as password), real terraform, moto's server as AWS.

One environment is shared by the scenarios (module scope) and they run in order: first
deploy, no-op deploy, one changed service, rollback, promote, a blocked destructive plan.
ECS never starts tasks in moto: this module's emulator runs with MOTO_ECS_SERVICE_RUNNING=1
so that ECS *reports* the services as running; the rollout waiter reads that through the real
ECS StatusSource. The smoke test is skipped here (moto's ALB routes nothing; ENV=local makes it
real) and is tested over real HTTP in test_ledger_gate_smoke.py.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flotilla.deploy.aws import Account
from flotilla.deploy.state import ensure_state_bucket
from flotilla.local.emulator import Emulator
from flotilla.local.registry import LocalRegistry
from flotilla.process import free_port
from tests.fixtures.base import emulator_client, point_aws_at, run_cli
from tests.fixtures.deploy import emulator_password, registry_catalog, registry_tags
from tests.fixtures.images import IGNORE, REPO, commit, copy_repo

pytestmark = [pytest.mark.docker, pytest.mark.terraform, pytest.mark.slow]


@dataclass
class Stack:
    root: Path
    emulator: Emulator
    registry: LocalRegistry
    base_image: str
    mp: pytest.MonkeyPatch

    def client(self, service: str) -> Any:
        return emulator_client(self.emulator, service)

    def services(self) -> list[str]:
        return sorted(p.parent.name for p in (self.root / "services").glob("*/service.toml"))

    def run(self, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
        return run_cli(capsys, *argv)

    def deploy(self, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
        return self.run(
            "deploy",
            "--env",
            "local",
            "--yes",
            "--skip-smoke",
            "--timeout",
            "120",
            "--base-image",
            self.base_image,
            *extra,
            capsys=capsys,
        )

    def ecs_images(self) -> dict[str, str]:
        """service -> the image its current task definition runs."""
        ecs = self.client("ecs")
        out = {}
        for arn in ecs.list_services(cluster="flotilla-local")["serviceArns"]:
            svc = ecs.describe_services(cluster="flotilla-local", services=[arn])["services"][0]
            td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])
            out[svc["serviceName"]] = td["taskDefinition"]["containerDefinitions"][0]["image"]
        return out

    def revisions(self) -> dict[str, int]:
        """service -> the revision number of the task definition it runs."""
        ecs = self.client("ecs")
        out = {}
        for arn in ecs.list_services(cluster="flotilla-local")["serviceArns"]:
            svc = ecs.describe_services(cluster="flotilla-local", services=[arn])["services"][0]
            out[svc["serviceName"]] = int(svc["taskDefinition"].rsplit(":", 1)[-1])
        return out

    def ledger_object(self, service: str) -> dict[str, Any]:
        """The service's ledger object as the local state bucket holds it."""
        key = f"flotilla/local/releases/flotilla/{service}.json"
        obj = self.client("s3").get_object(Bucket="flotilla-tfstate-local", Key=key)
        data: dict[str, Any] = json.loads(obj["Body"].read())
        return data

    def ledger(self, service: str) -> list[dict[str, Any]]:
        return list(self.ledger_object(service)["history"])


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, base_image: str, docker_engine: Any
) -> Iterator[Stack]:
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("deploy")
    mp.setenv("MOTO_ECS_SERVICE_RUNNING", "1")  # read by the moto server at service creation
    emu = Emulator(log_path=tmp / "moto.log").start()
    mp.delenv("MOTO_ECS_SERVICE_RUNNING")
    reg = LocalRegistry(free_port(), tmp / "registry", emulator_password(emu)).start()
    root = copy_repo(tmp / "repo")
    shutil.copytree(REPO / "infra", root / "infra", ignore=IGNORE)
    shutil.copytree(REPO / "environments", root / "environments")
    commit(root, "infra")
    point_aws_at(emu, mp, drop_all_aws=True)
    mp.setenv("FLOTILLA_ROOT", str(root))
    mp.setenv("FLOTILLA_REGISTRY", reg.host)
    mp.setenv("FLOTILLA_STATUS_SOURCE", "ecs")
    mp.setenv("FLOTILLA_TF_PLUGIN_DIR", os.environ.get("FLOTILLA_TF_PLUGIN_DIR", "/opt/tf-plugins"))
    mp.delenv("CI", raising=False)
    mp.setenv("COLUMNS", "220")  # rich tables unsqueezed in captured output
    yield Stack(root, emu, reg, base_image, mp)
    mp.undo()
    reg.stop()
    emu.stop()


def test_1_first_deploy_creates_repos_pushes_applies_and_records(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = stack.deploy(capsys)
    assert code == 0, out
    names = stack.services()
    ecr = stack.client("ecr")
    for name in names:
        repo = ecr.describe_repositories(repositoryNames=[f"flotilla/{name}"])["repositories"][0]
        assert repo["imageTagMutability"] == "IMMUTABLE"
        assert repo["imageScanningConfiguration"]["scanOnPush"]
        policy = ecr.get_lifecycle_policy(repositoryName=f"flotilla/{name}")
        assert "deployed-" in policy["lifecyclePolicyText"]
    assert [r for r in registry_catalog(stack.registry) if r.startswith("flotilla/")] == [
        f"flotilla/{n}" for n in names
    ]
    images = stack.ecs_images()
    assert sorted(images) == names  # one ECS service per service, named after it
    for name in names:
        (release,) = stack.ledger(name)
        assert release["number"] == 1 and release["kind"] == "deploy"
        assert release["deployer"].startswith("arn:aws:")
        assert release["image"] in images.values()  # the task definition runs the recorded digest
        tags = registry_tags(stack.registry, f"flotilla/{name}")
        assert release["tag"] in tags and "deployed-local-1" in tags
    plan_md = (stack.root / "build/local/plan.md").read_text()
    assert "to add" in plan_md and "```mermaid" in plan_md and len(plan_md) <= 65_536


def test_2_nothing_changed_pushes_nothing_and_plans_no_change(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    revisions = stack.revisions()
    catalog = {n: registry_tags(stack.registry, f"flotilla/{n}") for n in stack.services()}
    code, out = stack.deploy(capsys)
    assert code == 0, out
    assert "pushed 0 image(s)" in out and "plan: no changes" in out
    review = json.loads((stack.root / "build/local/plan.json").read_text())["review"]
    assert review["has_changes"] is False and review["changed_services"] == []
    assert stack.revisions() == revisions
    assert {n: registry_tags(stack.registry, f"flotilla/{n}") for n in stack.services()} == catalog
    assert all(len(stack.ledger(n)) == 1 for n in stack.services())


def test_2a_plan_no_push_plans_a_change_and_writes_nothing_to_ecr(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pull request's plan with a read-only role: the change is planned, nothing is pushed,
    tagged or created in ECR, and the review says which images are not pushed."""
    ecr = stack.client("ecr")

    def ecr_images() -> dict[str, list[Any]]:
        return {
            n: sorted(
                (d["imageDigest"], sorted(d.get("imageTags", [])))
                for d in ecr.describe_images(repositoryName=f"flotilla/{n}")["imageDetails"]
            )
            for n in stack.services()
        }

    catalog = {n: registry_tags(stack.registry, f"flotilla/{n}") for n in stack.services()}
    images, revisions = ecr_images(), stack.revisions()
    src = stack.root / "services/users/users_service.py"
    original = src.read_text()
    src.write_text(original + f"\n# changed by the no-push test {uuid.uuid4().hex}\n")
    commit(stack.root, "change users")
    try:
        code, out = stack.run(
            "plan", "--env", "local", "--no-push", "--base-image", stack.base_image, capsys=capsys
        )
    finally:
        src.write_text(original)
        commit(stack.root, "users as before")
    assert code == 0, out
    review = json.loads((stack.root / "build/local/plan.json").read_text())["review"]
    assert review["changed_services"] == ["users"]
    md = (stack.root / "build/local/plan.md").read_text()
    assert "users: image not pushed (plan --no-push)" in md
    assert "orders: image not pushed" not in md  # unchanged: found in ECR by its content tag
    assert {n: registry_tags(stack.registry, f"flotilla/{n}") for n in stack.services()} == catalog
    assert ecr_images() == images and stack.revisions() == revisions


def test_3_one_changed_service_is_the_only_one_rebuilt_pushed_and_revised(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    before_images, revisions = stack.ecs_images(), stack.revisions()
    src = stack.root / "services/orders/orders_service.py"
    src.write_text(src.read_text() + f"\n# changed by the deploy test {uuid.uuid4().hex}\n")
    commit(stack.root, "change orders")
    code, out = stack.deploy(capsys)
    assert code == 0, out
    manifest = json.loads((stack.root / "build/manifest.json").read_text())
    assert {n: s["status"] for n, s in manifest["services"].items()} == {
        n: "built" if n == "orders" else "unchanged" for n in stack.services()
    }
    assert "pushed 1 image(s)" in out
    after = stack.revisions()
    assert {s: after[s] - revisions[s] for s in after if after[s] != revisions[s]} == {"orders": 1}
    after_images = stack.ecs_images()
    assert {s for s in before_images if after_images[s] != before_images[s]} == {"orders"}
    review = json.loads((stack.root / "build/local/plan.json").read_text())["review"]
    assert review["changed_services"] == ["orders"]
    md = (stack.root / "build/local/plan.md").read_text()
    assert "### `orders`" in md and all(
        f"### `{n}`" not in md for n in stack.services() if n != "orders"
    )
    assert [r["number"] for r in stack.ledger("orders")] == [2, 1]


def test_4_rollback_restores_the_previous_digest(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    first = stack.ledger("orders")[1]
    code, out = stack.run(
        "rollback", "orders", "--env", "local", "--yes", "--skip-smoke", capsys=capsys
    )
    assert code == 0, out
    assert stack.ecs_images()["orders"] == first["image"]
    latest = stack.ledger("orders")[0]
    assert (latest["kind"], latest["digest"], latest["number"]) == ("rollback", first["digest"], 3)
    code, out = stack.run("releases", "--env", "local", "orders", capsys=capsys)
    assert code == 0 and out.index("rollback") < out.index("deploy"), out
    code, out = stack.run("status", "--env", "local", capsys=capsys)
    assert code == 0 and all(n in out for n in stack.services()) and "COMPLETED" in out, out


def test_4a_rollback_pins_rollback_without_a_service_refuses_and_unpin_clears(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stack.ledger_object("orders")["pin"]["number"] == 3  # test_4's manual rollback
    code, out = stack.run("releases", "--env", "local", "orders", capsys=capsys)
    assert code == 0 and "3*" in out and "pinned" in out, out
    before = {n: stack.ledger_object(n) for n in stack.services()}
    code, out = stack.run("rollback", "--env", "local", capsys=capsys)
    assert code == 2 and "rollback needs a SERVICE, or --all" in out, out
    code, out = stack.run("rollback", "--all", "--env", "local", capsys=capsys)
    assert code == 3 and "rollback --all in local needs confirmation" in out, out
    assert {n: stack.ledger_object(n) for n in stack.services()} == before
    code, out = stack.run("unpin", "orders", "--env", "local", capsys=capsys)
    assert code == 0 and "unpinned orders in local (was pinned at release 3" in out, out
    assert stack.ledger_object("orders")["pin"] is None
    assert stack.ledger("orders") == before["orders"]["history"]
    # They read the environment: a service whose folder is gone still shows.
    gone = stack.root / "services/users"
    shutil.move(gone, stack.root / "users-away")
    try:
        code, out = stack.run("releases", "--env", "local", "users", capsys=capsys)
        assert code == 0 and "users" in out and "deploy" in out, out
        code, out = stack.run("status", "--env", "local", capsys=capsys)
        assert code == 0 and "users" in out and "COMPLETED" in out, out
    finally:
        shutil.move(stack.root / "users-away", gone)


def test_4b_promote_deploys_the_digests_the_source_runs_without_building(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Staging "passed" orders' release #2 (the changed build); local now runs #1 again.
    # Staging's ledger is an old SSM one: promote migrates it into staging's state bucket.
    second = stack.ledger("orders")[1]
    ensure_state_bucket(
        "flotilla-tfstate-staging",
        "us-east-1",
        account=Account("us-east-1", stack.emulator.env()),
    )
    ssm = stack.client("ssm")
    for name in stack.services():
        passed = second if name == "orders" else stack.ledger(name)[0]
        ssm.put_parameter(
            Name=f"/flotilla/flotilla/staging/releases/{name}",
            Value=json.dumps({"history": [passed]}),
            Type="String",
            Overwrite=True,
        )
    manifest = (stack.root / "build/manifest.json").read_text()
    catalog = {n: registry_tags(stack.registry, f"flotilla/{n}") for n in stack.services()}
    revisions = stack.revisions()
    code, out = stack.run(
        "promote", "--from", "staging", "--to", "local", "--yes", "--skip-smoke", capsys=capsys
    )
    assert code == 0, out
    assert f"promoting orders {second['tag']}" in out, out
    assert stack.ecs_images()["orders"] == second["image"]
    after = stack.revisions()
    assert [s for s in after if after[s] != revisions[s]] == ["orders"]
    latest = stack.ledger("orders")[0]
    assert (latest["kind"], latest["digest"], latest["number"]) == ("promote", second["digest"], 4)
    # Nothing built or pushed: the build manifest is untouched, and the registry only gained
    # the release tag that protects the promoted image from the lifecycle policy.
    assert (stack.root / "build/manifest.json").read_text() == manifest
    gained = {
        n: sorted(set(registry_tags(stack.registry, f"flotilla/{n}")) - set(catalog[n]))
        for n in stack.services()
    }
    assert gained == {n: ["deployed-local-4"] if n == "orders" else [] for n in stack.services()}


def test_5_plan_replacing_target_groups_is_blocked_without_allow_destroy(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    tfvars = stack.root / "environments/local.toml"  # [terraform] is its last table
    original = tfvars.read_text()
    tfvars.write_text(original + '\nvpc_cidr = "10.99.0.0/16"\n')
    revisions, ledger = stack.revisions(), stack.ledger("orders")
    try:
        code, out = stack.deploy(capsys)
    finally:
        tfvars.write_text(original)
    assert code == 3, out
    assert "destroys or replaces critical resources" in out and "target group" in out, out
    assert "--allow-destroy" in out
    md = (stack.root / "build/local/plan.md").read_text()
    assert md.index("[!CAUTION]") < md.index("### Routing")
    assert stack.revisions() == revisions and stack.ledger("orders") == ledger


def test_6_a_breaking_api_change_is_gated_and_a_major_bump_records_the_new_contract(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    src = stack.root / "services/orders/orders_service.py"
    toml = stack.root / "services/orders/service.toml"
    code_before, toml_before = src.read_text(), toml.read_text()
    route = '@plugin.delete("/{order_id}")\ndef delete_order('
    assert route in code_before
    src.write_text(code_before.replace(route, "def delete_order("))  # DELETE /orders/{id} gone
    commit(stack.root, "orders: no more DELETE")
    revisions, ledger = stack.revisions(), stack.ledger("orders")
    code, out = stack.deploy(capsys)
    assert code == 3, out
    assert "orders" in out and "breaking" in out, out
    md = (stack.root / "build/local/plan.md").read_text()
    assert "DELETE /orders/{order_id}" in md, md[-3000:]
    assert stack.revisions() == revisions and stack.ledger("orders") == ledger  # nothing applied
    # The major version bump says the break is meant: it deploys, and the new contract is kept.
    toml.write_text(toml_before.replace('version = "1.0.0"', 'version = "2.0.0"'))
    commit(stack.root, "orders 2.0.0: DELETE removed")
    try:
        code, out = stack.deploy(capsys)
    finally:
        src.write_text(code_before)
        toml.write_text(toml_before)
        commit(stack.root, "orders as before")
    assert code == 0, out
    newest = stack.ledger("orders")[0]
    assert newest["kind"] == "deploy" and newest["version"] == "2.0.0"
    assert newest["openapi"].startswith("sha256:") and newest["openapi"] != ledger[0]["openapi"]
    key = f"flotilla/local/openapi/flotilla/{newest['openapi'].removeprefix('sha256:')}.json"
    doc = json.loads(
        stack.client("s3").get_object(Bucket="flotilla-tfstate-local", Key=key)["Body"].read()
    )
    assert doc["info"]["version"] == "2.0.0"
    assert "delete" not in doc["paths"]["/orders/{order_id}"]
