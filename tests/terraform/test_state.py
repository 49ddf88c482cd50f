"""The Terraform state bucket, created in the emulator's S3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from flotilla.deploy.environments import backend_file
from flotilla.deploy.state import backend_settings, ensure_state_bucket
from flotilla.project import load_project


def test_state_bucket_is_versioned_encrypted_and_private(tf_env: dict[str, str]) -> None:
    assert ensure_state_bucket("tftest-state-unit", "us-east-1") is True
    assert ensure_state_bucket("tftest-state-unit", "us-east-1") is False
    s3 = boto3.client("s3")
    assert s3.get_bucket_versioning(Bucket="tftest-state-unit")["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket="tftest-state-unit")[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    block = s3.get_public_access_block(Bucket="tftest-state-unit")
    assert all(block["PublicAccessBlockConfiguration"].values())


def test_bootstrap_script_reads_the_backend_file(tf_env: dict[str, str], repo_root: Path) -> None:
    settings = backend_settings(backend_file(load_project(repo_root), "prod"))
    run = subprocess.run(
        [sys.executable, "scripts/bootstrap_state.py", "--env", "prod"],
        cwd=repo_root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert settings["bucket"] in run.stdout
    assert (
        boto3.client("s3").get_bucket_versioning(Bucket=settings["bucket"])["Status"] == "Enabled"
    )


def test_backend_files_lock_and_encrypt(repo_root: Path) -> None:
    for env in ("local", "staging", "prod"):
        text = backend_file(load_project(repo_root), env).read_text()
        assert "use_lockfile = true" in text and "encrypt = true" in text


def test_bootstrap_script_without_arguments_is_usage_error(repo_root: Path) -> None:
    run = subprocess.run(
        [sys.executable, "scripts/bootstrap_state.py"],
        cwd=repo_root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 2 and "--env or --bucket" in run.stderr


@pytest.mark.parametrize("missing", ["bucket", "region"])
def test_backend_file_without_bucket_or_region(tmp_path: Path, missing: str) -> None:
    f = tmp_path / "x.s3.tfbackend"
    f.write_text('bucket = "b"\nregion = "r"\n'.replace(f"{missing} = ", "# "))
    with pytest.raises(Exception, match=f"missing `{missing}"):
        backend_settings(f)
