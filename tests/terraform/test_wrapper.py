"""The Terraform wrapper's input checks (no terraform run needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flotilla.deploy.terraform import Terraform, _error_text
from flotilla.errors import UsageError
from flotilla.project import Project


def test_unknown_environment_is_refused(tf_project: Project) -> None:
    with pytest.raises(UsageError, match="unknown environment 'qa'"):
        Terraform(tf_project, "qa")


def test_backend_follows_the_emulator_endpoint(tf_project: Project) -> None:
    tf = Terraform(tf_project, "staging", extra_env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert tf.backend_config() == [
        str(tf_project.build_dir / "staging" / "backend.tfbackend"),
        'endpoints={s3="http://127.0.0.1:9"}',
        "use_path_style=true",
    ]
    assert tf.run_env["TF_DATA_DIR"] == str(tf_project.build_dir / "staging" / "terraform")


def test_missing_var_file_or_plan_is_a_usage_error(tf_project: Project, tmp_path: Path) -> None:
    tf = Terraform(tf_project, "prod")
    with pytest.raises(UsageError, match=r"nope\.tfvars does not exist"):
        tf.plan([tmp_path / "nope.tfvars"], tmp_path / "p.tfplan")
    with pytest.raises(UsageError, match="run plan first"):
        tf.apply(tmp_path / "missing.tfplan")


def test_error_text_keeps_the_diagnostic_only() -> None:
    stderr = "╷\n│ Warning: noise\n╵\n╷\n│ Error: Invalid value for variable\n│ \n│   on x.tf\n╵\n"
    assert _error_text(stderr, "") == "Error: Invalid value for variable\n  on x.tf"


def test_plugin_dir_is_found_without_make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI needs no Makefile: flotilla.toml wins, then FLOTILLA_TF_PLUGIN_DIR, then the
    default the Makefile detects (/opt/tf-plugins when it exists)."""
    from flotilla.project import DEFAULT_TF_PLUGIN_DIR, load_project

    monkeypatch.delenv("FLOTILLA_TF_PLUGIN_DIR", raising=False)
    (tmp_path / "flotilla.toml").write_text('[project]\nname = "p"\n')
    default = DEFAULT_TF_PLUGIN_DIR if DEFAULT_TF_PLUGIN_DIR.is_dir() else None
    assert load_project(tmp_path).tf_plugin_dir == default
    monkeypatch.setenv("FLOTILLA_TF_PLUGIN_DIR", str(tmp_path / "from-env"))
    assert load_project(tmp_path).tf_plugin_dir == tmp_path / "from-env"
    (tmp_path / "flotilla.toml").write_text('[terraform]\nplugin_dir = "plugins"\n')
    assert load_project(tmp_path).tf_plugin_dir == (tmp_path / "plugins").resolve()
    (tmp_path / "flotilla.toml").write_text('[terraform]\nplugin_dir = ""\n')
    assert load_project(tmp_path).tf_plugin_dir is None
