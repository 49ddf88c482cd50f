"""Terraform for one environment, through python-terraform.

    tf = Terraform(project, "staging")
    tf.init()                                   # backend generated from environments/<env>.toml
    if tf.plan([tfvars, service_map], out):     # True when there are changes
        tf.apply(out)                           # exactly the saved plan
    tf.output()                                 # {"alb_url": ..., "services": {...}}

Each environment has its own TF_DATA_DIR (`build/<env>/terraform`), so environments never
share backend settings. The AWS endpoints come from `AWS_ENDPOINT_URL*` in `extra_env` or the
process environment; then the S3 backend is pointed there as well (path-style). Providers
come from `Project.tf_plugin_dir` when there is one (offline); otherwise from the registry.

python-terraform (0.10.1) builds the command lines. Its `cmd()` is replaced because it can only
pass `os.environ` to terraform, cannot stream output while capturing it, and turns its default
empty `variables` into a `-var-file`, which `apply <planfile>` rejects.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import python_terraform

from flotilla.deploy import aws
from flotilla.deploy.models import TfOutputs
from flotilla.errors import FlotillaError, UsageError
from flotilla.interrupts import stop_child
from flotilla.project import Project

IsFlagged = python_terraform.IsFlagged
_BOX = re.compile(r"^[│╷╵]\s?")
_MAX_ERROR_LINES = 40


def _error_text(stderr: str, stdout: str) -> str:
    """Terraform's diagnostics, without box drawing, from the first `Error:` on."""
    lines = [_BOX.sub("", line).rstrip() for line in (stderr or stdout).splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith("Error:")), 0)
    text = [line for line in lines[start:] if line.strip()]
    if len(text) > _MAX_ERROR_LINES:
        text = [*text[:_MAX_ERROR_LINES], f"... ({len(text) - _MAX_ERROR_LINES} more lines)"]
    return "\n".join(text) or "(no output)"


class _Runner(python_terraform.Terraform):  # type: ignore[misc]
    """python-terraform with our environment and line streaming (see the module docstring)."""

    def __init__(
        self, working_dir: Path, env: dict[str, str], on_output: Callable[[str], None] | None
    ):
        super().__init__(working_dir=str(working_dir))
        self.run_env = env
        self.on_output = on_output

    def read_state_file(self, file_path: str | None = None) -> None:
        """State lives in S3; nothing to read locally."""

    def cmd(self, cmd: str, *args: Any, **kwargs: Any) -> tuple[int, str, str]:
        argv = self.generate_cmd_string(cmd, *args, **kwargs)
        try:
            proc = subprocess.Popen(
                argv,
                cwd=self.working_dir,
                env=self.run_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                bufsize=1,
                # Its own session: a Ctrl-C reaches Flotilla only, which passes terraform one
                # SIGINT (two make terraform quit at once, its state lock still held).
                start_new_session=True,
            )
        except FileNotFoundError:
            raise FlotillaError(
                "terraform is not installed (or not on PATH)",
                hint="install Terraform >= 1.5: https://developer.hashicorp.com/terraform/install",
            ) from None
        out: list[str] = []
        err: list[str] = []

        def read_out() -> None:
            for line in proc.stdout or []:
                out.append(line)
                if self.on_output:
                    self.on_output(line.rstrip("\n"))

        readers = [
            threading.Thread(target=read_out, daemon=True),
            threading.Thread(target=lambda: err.extend(proc.stderr or []), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            code = proc.wait()
        except BaseException:  # Interrupted, KeyboardInterrupt: let terraform unlock first
            stop_child(proc, f"terraform {cmd}")
            raise
        for reader in readers:
            reader.join()
        return code, "".join(out), "".join(err)


class Terraform:
    """`terraform` in infra/terraform for one environment (environments/<env>.toml)."""

    def __init__(
        self,
        project: Project,
        env: str,
        *,
        account: aws.Account | None = None,
        extra_env: dict[str, str] | None = None,
        on_output: Callable[[str], None] | None = None,
    ) -> None:
        """`account`: the environment's (its endpoints, its role's credentials); default: the
        process environment, with `extra_env` over it."""
        from flotilla.deploy.environments import get

        environment = get(project, env)
        self.project = project
        self.env = env
        self.dir = project.terraform_dir
        self.data_dir = project.build_dir / env / "terraform"
        self.run_env = {
            **(account.run_env() if account else os.environ),
            **(extra_env or {}),
            "TF_DATA_DIR": str(self.data_dir),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
        }
        self._tf = _Runner(self.dir, self.run_env, on_output)
        # The same settings for the boto3 calls Terraform's runs need (the state bucket).
        self.account = aws.Account(environment.spec.region, self.run_env)

    @property
    def kind(self) -> str:
        from flotilla.deploy.environments import get

        return get(self.project, self.env).kind

    def var_file(self) -> Path:
        """`build/<env>/environment.tfvars.json`, generated from the environment's file."""
        from flotilla.deploy.environments import tfvars_file

        return tfvars_file(self.project, self.env)

    @property
    def backend_file(self) -> Path:
        """`build/<env>/backend.tfbackend`, generated from the environment's file."""
        from flotilla.deploy.environments import backend_file

        return backend_file(self.project, self.env)

    def _run(
        self, what: str, *args: Any, ok: tuple[int, ...] = (0,), **kwargs: Any
    ) -> tuple[int, str]:
        code, out, err = self._tf.cmd(what, *args, no_color=IsFlagged, **kwargs)
        if code not in ok:
            raise FlotillaError(
                f"terraform {what} failed for {self.env}:\n{_error_text(err, out)}",
                hint=f"working directory {self.dir}, data directory {self.data_dir}",
            )
        return code, out

    def backend_config(self) -> list[str]:
        """`-backend-config` values: the environment's file, then the emulator endpoint if set."""
        if not self.backend_file.is_file():
            raise UsageError(f"no backend settings for {self.env}: {self.backend_file} is missing")
        config = [str(self.backend_file)]
        endpoint = aws.endpoint_url("s3", self.run_env)
        if endpoint:
            config += [f'endpoints={{s3="{endpoint}"}}', "use_path_style=true"]
        return config

    def initialised(self) -> bool:
        """True when an earlier init set up this data directory for the same backend.

        Read-only commands (status) then skip `init`, which without a plugin directory would
        ask the registry again."""
        try:
            state = json.loads((self.data_dir / "terraform.tfstate").read_text())
        except (OSError, ValueError):
            return False
        config = (state.get("backend") or {}).get("config") or {}
        endpoint = aws.endpoint_url("s3", self.run_env)
        was = (config.get("endpoints") or {}).get("s3")
        return (self.data_dir / "providers").is_dir() and (was or None) == (endpoint or None)

    def init(self, *, reuse: bool = False) -> None:
        """`terraform init` with the environment's backend (and the plugin dir when set);
        with `reuse`, nothing to do when `initialised()`."""
        if reuse and self.initialised():
            return
        if self.kind == "local":
            # The emulator forgets its buckets on restart; others: `flotilla env bootstrap`.
            from flotilla.deploy.state import backend_settings, ensure_state_bucket

            settings = backend_settings(self.backend_file)
            ensure_state_bucket(settings["bucket"], settings["region"], account=self.account)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        plugin_dir = self.project.tf_plugin_dir
        self._run(
            "init",
            backend_config=self.backend_config(),
            reconfigure=IsFlagged,
            plugin_dir=str(plugin_dir) if plugin_dir else None,
            input=False,
        )

    def plan(self, var_files: list[Path], out: Path, destroy: bool = False) -> bool:
        """`terraform plan -out`; True when the plan has changes."""
        for f in var_files:
            if not Path(f).is_file():
                raise UsageError(f"variable file {f} does not exist")
        out.parent.mkdir(parents=True, exist_ok=True)
        code, _ = self._run(
            "plan",
            ok=(0, 2),
            var_file=[str(Path(f).resolve()) for f in var_files],
            out=str(out.resolve()),
            destroy=IsFlagged if destroy else None,
            detailed_exitcode=IsFlagged,
            input=False,
        )
        return code == 2

    def show_json(self, plan: Path) -> dict[str, Any]:
        """The saved plan as JSON (`terraform show -json`)."""
        _, out = self._run("show", str(plan.resolve()), json=IsFlagged)
        data: dict[str, Any] = json.loads(out)
        return data

    def apply(self, plan: Path) -> None:
        """Apply exactly the saved plan; no new plan, no prompt."""
        if not plan.is_file():
            raise UsageError(f"plan file {plan} does not exist; run plan first")
        self._run("apply", str(plan.resolve()), input=False)

    def outputs(self) -> TfOutputs:
        """`output()`, typed: the contract roll-out, smoke and status read."""
        return TfOutputs.model_validate(self.output())

    def output(self) -> dict[str, Any]:
        """Root outputs as plain values: alb_dns_name, alb_url, cluster_name, services."""
        _, out = self._run("output", json=IsFlagged)
        raw: dict[str, dict[str, Any]] = json.loads(out or "{}")
        return {name: item.get("value") for name, item in raw.items()}
