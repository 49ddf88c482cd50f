"""The deploy lock against the emulator's S3: conditional create, who holds it, takeover of a
crashed holder's lock, waiting, and `flotilla unlock`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from flotilla.deploy.lock import DeployLock, Holder, LockHeld
from flotilla.local.emulator import Emulator
from tests.fixtures.base import emulator_client

BUCKET = "locktest-state"


@pytest.fixture
def lock(emulator: Emulator, aws_env: dict[str, str]) -> DeployLock:
    s3 = emulator_client(emulator, "s3")
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.delete_object(Bucket=BUCKET, Key="flotilla/local/deploy.lock")
    return DeployLock("local", BUCKET, "flotilla/local/deploy.lock", emulator.region)


def console() -> tuple[Console, list[str]]:
    out: list[str] = []

    class Sink:
        def write(self, s: str) -> int:
            out.append(s)
            return len(s)

        def flush(self) -> None: ...

    return Console(file=Sink(), width=200), out  # type: ignore[arg-type]


def test_the_emulator_honours_if_none_match(emulator: Emulator, lock: DeployLock) -> None:
    """The probe the lock relies on: a second conditional create is refused with 412."""
    s3 = emulator_client(emulator, "s3")
    s3.put_object(Bucket=BUCKET, Key="probe", Body=b"1", IfNoneMatch="*")
    with pytest.raises(s3.exceptions.ClientError) as info:
        s3.put_object(Bucket=BUCKET, Key="probe", Body=b"2", IfNoneMatch="*")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert s3.get_object(Bucket=BUCKET, Key="probe")["Body"].read() == b"1"


def test_a_second_holder_is_refused_naming_the_first(lock: DeployLock) -> None:
    con, _ = console()
    lock.acquire("flotilla deploy --env local", con)
    other = DeployLock(lock.env, lock.bucket, lock.key, lock.region)
    with pytest.raises(LockHeld) as info:
        other.acquire("flotilla deploy --env local", con)
    me = Holder.me("x")
    msg = str(info.value)
    assert info.value.exit_code == 5
    assert f"{me.user}@{me.host}" in msg and "`flotilla deploy --env local`" in msg
    assert "since 20" in msg and "flotilla unlock --env local" in msg
    lock.release()
    assert lock.read() is None
    other.acquire("flotilla rollback --env local", con)  # free again
    other.release()


def test_a_stale_lock_is_taken_over_and_said(lock: DeployLock) -> None:
    old = datetime.now(UTC) - timedelta(seconds=lock.ttl + 60)
    dead = Holder(user="ghost", host="gone", pid=1, command="flotilla deploy", since=old,
                  renewed=old)  # fmt: skip
    lock.s3.put_object(Bucket=BUCKET, Key=lock.key, Body=dead.model_dump_json().encode())
    con, out = console()
    lock.acquire("flotilla deploy --env local", con)
    said = "".join(out)
    assert "took over the deploy lock of local" in said and "ghost@gone" in said
    found = lock.read()
    assert found is not None and found[0].pid == Holder.me("x").pid
    lock.release()


def test_wait_lock_waits_for_the_holder(lock: DeployLock) -> None:
    con, _ = console()
    lock.acquire("first", con)
    waiter = DeployLock(lock.env, lock.bucket, lock.key, lock.region)
    got = threading.Event()

    def wait() -> None:
        waiter.acquire("second", con, wait=120)
        got.set()

    t = threading.Thread(target=wait)
    t.start()
    assert not got.wait(3)  # still held: the waiter waits instead of failing
    lock.release()
    t.join(120)
    assert got.is_set()
    found = waiter.read()
    assert found is not None and found[0].command == "second"
    waiter.release()


def test_unlock_breaks_it_after_asking(lock: DeployLock, tmp_path: Path) -> None:
    import shutil

    from tests.fixtures.base import REPO

    root = tmp_path / "p"
    shutil.copytree(REPO / "environments", root / "environments")
    (root / "flotilla.toml").write_text('[project]\nname = "p"\n')
    backend = root / "environments/local.toml"
    backend.write_text(backend.read_text().replace("flotilla-tfstate-local", BUCKET))
    con, _ = console()
    lock.acquire("flotilla deploy --env local", con)

    def unlock(answer: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "flotilla.cli", "unlock", "--env", "local"],
            input=answer, capture_output=True, text=True,
            env={**os.environ, "FLOTILLA_ROOT": str(root)},
        )  # fmt: skip

    said_no = unlock("n\n")
    assert said_no.returncode == 1 and "locked by" in said_no.stdout, said_no.stderr
    wrapped = subprocess.run(
        [str(REPO / "flotilla"), "unlock", "--env", "local"],
        input="n\n", capture_output=True, text=True,
        env={**os.environ, "FLOTILLA_ROOT": str(root)},
    )  # fmt: skip
    assert wrapped.returncode == 1, wrapped.stderr  # ./flotilla keeps the code, make cannot
    assert lock.read() is not None
    said_yes = unlock("y\n")
    assert said_yes.returncode == 0 and "unlocked local" in said_yes.stdout, said_yes.stderr
    assert lock.read() is None
    lock.release()  # ours was broken: releasing it is a no-op
