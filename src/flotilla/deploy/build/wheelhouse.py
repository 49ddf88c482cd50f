"""The wheelhouse, prepared on the host so that `docker build` needs no network.

- the flotilla wheel, built once per source digest (`uv build`, isolated, cached);
- per service, the locked wheels for the base image's Python and platform (`pip download
  --require-hashes`), kept until the lock or the target changes.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from packaging.markers import Marker

from flotilla.deploy.build.base import Target
from flotilla.deploy.build.lock import LOCK_NAME, Pin, parse_lock
from flotilla.deploy.build.source import FlotillaSource
from flotilla.discovery import Service
from flotilla.errors import FlotillaError

_wheel_lock = threading.Lock()


def _tail(text: str, lines: int = 8) -> str:
    keep = [ln for ln in text.strip().splitlines() if "WARNING: Location" not in ln]
    errors = [ln for ln in keep if ln.startswith("ERROR")]
    return "\n".join(errors or keep[-lines:])


def flotilla_wheel(source: FlotillaSource, cache: Path) -> Path:
    """The flotilla wheel for the current sources (built at most once per digest)."""
    out = cache / "flotilla-wheel" / source.digest[:16]
    with _wheel_lock:
        found = sorted(out.glob("flotilla-*.whl"))
        if found:
            return found[0]
        from uv import find_uv_bin

        with tempfile.TemporaryDirectory(prefix="flotilla-wheel-") as tmp:
            # Build from a copy holding only the wheel's inputs: no stray build/ or egg-info.
            for name, path in source.files():
                dest = Path(tmp) / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
            if source.readme:  # pyproject names it; a fixed stub keeps the wheel reproducible
                stub = Path(tmp) / source.readme
                stub.parent.mkdir(parents=True, exist_ok=True)
                stub.write_text("Flotilla's runtime, as installed in a service image.\n")
            staging = Path(tmp) / "dist"
            proc = subprocess.run(
                [find_uv_bin(), "build", "--wheel", "--quiet", "--out-dir", str(staging), tmp],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise FlotillaError(f"cannot build the flotilla wheel:\n{_tail(proc.stderr)}")
            out.mkdir(parents=True, exist_ok=True)
            for whl in staging.glob("*.whl"):
                shutil.move(str(whl), out / whl.name)
        return sorted(out.glob("flotilla-*.whl"))[0]


def pins_for(service: Service, target: Target) -> list[Pin]:
    """The lock's pins whose markers hold on the target (not on this host)."""
    path = service.root / LOCK_NAME
    env = target.marker_env()
    pins = parse_lock(path.read_text(encoding="utf-8"), str(path))
    return [p for p in pins if p.marker is None or Marker(p.marker).evaluate(env)]


def deps_wheelhouse(service: Service, target: Target, cache: Path) -> Path:
    """A folder with requirements.txt (hash-pinned) and exactly the wheels it names."""
    pins = pins_for(service, target)
    wanted = "\n".join(p.line() for p in pins) + "\n"
    stamp = hashlib.sha256(f"{target.tag}\n{wanted}".encode()).hexdigest()
    folder = cache / "wheelhouse" / target.tag / service.name
    if (folder / ".stamp").is_file() and (folder / ".stamp").read_text() == stamp:
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "requirements.txt").write_text(wanted)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--require-hashes",
            "--progress-bar",
            "off",
            "--disable-pip-version-check",
            *target.pip_args(),
            "-r",
            str(folder / "requirements.txt"),
            "-d",
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise FlotillaError(
            f"cannot get the locked wheels for Python {target.python} "
            f"({target.machine}, glibc {target.glibc}):\n{_tail(proc.stdout + proc.stderr)}"
        )
    (folder / ".stamp").write_text(stamp)
    return folder
