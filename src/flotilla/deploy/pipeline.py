"""One object per command (Kamal style). Each validates first, then runs its steps in order:

Plan      validate -> build -> push -> plan -> review
Deploy    Plan -> gate -> apply -> roll out -> smoke -> record
Rollback  (flotilla.deploy.rollback) ledger -> pick releases -> plan -> ... -> record (pinned)
Promote   (flotilla.deploy.promote) the same, with the source environment's current releases

A pinned service (see flotilla.deploy.pins) keeps its ledger entry through a deploy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console

from flotilla.deploy import gate, pins, smoke, steps
from flotilla.deploy.preflight import CliValues
from flotilla.deploy.release import Release, ServiceSpec
from flotilla.deploy.rollout import DEFAULT_TIMEOUT
from flotilla.deploy.validate import Context, validate
from flotilla.project import Project


@dataclass
class Options:
    timeout: float = DEFAULT_TIMEOUT
    allow_destroy: bool = False
    yes: bool = False
    smoke_url: str | None = None
    skip_smoke: bool = False
    base_image: str | None = None
    confirm: Callable[[str], bool] | None = None
    unpin: list[str] = field(default_factory=list)  # deploy these from the working tree


@dataclass
class PlanCommand:
    """`flotilla plan`: everything up to the reviewed plan; nothing is applied."""

    project: Project
    env: str
    options: Options = field(default_factory=Options)
    console: Console = field(default_factory=Console)

    def validate(self) -> Context:
        ctx = validate(self.project, self.cli())
        pins.check_names(ctx, self.options.unpin)
        return ctx

    def cli(self) -> CliValues:
        o = self.options
        command = "deploy" if isinstance(self, DeployCommand) else "plan"
        return CliValues(command, self.env, o.timeout, o.smoke_url, base_image=o.base_image)

    def _plan(self) -> tuple[Context, steps.Built, pins.Held, steps.Planned]:
        """validate -> build -> push -> keep pins -> plan -> review."""
        from flotilla.deploy.servicemap import service_specs

        ctx = self.validate()
        built = steps.build_and_push(ctx, self.console, self.options.base_image)
        specs = service_specs(ctx.services, ctx.env, built.images)
        held = pins.hold(ctx, specs, self.options.unpin)
        return ctx, built, held, steps.plan(ctx, held.specs, self.console, held.notes)

    def run(self) -> steps.Planned:
        return self._plan()[3]


@dataclass
class DeployCommand(PlanCommand):
    """`flotilla deploy`: the whole pipeline."""

    def run(self) -> steps.Planned:
        ctx, built, held, planned = self._plan()
        releases = {
            name: steps.release_for(
                ctx,
                held.specs[name],
                name,
                built.manifest["services"][name]["content_tag"],
                p.digest,
                "deploy",
                str(built.manifest.get("git_sha", "")),
                ctx.service(name).manifest.version,
            )
            for name, p in built.pushes.items()
            if name not in held.pinned  # a pinned service keeps its ledger entry
        }
        execute(ctx, planned, releases, held.specs, self.options, self.console)
        return planned


def execute(
    ctx: Context,
    planned: steps.Planned,
    releases: dict[str, Release],
    specs: dict[str, ServiceSpec],
    options: Options,
    console: Console,
    *,
    pin: bool = False,
) -> None:
    """The executor half: gate -> apply -> roll out -> smoke -> record.

    `specs` is the whole service map that was planned; `pin` pins what is recorded."""
    gate.check(
        planned.review,
        allow_destroy=options.allow_destroy,
        yes=options.yes,
        plan_md=str(planned.plan_md),
        confirm=options.confirm,
    )
    changed = planned.review.changed_services
    if planned.review.has_changes:
        outputs = steps.apply(planned, console)
        steps.require_outputs(outputs)
        steps.roll_out(ctx, outputs, changed, options.timeout, console)
    else:
        console.print("nothing to apply")
        outputs = dict(planned.tf.output())
    if not options.skip_smoke:
        failed = steps.smoke_test(specs, outputs, options.smoke_url, changed, console)
        if failed:
            raise smoke.CheckFailed(
                "smoke test failed:\n" + "\n".join(f"  {n}: {r}" for n, r in failed.items())
            )
    steps.record(ctx, releases, console, pin=pin)
