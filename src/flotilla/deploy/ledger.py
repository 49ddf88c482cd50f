"""The release ledger: one JSON object per service in the environment's Terraform state bucket.

`s3://<state bucket>/<state folder>/releases/<project>/<service>.json` holds the service's
history (newest first) and its pin. Every write is conditional: `If-Match` on the ETag that was
read (`If-None-Match: *` for a new object); a 412 means another writer got there first, so the
object is read again and the change re-applied. Two writers therefore never lose an entry.

The ledger used to be SSM parameters (`/flotilla/<project>/<env>/releases/<service>`); a
service without an S3 object is migrated from its parameter on first use (the parameter is
left in place, no longer read once the object exists).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from flotilla.deploy import aws
from flotilla.deploy.release import Pin, Release, now
from flotilla.errors import FlotillaError

if TYPE_CHECKING:
    from flotilla.project import Project

MAX_HISTORY = 50
MAX_ATTEMPTS = 20
CONFLICT = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class ServiceLedger(BaseModel):
    """The stored object for one service."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    service: str
    history: tuple[Release, ...] = ()
    pin: Pin | None = None
    migrated_from: str | None = None  # the SSM parameter it was copied from


class Ledger:
    """One environment's ledger. `Ledger.of(project, env)` finds its bucket."""

    def __init__(
        self,
        project: str,
        env: str,
        bucket: str,
        folder: str,
        region: str,
        account: aws.Account | None = None,
    ) -> None:
        self.project = project
        self.env = env
        self.bucket = bucket
        self.prefix = "/".join(p for p in (folder, "releases", project) if p) + "/"
        self.account = account or aws.Account()
        self.s3: Any = self.account.client("s3", region)
        self._region = region
        self._ssm: Any = None

    @classmethod
    def of(cls, project: Project, env: str, account: aws.Account | None = None) -> Ledger:
        """`env`'s ledger, in its state bucket, read and written with `account`'s session."""
        from flotilla.deploy.state import state_location

        where = state_location(project, env)
        return cls(project.name, env, where.bucket, where.folder, where.region, account)

    def key(self, service: str) -> str:
        return f"{self.prefix}{service}.json"

    def ssm_parameter(self, service: str) -> str:
        """Where the SSM ledger kept this service (read only to migrate it)."""
        return f"/flotilla/{self.project}/{self.env}/releases/{service}"

    # -- reading ----------------------------------------------------------------------------

    def load(self, service: str) -> ServiceLedger:
        return self._load(service)[0]

    def history(self, service: str) -> list[Release]:
        """Newest first; [] when the service was never released in this environment."""
        return list(self.load(service).history)

    def current(self, service: str) -> Release | None:
        """The newest entry, whatever its verdict: what the environment was last set to."""
        history = self.history(service)
        return history[0] if history else None

    def last_passed(self, service: str) -> Release | None:
        """The newest release whose verdict is `passed` (what an automatic rollback restores)."""
        return next((r for r in self.history(service) if r.verdict == "passed"), None)

    def pinned(self, service: str) -> Pin | None:
        return self.load(service).pin

    def everything(self) -> dict[str, ServiceLedger]:
        """Every service with a ledger in this environment, by name (SSM ones migrated)."""
        names = set(self._s3_services()) | set(self._ssm_services())
        return {name: self.load(name) for name in sorted(names)}

    def _s3_services(self) -> list[str]:
        names = []
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    rest = str(obj["Key"])[len(self.prefix) :]
                    if rest.endswith(".json") and "/" not in rest:
                        names.append(rest.removesuffix(".json"))
        except aws.error_types() as exc:
            if aws.error_code(exc) != "NoSuchBucket":
                raise self._error("list", exc) from None
        return names

    def _load(self, service: str) -> tuple[ServiceLedger, str | None]:
        """The object and its ETag; (empty or migrated from SSM, None) when there is none."""
        key = self.key(service)
        try:
            obj = self.s3.get_object(Bucket=self.bucket, Key=key)
        except aws.error_types() as exc:
            if aws.error_code(exc) not in ("NoSuchKey", "NoSuchBucket", "404"):
                raise self._error(f"read {key} from", exc) from None
            return self._from_ssm(service), None
        try:
            data = ServiceLedger.model_validate_json(obj["Body"].read())
        except ValidationError as exc:
            raise FlotillaError(
                f"s3://{self.bucket}/{key} is not a flotilla ledger: {exc.errors()[0]['msg']}"
            ) from None
        return data, str(obj["ETag"])

    # -- the SSM ledger, for migration ------------------------------------------------------

    @property
    def ssm(self) -> Any:
        if self._ssm is None:
            self._ssm = self.account.client("ssm", self._region)
        return self._ssm

    def _ssm_services(self) -> list[str]:
        prefix = f"/flotilla/{self.project}/{self.env}/releases"
        try:
            pages = self.ssm.get_paginator("get_parameters_by_path").paginate(
                Path=prefix, Recursive=False
            )
            return [p["Name"].rsplit("/", 1)[-1] for page in pages for p in page["Parameters"]]
        except aws.error_types():
            return []  # no SSM ledger (or no SSM access): nothing to migrate

    def _from_ssm(self, service: str) -> ServiceLedger:
        """The SSM ledger's history, written to S3 (only if no object appeared meanwhile)."""
        name = self.ssm_parameter(service)
        try:
            value = self.ssm.get_parameter(Name=name)["Parameter"]["Value"]
        except aws.error_types():
            return ServiceLedger(service=service)
        rows = json.loads(value).get("history", [])
        history = tuple(Release.model_validate({**r, "service": service}) for r in rows)
        migrated = ServiceLedger(service=service, history=history, migrated_from=name)
        try:
            self._put(migrated, None)
        except _Conflict:
            return self._load(service)[0]  # another process migrated it first
        return migrated

    # -- writing ----------------------------------------------------------------------------

    def _put(self, data: ServiceLedger, etag: str | None) -> None:
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        key = self.key(data.service)
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data.model_dump_json(indent=1).encode(),
                ContentType="application/json",
                **condition,
            )
        except aws.error_types() as exc:
            if aws.error_code(exc) in CONFLICT:
                raise _Conflict from None
            raise self._error(f"write {key} to", exc) from None

    def update(
        self, service: str, change: Callable[[ServiceLedger], ServiceLedger | None]
    ) -> ServiceLedger:
        """Read, `change`, write if the object is still what was read; otherwise again.

        `change` returns None to write nothing. Returns what is stored afterwards."""
        for attempt in range(MAX_ATTEMPTS):
            data, etag = self._load(service)
            new = change(data)
            if new is None:
                return data
            try:
                self._put(new, etag)
                return new
            except _Conflict:
                time.sleep(random.uniform(0, 0.05 * (attempt + 1)))
        raise FlotillaError(
            f"the ledger of {service} in {self.env} changed {MAX_ATTEMPTS} times while "
            "this deploy tried to record; nothing was recorded",
            hint="run `flotilla releases` to see who is deploying, then retry",
        )

    def record(
        self, release: Release, *, pin: bool = False
    ) -> tuple[Release, list[Release]] | None:
        """Prepend `release` (numbered after the newest); returns it and the trimmed ones.

        Recording replaces the service's pin: with `pin` (a manual rollback) it pins the new
        release, otherwise it clears it. None, and nothing written, when a passed release
        repeats the newest passed one exactly (same digest and spec) and no pin is asked for:
        the service already runs it, and a new entry would only bury the real changes."""
        out: list[tuple[Release, list[Release]]] = []

        def change(data: ServiceLedger) -> ServiceLedger | None:
            out.clear()
            newest = data.history[0] if data.history else None
            if (
                newest is not None
                and not pin
                and data.pin is None
                and release.verdict == newest.verdict == "passed"
                and release.same_deployment(newest)
            ):
                return None
            number = (max(r.number for r in data.history) + 1) if data.history else 1
            saved = release.model_copy(
                update={"number": number, "service": data.service, "time": release.time or now()}
            )
            history = [saved, *data.history]
            dropped = history[MAX_HISTORY:][::-1]  # oldest first
            new_pin = Pin(number=number, by=saved.kind, deployer=saved.deployer, time=saved.time)
            out.append((saved, dropped))
            return data.model_copy(
                update={"history": tuple(history[:MAX_HISTORY]), "pin": new_pin if pin else None}
            )

        self.update(release.service, change)
        return out[0] if out else None

    def unpin(self, service: str) -> Pin | None:
        """Clear the service's pin; returns the pin there was (None: it was not pinned)."""
        was: list[Pin] = []

        def change(data: ServiceLedger) -> ServiceLedger | None:
            was.clear()
            if data.pin is None:
                return None
            was.append(data.pin)
            return data.model_copy(update={"pin": None})

        self.update(service, change)
        return was[0] if was else None

    def _error(self, what: str, exc: BaseException) -> FlotillaError:
        hint = None
        if aws.error_code(exc) == "NoSuchBucket":
            hint = f"create the state bucket first: flotilla env bootstrap {self.env}"
        return FlotillaError(f"cannot {what} the ledger bucket {self.bucket}: {exc}", hint=hint)


class _Conflict(Exception):
    """Another writer changed the object since it was read (HTTP 412/409)."""
