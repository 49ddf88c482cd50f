"""The build context: a tar made in memory, with fixed owners and times so Docker's layer
cache sees only content."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from flotilla.deploy.build.tags import service_files
from flotilla.discovery import Service


def _add(tar: tarfile.TarFile, name: str, path: Path) -> None:
    info = tarfile.TarInfo(name)
    data = path.read_bytes()
    info.size = len(data)
    info.mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def build_context(
    service: Service, *, dockerfile: Path, deps: Path, flotilla_wheel: Path
) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "Dockerfile", dockerfile)
        for path in sorted(deps.iterdir()):
            if path.is_file() and (path.suffix == ".whl" or path.name == "requirements.txt"):
                _add(tar, f"wheels/deps/{path.name}", path)
        _add(tar, f"wheels/flotilla/{flotilla_wheel.name}", flotilla_wheel)
        for rel, path in service_files(service):
            _add(tar, f"service/{rel}", path)
    buf.seek(0)
    return buf
