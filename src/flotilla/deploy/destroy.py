"""`flotilla env destroy NAME`: destroy everything the environment runs, through the same
review and destructive-change gate as a deploy.

Under the deploy lock: `terraform plan -destroy` (plan.md written as for any plan), the gate
(critical resources need --allow-destroy; the question is always asked unless --yes), then
exactly that plan is applied. What outlives it, on purpose: the state bucket with the state
and the release ledger (the record of what ran), and the images in the registry account,
which other environments may run. The file goes only with `remove_file`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field

from rich.console import Console

from flotilla.deploy import gate, lock, render
from flotilla.deploy.pipeline import Options
from flotilla.deploy.review import Review, analyse
from flotilla.deploy.validate import reach
from flotilla.errors import UsageError
from flotilla.interrupts import checkpoint
from flotilla.project import Project


@dataclass
class DestroyCommand:
    """`options`: the deploy's (allow_destroy, yes, confirm, wait_lock, connect are read)."""

    project: Project
    env: str
    options: Options = field(default_factory=Options)
    console: Console = field(default_factory=Console)
    remove_file: bool = False

    def run(self) -> Review:
        o = self.options
        target = reach(self.project, self.env, o.connect)
        if self.remove_file:
            self.check_removable()
        env_dir = self.project.build_dir / self.env
        with lock.held(target, self.console, o.wait_lock, command=f"env destroy {self.env}"):
            tf = target.terraform()
            env_dir.mkdir(parents=True, exist_ok=True)
            no_services = env_dir / "destroy.services.tfvars.json"
            no_services.write_text(json.dumps({"services": {}}) + "\n")
            plan_file = env_dir / "destroy.tfplan"
            with self.console.status("terraform init"):
                tf.init()
            with self.console.status("terraform plan -destroy"):
                tf.plan([tf.var_file(), no_services], plan_file, destroy=True)
                plan_json = tf.show_json(plan_file)
            review = analyse(plan_json, self.env)
            md = render.write(review, plan_json, env_dir, [f"env destroy {self.env}"])
            self.console.print(
                f"plan: [red]{review.counts['destroy']} to destroy[/] in {self.env}; review: {md}"
            )
            if not review.has_changes:
                self.console.print(f"{self.env} runs nothing: nothing to destroy")
            else:
                gate.check(
                    review,
                    allow_destroy=o.allow_destroy,
                    yes=o.yes,
                    plan_md=str(md),
                    confirm=o.confirm,
                    needs_confirm=True,  # always asked: this is the whole environment
                )
                checkpoint()  # before anything is destroyed
                with self.console.status(f"terraform apply (destroying {self.env})"):
                    tf.apply(plan_file)
                self.console.print(
                    f"destroyed {review.counts['destroy']} resource(s) of {self.env}; kept: the "
                    f"state bucket {target.environment.spec.state.bucket} (state and ledger) "
                    "and the images"
                )
        if self.remove_file:
            target.environment.path.unlink()
            shutil.rmtree(env_dir, ignore_errors=True)
            self.console.print(f"removed {target.environment.path}")
        return review

    def check_removable(self) -> None:
        """The file may go only when no other environment promotes from it."""
        from flotilla.deploy.environments import load_all

        found = load_all(self.project)
        users = sorted(str(e.path) for e in found.values() if e.spec.promotes_from == self.env)
        if users:
            raise UsageError(
                f"--remove-file: {', '.join(users)} promote(s) from {self.env!r}; nothing was "
                "destroyed",
                hint="change their promotes_from first, or destroy without --remove-file",
            )
