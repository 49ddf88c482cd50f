"""A new environment from the command line, planned by real terraform against the emulator:
`flotilla env new qa --from staging`, then preflight and `terraform plan` of qa."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flotilla.deploy import preflight
from flotilla.deploy.aws import Account
from flotilla.deploy.preflight import CliValues
from flotilla.deploy.servicemap import write_service_map
from flotilla.deploy.state import ensure_state_bucket, state_location
from flotilla.deploy.terraform import Terraform
from flotilla.discovery import Service
from flotilla.local.emulator import Emulator
from flotilla.project import load_project
from tests.fixtures.base import REPO
from tests.fixtures.terraform import TEST_PROJECT, fake_image

pytestmark = [pytest.mark.terraform, pytest.mark.slow]


def test_env_new_qa_from_staging_plans_against_the_emulator(
    tmp_path: Path, tf_services: list[Service], tf_emulator: Emulator
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    for name in ("infra", "services"):
        (root / name).symlink_to(REPO / name, target_is_directory=True)
    shutil.copytree(REPO / "environments", root / "environments")
    (root / "flotilla.toml").write_text(f'[project]\nname = "{TEST_PROJECT}"\n')
    made = subprocess.run(
        [sys.executable, "-m", "flotilla.cli", "env", "new", "qa", "--from", "staging"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "FLOTILLA_ROOT": str(root)},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "HTTPS" in made.stdout  # staging's file leaves HTTPS to the team: review says so
    qa = root / "environments/qa.toml"
    qa.write_text("allow_http = true\n" + qa.read_text())  # the reviewer's decision

    project = load_project(root)
    found = preflight.check(project, CliValues("plan", "qa"))
    assert [v.line() for v in found] == []

    where = state_location(project, "qa")
    assert (where.bucket, where.key) == (
        f"{TEST_PROJECT}-tfstate-qa",
        "tftest/qa/terraform.tfstate",
    )
    ensure_state_bucket(where.bucket, where.region, account=Account("us-east-1", tf_emulator.env()))
    tf = Terraform(project, "qa", extra_env=tf_emulator.env())
    tf.init()
    images = {s.name: fake_image(s.name) for s in tf_services}
    smap = write_service_map(project, "qa", tf_services, images)
    out = project.build_dir / "qa" / "plan.tfplan"
    assert tf.plan([tf.var_file(), smap], out) is True
    plan = tf.show_json(out)
    after = {
        rc["address"]: rc["change"]["after"]
        for rc in plan["resource_changes"]
        if "create" in rc["change"]["actions"]
    }
    albs = [a for addr, a in after.items() if addr.endswith("aws_lb.this")]
    assert [a["name"] for a in albs] == [f"{TEST_PROJECT}-qa"]
    vpcs = [a for addr, a in after.items() if addr.endswith("aws_vpc.this[0]")]
    assert [v["cidr_block"] for v in vpcs] == ["10.41.0.0/16"]  # staging's, copied
    assert sum(addr.endswith("aws_ecs_service.this") for addr in after) == len(tf_services)
