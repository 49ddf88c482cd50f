"""The deploy lock: one deploy, rollback or promote of an environment at a time.

An object beside the release ledger in the environment's state bucket (`lock_key`), created
with `If-None-Match: *`: of two deploys started together S3 lets exactly one create it and
answers the other 412 (the emulator honours it as well; tests/deploy/test_lock.py checks).
It is taken after validation and before anything is built or pushed, and released in
`finally`. The holder renews it every RENEW_EVERY seconds; a lock not renewed for TTL
seconds belongs to a holder that crashed and is taken over (`If-Match` on its ETag, so of two
takers one wins), which is said in the output. Read-only commands never take it.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from rich.console import Console

from flotilla.deploy import aws
from flotilla.errors import FlotillaError
from flotilla.project import Project

if TYPE_CHECKING:
    from flotilla.deploy.target import Target

TTL = 300.0  # seconds without renewal after which a holder is presumed dead
RENEW_EVERY = 60.0
POLL_EVERY = 2.0  # while --wait-lock waits
CONFLICT = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class LockHeld(FlotillaError):
    """Another deploy of the environment holds the lock."""

    exit_code = 5


class Holder(BaseModel):
    """Who holds the lock, as stored in it."""

    user: str
    host: str
    pid: int
    command: str
    since: datetime
    renewed: datetime

    @classmethod
    def me(cls, command: str) -> Holder:
        t = datetime.now(UTC).replace(microsecond=0)
        return cls(
            user=getpass.getuser(), host=socket.gethostname(), pid=os.getpid(),
            command=command, since=t, renewed=t,
        )  # fmt: skip

    def stale(self, ttl: float) -> bool:
        return datetime.now(UTC) - self.renewed > timedelta(seconds=ttl)

    def describe(self) -> str:
        return (
            f"{self.user}@{self.host} (pid {self.pid}) running `{self.command}` "
            f"since {self.since.isoformat()}"
        )


def command_line() -> str:
    return " ".join(["flotilla", *sys.argv[1:]])


def lock_key(project: Project, env: str) -> tuple[str, str, str]:
    """(bucket, key, region) of `env`'s deploy lock: beside its state and ledger."""
    from flotilla.deploy.state import state_location

    where = state_location(project, env)
    key = "/".join(p for p in (where.folder, "deploy.lock") if p)
    return where.bucket, key, where.region


class DeployLock:
    def __init__(
        self,
        env: str,
        bucket: str,
        key: str,
        region: str,
        ttl: float = TTL,
        account: aws.Account | None = None,
    ) -> None:
        self.env = env
        self.bucket = bucket
        self.key = key
        self.ttl = ttl
        self.region = region
        self.account = account or aws.Account()
        self.s3: Any = self.account.client("s3", region)
        self.etag: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    @classmethod
    def of(
        cls, project: Project, env: str, ttl: float = TTL, account: aws.Account | None = None
    ) -> DeployLock:
        return cls(env, *lock_key(project, env), ttl=ttl, account=account)

    @property
    def where(self) -> str:
        endpoint = self.account.endpoint_url("s3")
        return f"s3://{self.bucket}/{self.key}" + (f" at {endpoint}" if endpoint else "")

    def _call(self, what: str, **kw: Any) -> Any:
        """One S3 call; a conflict or a missing lock is None, anything else one clear error."""
        try:
            return getattr(self.s3, what)(Bucket=self.bucket, Key=self.key, **kw)
        except aws.error_types() as exc:
            code = aws.error_code(exc)
            if code in CONFLICT or code in ("NoSuchKey", "404"):
                return None
            raise FlotillaError(f"deploy lock {self.where}: {exc}") from None

    def _put(self, holder: Holder, **condition: str) -> bool:
        res = self._call("put_object", Body=holder.model_dump_json().encode(), **condition)
        if res is None:
            return False
        self.etag = res["ETag"]
        return True

    def read(self) -> tuple[Holder, str] | None:
        """The current holder and the lock's ETag; None when nobody holds it."""
        res = self._call("get_object")
        if res is None:
            return None
        body = res["Body"].read()
        try:
            return Holder.model_validate_json(body), res["ETag"]
        except ValidationError:  # unreadable: treat it as held by a crashed, unknown holder
            t = datetime.fromtimestamp(0, UTC)
            return Holder(user="?", host="?", pid=0, command="?", since=t, renewed=t), res["ETag"]

    def acquire(self, command: str, console: Console, wait: float = 0.0) -> None:
        """Take the lock, waiting up to `wait` seconds for its holder; LockHeld (exit 5)."""
        me = Holder.me(command)
        deadline = time.monotonic() + wait
        while True:
            if self._put(me, IfNoneMatch="*"):
                break
            found = self.read()
            if found is None:
                continue  # released between our put and our read
            holder, etag = found
            if holder.stale(self.ttl):
                if self._put(me, IfMatch=etag):
                    console.print(
                        f"[yellow]took over the deploy lock of {self.env}[/] from "
                        f"{holder.describe()}: not renewed for over {self.ttl:.0f}s "
                        "(its holder presumably crashed)",
                        highlight=False,
                    )
                    break
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockHeld(
                    f"{self.env} is locked by another deploy: {holder.describe()}",
                    hint=f"wait with --wait-lock SECONDS; if that deploy is dead, "
                    f"`flotilla unlock --env {self.env}` (lock: {self.where})",
                )
            with console.status(f"waiting for the deploy lock: {holder.describe()}"):
                time.sleep(min(POLL_EVERY, left))
        self._renewer = threading.Thread(target=self._renew, args=(me,), daemon=True)
        self._renewer.start()

    def _renew(self, me: Holder) -> None:
        while not self._stop.wait(RENEW_EVERY):
            me = me.model_copy(update={"renewed": datetime.now(UTC).replace(microsecond=0)})
            with contextlib.suppress(FlotillaError):  # a missed renewal is retried next time
                if self.etag and not self._put(me, IfMatch=self.etag):
                    print(f"warning: lost the deploy lock {self.where}", file=sys.stderr)
                    return

    def release(self) -> None:
        """Give the lock back (only if it is still ours)."""
        self._stop.set()
        if self._renewer:
            self._renewer.join()
        if self.etag:
            self._call("delete_object", IfMatch=self.etag)
            self.etag = None

    def break_(self, etag: str) -> bool:
        """Remove the lock whatever holds it, if it is still the one read (`etag`)."""
        return self._call("delete_object", IfMatch=etag) is not None


@contextlib.contextmanager
def held(
    target: Target, console: Console, wait: float = 0.0, command: str | None = None
) -> Iterator[DeployLock]:
    """The deploy lock of the target's environment for the duration of the block."""
    lock = DeployLock.of(target.project, target.name, account=target.account)
    if target.environment.kind == "local":  # the emulator forgets its buckets on restart
        from flotilla.deploy.state import ensure_state_bucket

        ensure_state_bucket(lock.bucket, lock.region, account=target.account)
    lock.acquire(command or command_line(), console, wait)
    try:
        yield lock
    finally:
        lock.release()
