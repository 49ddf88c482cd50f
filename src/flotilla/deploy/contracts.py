"""The API contract in the plan review: for each service whose image changes, its new OpenAPI
document against the deployed release's, breaking changes listed in plan.md, and the gate.

Where the documents come from:
- the new one is generated from the working tree the image is built from (the same code and
  the same generator as the image's `<path>/openapi.json`);
- the deployed one is kept by hash next to the ledger, in the environment's state bucket at
  `<state folder>/openapi/<project>/<sha256>.json`, written when a deploy records the release
  whose `openapi` field names that hash. A release recorded before documents were kept has no
  hash: plan.md says there is nothing to compare.

With breaking changes the gate refuses (exit 3) unless `--allow-breaking` is given or the
manifest's major version is above the deployed release's.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flotilla.deploy import aws
from flotilla.deploy.apidiff import ApiDiff, compare, plan_lines
from flotilla.deploy.gate import GateClosed
from flotilla.errors import FlotillaError

if TYPE_CHECKING:
    from flotilla.deploy.ledger import Ledger
    from flotilla.discovery import Service


def digest(document: bytes) -> str:
    return "sha256:" + hashlib.sha256(document).hexdigest()


class DocumentStore:
    """Documents by hash in the state bucket, next to the ledger's releases."""

    def __init__(self, ledger: Ledger) -> None:
        folder, _, _ = ledger.prefix.rpartition("releases/")
        self.s3 = ledger.s3
        self.bucket = ledger.bucket
        self.prefix = f"{folder}openapi/{ledger.project}/"

    def key(self, doc_hash: str) -> str:
        return f"{self.prefix}{doc_hash.removeprefix('sha256:')}.json"

    def put(self, document: bytes) -> str:
        doc_hash = digest(document)
        try:
            self.s3.put_object(Bucket=self.bucket, Key=self.key(doc_hash), Body=document)
        except aws.error_types() as exc:
            raise FlotillaError(
                f"cannot write s3://{self.bucket}/{self.key(doc_hash)}: {exc}"
            ) from None
        return doc_hash

    def get(self, doc_hash: str) -> bytes | None:
        try:
            body: bytes = self.s3.get_object(Bucket=self.bucket, Key=self.key(doc_hash))[
                "Body"
            ].read()
        except aws.error_types() as exc:
            if aws.error_code(exc) in ("NoSuchKey", "NoSuchBucket", "404"):
                return None
            raise FlotillaError(
                f"cannot read s3://{self.bucket}/{self.key(doc_hash)}: {exc}"
            ) from None
        return body


def new_document(svc: Service) -> tuple[bytes | None, str]:
    """The service's document from the working tree, or (None, why there is none); generated
    in a child process (`flotilla.runtime.contract`) so each service imports only its code."""
    run = subprocess.run(
        [sys.executable, "-m", "flotilla.runtime.contract", str(svc.root)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    why = run.stderr.decode(errors="replace").strip().splitlines()
    if run.returncode == 0:
        return run.stdout, "generated from the plugin's routes"
    if run.returncode == 3:
        return None, why[-1] if why else "no document"
    return None, f"its entry cannot be imported here ({why[-1] if why else run.returncode})"


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])


@dataclass
class ApiCheck:
    """One changing service's contract: compared, or why not."""

    service: str
    document: bytes | None = None
    note: str = ""
    diff: ApiDiff = field(default_factory=ApiDiff)
    major_bumped: bool = False

    @property
    def doc_hash(self) -> str:
        return digest(self.document) if self.document is not None else ""

    @property
    def blocks(self) -> bool:
        return bool(self.diff.breaking) and not self.major_bumped


def check(services: list[Service], ledger: Ledger) -> list[ApiCheck]:
    """Compare each service's new document with its deployed release's."""
    store = DocumentStore(ledger)
    out = []
    for svc in sorted(services, key=lambda s: s.name):
        name = svc.name
        document, why = new_document(svc)
        item = ApiCheck(name, document)
        deployed = ledger.current(name)
        if document is None:
            item.note = f"no document: {why}"
        elif deployed is None:
            item.note = "first release: nothing deployed to compare with"
        elif not deployed.openapi:
            item.note = "the deployed release has no document recorded: nothing to compare"
        else:
            old = store.get(deployed.openapi)
            if old is None:
                item.note = (
                    f"the deployed document {deployed.openapi} is missing from the state bucket"
                )
            else:
                item.diff = compare(json.loads(old), json.loads(document))
                item.major_bumped = _major(svc.manifest.version) > _major(deployed.version)
                item.note = f"compared with release {deployed.number} ({deployed.version})"
        out.append(item)
    return out


def markdown(checks: list[ApiCheck]) -> str:
    """The plan.md section."""
    lines = ["", "## API contract", ""]
    if not checks:
        lines.append("No service's image changes.")
    for c in checks:
        lines.append(f"### {c.service}")
        lines.append("")
        lines.append(c.note + ("." if c.note else ""))
        if c.diff.breaking and c.major_bumped:
            lines.append("Breaking changes are allowed: the major version was bumped.")
        body = plan_lines(c.diff)
        if body:
            lines += ["", *body]
        elif c.note.startswith("compared"):
            lines.append("No API changes.")
        lines.append("")
    return "\n".join(lines) + "\n"


def refuse(checks: list[ApiCheck], *, allow_breaking: bool, plan_md: str) -> None:
    """GateClosed (exit 3) when a service breaks its API without a major version bump."""
    blocking = [c for c in checks if c.blocks]
    if blocking and not allow_breaking:
        items = "; ".join(f"{c.service}: {len(c.diff.breaking)} breaking" for c in blocking)
        raise GateClosed(
            f"the new API breaks clients ({items})",
            hint=f"read {plan_md}; bump the manifest's major version, or pass --allow-breaking",
        )


def store_documents(checks: list[ApiCheck], ledger: Ledger) -> dict[str, str]:
    """Write each new document next to the ledger; service -> its hash (for the release)."""
    store = DocumentStore(ledger)
    return {c.service: store.put(c.document) for c in checks if c.document is not None}
