"""The base image: which one (flag, env, official, offline) and what Python it holds."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flotilla.errors import FlotillaError

OFFICIAL = "python:3.12-slim"
OFFLINE = "flotilla/python-base:3.11-bookworm"

PROBE = (
    "import json, platform, sys; "
    "print(json.dumps({'python': '%d.%d' % sys.version_info[:2], "
    "'implementation': sys.implementation.name, 'machine': platform.machine(), "
    "'libc': platform.libc_ver()[0], 'glibc': platform.libc_ver()[1]}))"
)


@dataclass(frozen=True)
class Target:
    """The interpreter and platform inside the base image: what wheels must fit."""

    python: str  # "3.12"
    implementation: str
    machine: str
    libc: str
    glibc: str  # "2.36"

    @property
    def tag(self) -> str:
        glibc = self.glibc.replace(".", "_")
        return f"cp{self.python.replace('.', '')}-manylinux_{glibc}_{self.machine}"

    def pip_args(self) -> list[str]:
        """`pip download` options selecting wheels for this target (every older manylinux)."""
        major, minor = (int(x) for x in self.glibc.split("."))
        plats = [f"manylinux_{major}_{m}_{self.machine}" for m in range(minor, 4, -1)]
        plats += [f"manylinux{v}_{self.machine}" for v in ("2014", "2010", "1")]
        abi = f"cp{self.python.replace('.', '')}"
        args = ["--only-binary=:all:", "--python-version", self.python, "--implementation", "cp"]
        args += ["--abi", abi]
        for p in plats:
            args += ["--platform", p]
        return args

    def marker_env(self) -> dict[str, str]:
        return {
            "python_version": self.python,
            "python_full_version": f"{self.python}.0",
            "implementation_name": self.implementation,
            "platform_python_implementation": "CPython",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
            "platform_machine": self.machine,
        }


def select_base(
    client: Any, explicit: str | None, notes: list[str], configured: str | None = None
) -> str:
    """--base-image, else $BASE_IMAGE, else flotilla.toml `[build] base_image` (`configured`,
    best pinned by digest), else the official slim image (local or pulled), else the offline
    one from `make base-image`. `notes` collects what the user should be told."""
    from docker.errors import APIError, ImageNotFound

    chosen = explicit or os.environ.get("BASE_IMAGE") or configured
    if chosen:
        try:
            client.images.get(chosen)
        except ImageNotFound:
            try:
                client.images.pull(chosen)
            except APIError as exc:
                raise FlotillaError(
                    f"base image {chosen!r} is not present locally and cannot be pulled: "
                    f"{exc.explanation or exc}",
                    hint="run `make base-image` and use the BASE_IMAGE it prints",
                ) from None
        return chosen
    try:
        client.images.get(OFFICIAL)
        return OFFICIAL
    except ImageNotFound:
        pass
    try:
        client.images.pull(OFFICIAL)
        return OFFICIAL
    except APIError as exc:
        why = str(exc.explanation or exc).splitlines()[0][:120]
    try:
        client.images.get(OFFLINE)
    except ImageNotFound:
        pass
    else:
        notes.append(f"{OFFICIAL} is not available ({why}): using the offline base {OFFLINE}")
        return OFFLINE
    raise FlotillaError(
        f"no base image: {OFFICIAL} cannot be pulled (no registry reachable?) and the offline "
        f"base {OFFLINE} does not exist",
        hint="run `make base-image` (Debian packages, no registry needed), or pass --base-image",
    )


def probe_target(client: Any, image: str, image_id: str, cache_dir: Path) -> Target:
    """Run the base image once (no network) to learn its Python; cached by image id."""
    cache = cache_dir / f"target-{image_id.removeprefix('sha256:')[:24]}.json"
    if cache.is_file():
        return Target(**json.loads(cache.read_text()))
    try:
        out = client.containers.run(
            image, ["python3", "-c", PROBE], remove=True, network_mode="none", entrypoint=[]
        )
        info = json.loads(out.decode().strip().splitlines()[-1])
    except Exception as exc:
        raise FlotillaError(
            f"base image {image!r} has no usable python3: {str(exc).splitlines()[0][:200]}"
        ) from None
    if info.get("libc") != "glibc" or not info.get("glibc"):
        raise FlotillaError(f"base image {image!r}: only glibc-based images are supported")
    target = Target(**info)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(asdict(target)))
    return target
