"""Terraform's state bucket: created once per account (`flotilla env bootstrap NAME`), and for
ENV=local by `Terraform.init()` since the emulator forgets everything when it restarts.

The release ledger lives in the same bucket (`state_location`), beside the state it describes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from flotilla.deploy import aws
from flotilla.errors import FlotillaError, UsageError

if TYPE_CHECKING:
    from flotilla.project import Project

_SETTING = re.compile(r'^\s*([a-z_]+)\s*=\s*"([^"]*)"\s*$')


def backend_settings(path: Path) -> dict[str, str]:
    """The quoted string settings of a `.tfbackend` file (bucket, key, region, ...)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read backend settings: {exc.strerror}") from None
    found = {}
    for line in text.splitlines():
        if m := _SETTING.match(line.split("#", 1)[0]):
            found[m.group(1)] = m.group(2)
    for key in ("bucket", "region"):
        if key not in found:
            raise UsageError(f'{path}: missing `{key} = "..."`')
    return found


def backend_path(project: Project, env: str) -> Path:
    """`env`'s backend settings for `terraform init`, generated from its file."""
    from flotilla.deploy.environments import backend_file

    return backend_file(project, env)


@dataclass(frozen=True)
class StateLocation:
    """Where an environment's Terraform state lives: bucket, region, state key."""

    bucket: str
    region: str
    key: str

    @property
    def folder(self) -> str:
        """The state key's folder (`flotilla/<env>`); the ledger is kept under it."""
        parent = str(PurePosixPath(self.key).parent)
        return "" if parent == "." else parent


def state_location(project: Project, env: str) -> StateLocation:
    """The one place that says where `env`'s state (and so its ledger) is kept."""
    from flotilla.deploy.environments import get

    found = get(project, env)
    return StateLocation(found.spec.state.bucket, found.state_region, found.state_key)


def _deny_insecure_transport(bucket: str) -> str:
    arn = f"arn:aws:s3:::{bucket}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def ensure_state_bucket(bucket: str, region: str, *, account: aws.Account | None = None) -> bool:
    """Make `bucket` exist in `account` (default: the process environment's): versioned, SSE
    encrypted, public access blocked, TLS only.

    Idempotent: the settings are (re)applied every time. Returns True when it was created.
    """
    s3 = (account or aws.Account()).client("s3", region)
    errors = aws.error_types()
    created = False
    try:
        s3.head_bucket(Bucket=bucket)
    except errors as exc:
        code = aws.error_code(exc)
        if code in ("403", "AccessDenied", "Forbidden"):
            raise FlotillaError(
                f"state bucket {bucket!r} exists but this account cannot use it",
                hint="S3 bucket names are global; pick another [state] bucket in "
                "environments/<env>.toml",
            ) from None
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise FlotillaError(f"cannot check state bucket {bucket!r}: {exc}") from None
        kwargs: dict[str, object] = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            s3.create_bucket(**kwargs)
        except errors as exc:
            raise FlotillaError(f"cannot create state bucket {bucket!r}: {exc}") from None
        created = True
    try:
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        # A TLS-only policy would lock out a plain-http emulator endpoint (ENV=local).
        if not str(s3.meta.endpoint_url).startswith("http://"):
            s3.put_bucket_policy(Bucket=bucket, Policy=_deny_insecure_transport(bucket))
    except errors as exc:
        raise FlotillaError(f"cannot configure state bucket {bucket!r}: {exc}") from None
    return created
