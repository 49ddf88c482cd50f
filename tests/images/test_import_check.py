"""The import check before push: each built image is started once (no network, read-only,
the task's user). An entry that does not import fails that service's build with the
traceback, and `flotilla deploy` pushes nothing (real dockerd, registry and emulator)."""

from __future__ import annotations

import os
import shutil
import uuid
from typing import Any

import pytest

from flotilla.cli import main
from flotilla.local.registry import LocalRegistry
from flotilla.project import load_project
from tests.fixtures.base import emulator_client
from tests.fixtures.deploy import registry_catalog
from tests.fixtures.images import IGNORE, REPO, add_service, commit, copy_repo, lock_all, tiny_app

pytestmark = [pytest.mark.docker, pytest.mark.slow]
BROKEN = 'from flotilla import Plugin\n\nimport no_such_module_xyz\n\nplugin = Plugin("x")\n'


def test_an_import_error_fails_the_build_with_its_traceback_and_nothing_is_pushed(
    tmp_path: Any,
    base_image: str,
    ecr_env: dict[str, str],
    registry: LocalRegistry,
    emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = copy_repo(tmp_path / "repo", services=False)
    shutil.copytree(REPO / "infra", root / "infra", ignore=IGNORE)
    shutil.copytree(REPO / "environments", root / "environments")
    run = uuid.uuid4().hex[:6]
    good, bad = f"fine{run}", f"broken{run}"
    add_service(root, good, files={"app.py": tiny_app(good, run)})
    add_service(root, bad, files={"app.py": BROKEN + f"# {run}\n"})
    lock_all(load_project(root))
    commit(root, "services")
    monkeypatch.setenv("FLOTILLA_ROOT", str(root))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv(
        "FLOTILLA_TF_PLUGIN_DIR", os.environ.get("FLOTILLA_TF_PLUGIN_DIR", "/opt/tf-plugins")
    )

    with pytest.raises(SystemExit) as exit_:
        main(["deploy", "--env", "local", "--yes", "--base-image", base_image])
    out = capsys.readouterr()
    text = out.out + out.err
    assert exit_.value.code == 1, text[-3000:]
    assert f"1 of 2 service(s) failed to build: {bad}" in text, text[-3000:]
    assert "import check" in text and "Traceback (most recent call last)" in text, text[-3000:]
    assert "ModuleNotFoundError: No module named 'no_such_module_xyz'" in text, text[-3000:]
    # Nothing was pushed: no repository in the registry or in ECR, for either service.
    held = registry_catalog(registry)
    assert not {f"flotilla/{good}", f"flotilla/{bad}"} & set(held), held
    repos = emulator_client(emulator, "ecr").describe_repositories()["repositories"]
    assert not {f"flotilla/{good}", f"flotilla/{bad}"} & {r["repositoryName"] for r in repos}
    # The broken image is not left tagged, so the next build checks it again.
    docker = pytest.importorskip("docker").from_env()
    assert not docker.images.list(name=f"flotilla/{bad}")
