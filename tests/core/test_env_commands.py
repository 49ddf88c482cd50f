"""`flotilla env list|show|new`: what a user reads and writes, through the real command line.

The project is the repository's three environments, its variables.tf and one service with a
secret and a prod override; the last-release test records into the AWS emulator's S3."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.fixtures.base import REPO

SERVICE = """\
name = "orders"
framework = "fastapi"
entry = "orders_service:plugin"
path = "/orders"
version = "1.0.0"

[secrets]
DB_PASSWORD = "/orders/db-password"

[environments.prod]
count = 2
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(REPO / "environments", root / "environments")
    (root / "infra/terraform").mkdir(parents=True)
    shutil.copy(REPO / "infra/terraform/variables.tf", root / "infra/terraform/variables.tf")
    (root / "flotilla.toml").write_text('[project]\nname = "shop"\n')
    (root / "services/orders").mkdir(parents=True)
    (root / "services/orders/service.toml").write_text(SERVICE)
    return root


def run(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "flotilla.cli", "env", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={**base, "FLOTILLA_ROOT": str(root), "COLUMNS": "200", **(env or {})},
    )


def listing(root: Path, env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    r = run(root, "list", "--json", env=env)
    assert r.returncode == 0, r.stderr
    return {e["name"]: e for e in json.loads(r.stdout)["environments"]}


def test_list_is_a_table_of_every_environment_in_80_columns(root: Path) -> None:
    r = run(root, "list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, r.stdout
    header = next(line for line in lines if "name" in line)
    for column in ("name", "kind", "account", "region", "from", "last release"):
        assert column in header, header
    rows = {line.split()[1]: line.split() for line in lines if line.startswith("│")}
    assert rows["local"][3] == "local" and rows["local"][5] == "123456789012"
    assert rows["prod"][3] == "aws" and rows["prod"][9] == "staging"
    assert set(rows) == {"local", "prod", "staging"}


def test_show_resolves_everything_and_secrets_by_reference(root: Path) -> None:
    r = run(root, "show", "prod", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["kind"] == "aws" and data["promotes_from"] == "staging" and data["confirm"]
    assert data["state"] == {
        "bucket": "flotilla-tfstate-prod",
        "key": "flotilla/prod/terraform.tfstate",
        "region": "us-east-1",
        "encrypt": True,
        "use_lockfile": True,
    }
    assert data["terraform"]["vpc_cidr"] == "10.42.0.0/16"
    assert data["terraform"]["environment"] == "prod" and data["terraform"]["project"] == "shop"
    orders = data["services"]["orders"]
    assert orders["count"] == 2 and orders["secrets"] == {"DB_PASSWORD": "/orders/db-password"}
    # Terraform's inputs are generated from the file, with the same values.
    tfvars = json.loads(Path(data["generated"]["tfvars"]).read_text())
    assert tfvars == data["terraform"]
    backend = Path(data["generated"]["backend"]).read_text()
    assert 'bucket = "flotilla-tfstate-prod"' in backend and "use_lockfile = true" in backend
    assert run(root, "show", "staging").returncode == 0
    assert "staging" in json.loads(run(root, "show", "staging", "--json").stdout)["name"]


def test_show_gives_an_external_id_by_reference_only(root: Path) -> None:
    path = root / "environments/staging.toml"
    path.write_text('external_id = "s3cr3t-value"\n' + path.read_text())
    r = run(root, "show", "staging", "--json")
    assert r.returncode == 0, r.stderr
    assert "s3cr3t-value" not in r.stdout
    assert json.loads(r.stdout)["role"]["external_id"] == "(set)"


def test_new_writes_a_valid_file_and_prints_what_to_review(root: Path) -> None:
    r = run(root, "new", "qa", "--from", "staging", "--account", "333333333333")
    assert r.returncode == 0, r.stderr
    assert "review" in r.stdout and "flotilla env bootstrap qa" in r.stdout
    data = tomllib.loads((root / "environments/qa.toml").read_text())
    assert data["name"] == "qa" and data["account_id"] == "333333333333"
    assert data["state"]["bucket"] == "shop-tfstate-qa"
    assert data["state"]["key"] == "shop/qa/terraform.tfstate"
    assert data["terraform"]["vpc_cidr"] == "10.41.0.0/16"  # staging's, to review
    found = listing(root)
    assert found["qa"]["account"] == "333333333333" and found["qa"]["region"] == "us-east-1"
    shown = json.loads(run(root, "show", "qa", "--json").stdout)
    assert shown["state"]["key"] == "shop/qa/terraform.tfstate"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad_Name", "--from", "staging"], "environment name 'Bad_Name': lowercase letters"),
        (["../x", "--from", "staging"], "environment name '../x'"),
        (["qa", "--from", "stagin"], "--from: unknown environment 'stagin'"),
        (["qa", "--from", "staging", "--account", "12345"], "--account '12345': an AWS account"),
        (["qa", "--from", "staging", "--region", "us-east-7"], "--region 'us-east-7': not an AWS"),
        (["prod", "--from", "staging"], "environment 'prod' exists already"),
        (["dev", "--from", "local", "--kind", "aws"], "--from local --kind aws: local runs on"),
        (["dev", "--from", "local", "--account", "333333333333"], "--account 333333333333: an"),
        (["dev", "--from", "staging", "--kind", "gcp"], "--kind 'gcp': allowed: aws, local"),
        (
            ["a-very-long-environment-name", "--from", "staging"],
            "gives load balancer name 'shop-a-very-long-environment-name'",
        ),
    ],
)
def test_new_refuses_bad_input_and_writes_nothing(
    root: Path, args: list[str], message: str
) -> None:
    before = {p.name: p.read_bytes() for p in (root / "environments").iterdir()}
    r = run(root, "new", *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert {p.name: p.read_bytes() for p in (root / "environments").iterdir()} == before


def test_new_from_local_runs_beside_it_on_a_port_of_its_own(root: Path) -> None:
    r = run(root, "new", "dev", "--from", "local")
    assert r.returncode == 0, r.stderr
    data = tomllib.loads((root / "environments/dev.toml").read_text())
    port = data["alb_port"]  # above local's 8080, and not one something here listens on
    assert data["kind"] == "local" and port > 8080 and not _listening(port)
    assert data["state"]["key"] == "shop/dev/terraform.tfstate"
    assert f"alb_port = {port}" in r.stdout and "flotilla local up" in r.stdout
    assert "bootstrap" not in r.stdout  # the emulator's bucket is made on the first deploy
    text = (root / "environments/dev.toml").read_text()
    assert "flotilla.toml [local]" in text and "[dev]" not in text  # a table's name, kept
    assert "ENV=dev" in text  # the environment's name in comments, renamed
    # A value set again keeps its comment.
    assert "skip_requesting_account_id = false # the emulator answers STS" in text
    shown = run(root, "show", "dev")
    assert f"http://127.0.0.1:{port}" in shown.stdout, shown.stderr
    assert json.loads(run(root, "show", "staging", "--json").stdout)["alb_port"] is None
    r = run(root, "new", "dev2", "--from", "dev")
    assert tomllib.loads((root / "environments/dev2.toml").read_text())["alb_port"] > port
    found = listing(root)
    assert found["dev"]["kind"] == "local" and found["dev2"]["kind"] == "local"


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_new_local_skips_a_port_something_listens_on(root: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        # local's ALB port just below it: the next one up is taken by something else.
        (root / "flotilla.toml").write_text(
            f'[project]\nname = "shop"\n[local]\nalb_port = {taken - 1}\n'
        )
        r = run(root, "new", "dev", "--from", "local")
    assert r.returncode == 0, r.stderr
    assert tomllib.loads((root / "environments/dev.toml").read_text())["alb_port"] > taken


def test_new_local_from_an_aws_one_keeps_its_terraform_settings(root: Path) -> None:
    r = run(root, "new", "qa", "--from", "staging", "--kind", "local")
    assert r.returncode == 0, r.stderr
    data = tomllib.loads((root / "environments/qa.toml").read_text())
    staging = tomllib.loads((root / "environments/staging.toml").read_text())
    assert data["kind"] == "local" and data["alb_port"] > 8080
    for key in ("account_id", "role_arn", "domain", "certificate_arn", "allow_http"):
        assert key not in data, key
    assert data["terraform"]["vpc_cidr"] == staging["terraform"]["vpc_cidr"]
    assert data["terraform"]["emulator_compat"] is True
    assert data["terraform"]["alb_deletion_protection"] is False
    assert listing(root)["qa"]["account"] == "123456789012"  # the emulator's


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace('kind = "local"', 'kind = "local"\nalb_port = 8080'),
            "dev.toml: key `alb_port` = 8080: already used by environment 'local'",
        ),
        (
            lambda t: t.replace('kind = "local"', 'kind = "local"\nalb_port = 5000'),
            "key `alb_port` = 5000: already used by flotilla.toml [local].registry_port",
        ),
        (
            lambda t: t.replace('kind = "local"', 'kind = "local"\nalb_port = "x"'),
            "key `alb_port` = 'x': a port number (an integer, 1024-65535)",
        ),
        (
            lambda t: t.replace('kind = "local"', 'kind = "local"\nalb_port = 80'),
            "key `alb_port` = 80: Input should be greater than or equal to 1024",
        ),
        (
            lambda t: t.replace('kind = "local"', 'kind = "aws"\nalb_port = 9000'),
            "key `alb_port` = 9000: only for kind local",
        ),
    ],
)
def test_local_environments_need_ports_of_their_own(root: Path, edit: Any, message: str) -> None:
    text = (root / "environments/local.toml").read_text().replace('name = "local"', 'name = "dev"')
    text = text.replace("flotilla/local/terraform.tfstate", "flotilla/dev/terraform.tfstate")
    (root / "environments/dev.toml").write_text(edit(text))
    r = run(root, "list")
    assert r.returncode == 2, r.stdout
    assert message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_a_bad_environment_file_is_one_clear_error(root: Path) -> None:
    path = root / "environments/staging.toml"
    path.write_text(path.read_text().replace('kind = "aws"', 'kind = "aws-ecs"'))
    r = run(root, "list")
    assert r.returncode == 2
    assert f"{path}: key `kind` = 'aws-ecs': Input should be 'aws' or 'local'" in r.stderr


def test_list_shows_the_last_release_from_the_ledger(root: Path, emulator: Any) -> None:
    env = emulator.env()
    before = listing(root, env)
    assert before["staging"]["last_release"] is None
    s3 = boto3.client("s3", **_client_args(env))
    s3.create_bucket(Bucket="flotilla-tfstate-staging")
    key = "flotilla/staging/releases/shop/orders.json"  # where the ledger keeps orders
    s3.put_object(Bucket="flotilla-tfstate-staging", Key=key, Body=b'{"history": []}')
    after = listing(root, env)
    assert after["staging"]["last_release"] is not None, after["staging"]
    assert after["prod"]["last_release"] is None
    r = run(root, "list", env=env)
    staging = next(line for line in r.stdout.splitlines() if line.startswith("│ staging "))
    assert "ago" in staging, r.stdout


def _client_args(env: dict[str, str]) -> dict[str, str]:
    return {
        "endpoint_url": env["AWS_ENDPOINT_URL"],
        "region_name": env["AWS_REGION"],
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }


def test_bootstrap_creates_the_state_bucket_once_and_converges(root: Path, emulator: Any) -> None:
    env = emulator.env()
    r = run(root, "new", "qa", "--from", "staging")
    assert r.returncode == 0, r.stderr
    bucket = tomllib.loads((root / "environments/qa.toml").read_text())["state"]["bucket"]
    s3 = boto3.client("s3", **_client_args(env))
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]

    first = run(root, "bootstrap", "qa", "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {
        "environment": "qa",
        "bucket": bucket,
        "region": "us-east-1",
        "account": "123456789012",
        "created": True,
    }
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert rule["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"

    again = run(root, "bootstrap", "qa", env=env)
    assert again.returncode == 0, again.stderr
    assert f"state bucket {bucket}" in again.stdout and "already existed" in again.stdout


def test_bootstrap_refuses_another_accounts_credentials_and_makes_nothing(
    root: Path, emulator: Any
) -> None:
    env = emulator.env()
    r = run(root, "new", "uat", "--from", "staging", "--account", "111111111111")
    assert r.returncode == 0, r.stderr
    bucket = tomllib.loads((root / "environments/uat.toml").read_text())["state"]["bucket"]
    refused = run(root, "bootstrap", "uat", env=env)  # the emulator's credentials: 123456789012
    assert refused.returncode == 2, refused.stderr
    assert "key `account_id` = '111111111111'" in refused.stderr
    assert "credentials are for account 123456789012" in refused.stderr
    assert "Traceback" not in refused.stderr
    s3 = boto3.client("s3", **_client_args(env))
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_bootstrap_of_an_undefined_environment_is_exit_2(root: Path) -> None:
    r = run(root, "bootstrap", "qa")
    assert r.returncode == 2 and "unknown environment 'qa'" in r.stderr


def _accounts(root: Path) -> None:
    """staging in 111111111111 (by role), prod in 222222222222 promoting from it, qa alone in
    333333333333."""
    for name, line in (
        ("staging", 'role_arn = "arn:aws:iam::111111111111:role/deploy"'),
        ("prod", 'account_id = "222222222222"'),
    ):
        path = root / "environments" / f"{name}.toml"
        path.write_text(path.read_text().replace("[state]", f"{line}\n[state]", 1))
    qa = (root / "environments/staging.toml").read_text()
    qa = qa.replace('name = "staging"', 'name = "qa"').replace("111111111111", "333333333333")
    qa = qa.replace("tfstate-staging", "tfstate-qa").replace("/staging/", "/qa/")
    (root / "environments/qa.toml").write_text(qa)


def test_show_names_the_registry_account_and_exactly_the_accounts_that_pull(root: Path) -> None:
    _accounts(root)
    images = {}
    for name in ("staging", "prod", "qa"):
        proc = run(root, "show", name, "--json")
        assert proc.returncode == 0, proc.stderr
        images[name] = json.loads(proc.stdout)["images"]
    # prod's images are staging's: pushed once to staging's account, which prod's may pull
    assert images["prod"] == {
        "registry_account": "111111111111",
        "registry_environment": "staging",
        "pulled_by_accounts": ["222222222222"],
    }
    assert images["staging"] == images["prod"]
    assert images["qa"] == {
        "registry_account": "333333333333",
        "registry_environment": "qa",
        "pulled_by_accounts": [],
    }
    text = run(root, "show", "prod").stdout
    assert (
        "images         registry account 111111111111 (staging's); pulled by 222222222222" in text
    )


def test_a_registry_account_no_environment_of_the_chain_is_in_is_exit_2(root: Path) -> None:
    _accounts(root)
    (root / "flotilla.toml").write_text(
        '[project]\nname = "shop"\nregistry_account = "999999999999"\n'
    )
    proc = run(root, "show", "prod")
    assert proc.returncode == 2, proc.stderr
    assert "flotilla.toml: key `project.registry_account` = '999999999999'" in proc.stderr
    message = " ".join(proc.stderr.split())
    assert "environment prod's promotion chain (prod, staging) is in that account" in message
