"""One object per command (Kamal style). Each validates first, then runs its steps in order:

Plan      validate -> build -> push -> plan -> review
Deploy    Plan -> gate -> apply -> roll out -> smoke -> record
Rollback  validate -> pick releases -> plan -> review -> gate -> apply -> roll out -> record
Promote   (flotilla.deploy.promote) the same, with the source environment's current releases
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console

from flotilla.deploy import gate, smoke, steps
from flotilla.deploy.ecr import Ecr
from flotilla.deploy.ledger import Ledger, Release
from flotilla.deploy.preflight import CliValues
from flotilla.deploy.rollout import DEFAULT_TIMEOUT
from flotilla.deploy.validate import Context, validate
from flotilla.errors import UsageError
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


@dataclass
class PlanCommand:
    """`flotilla plan`: everything up to the reviewed plan; nothing is applied."""

    project: Project
    env: str
    options: Options = field(default_factory=Options)
    console: Console = field(default_factory=Console)

    def validate(self) -> Context:
        return validate(self.project, self.cli())

    def cli(self) -> CliValues:
        o = self.options
        command = "deploy" if isinstance(self, DeployCommand) else "plan"
        return CliValues(command, self.env, o.timeout, o.smoke_url, base_image=o.base_image)

    def _plan(self) -> tuple[Context, steps.Built, steps.Planned]:
        """validate -> build -> push -> plan -> review."""
        ctx = self.validate()
        built = steps.build_and_push(ctx, self.console, self.options.base_image)
        return ctx, built, steps.plan(ctx, built.images, self.console)

    def run(self) -> steps.Planned:
        return self._plan()[2]


@dataclass
class DeployCommand(PlanCommand):
    """`flotilla deploy`: the whole pipeline."""

    def run(self) -> steps.Planned:
        ctx, built, planned = self._plan()
        releases = {
            name: steps.release_for(
                ctx,
                name,
                built.manifest["services"][name]["content_tag"],
                p.digest,
                p.image,
                "deploy",
                str(built.manifest.get("git_sha", "")),
            )
            for name, p in built.pushes.items()
        }
        execute(ctx, planned, releases, self.options, self.console)
        return planned


def execute(
    ctx: Context,
    planned: steps.Planned,
    releases: dict[str, Release],
    options: Options,
    console: Console,
) -> None:
    """The executor half: gate -> apply -> roll out -> smoke -> record."""
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
        failed = steps.smoke_test(ctx, outputs, options.smoke_url, changed, console)
        if failed:
            raise smoke.CheckFailed(
                "smoke test failed:\n" + "\n".join(f"  {n}: {r}" for n, r in failed.items())
            )
    steps.record(ctx, releases, console)


@dataclass
class RollbackCommand:
    """`flotilla rollback`: the previous release (or `--to TAG`) through plan/apply/rollout."""

    project: Project
    env: str
    service: str | None = None
    to: str | None = None
    options: Options = field(default_factory=Options)
    console: Console = field(default_factory=Console)

    def resolve(self, ctx: Context) -> tuple[dict[str, Release], dict[str, str]]:
        """Each rolled-back service's target release, and the image every service runs after
        the rollback (the others keep their current one); read-only, so errors still precede
        side effects. Each service's ledger history is read once."""
        ledger = Ledger(self.project.name, self.env)
        ecr = Ecr(self.project.name)
        current = {s.name: ledger.history(s.name) for s in ctx.services}
        targets: dict[str, Release] = {}
        for name in ctx.selected:
            history = current[name]
            if self.to is not None:  # an explicit tag: it must exist in the repository
                digest = ecr.digest_of(name, self.to)
                login = ecr.login()
                old = next((r for r in history if r.digest == digest), None)
                version = old.version if old else self.to.removeprefix("v")
                git_sha = old.git_sha if old else ""
                image = ecr.image_ref(login, name, digest)
                targets[name] = steps.release_for(
                    ctx, name, self.to, digest, image, "rollback", git_sha, version
                )
                continue
            if not history:
                if self.service:
                    raise UsageError(
                        f"{name} was never deployed to {self.env}; nothing to roll back to",
                        hint=f"run `flotilla deploy --env {self.env}` first",
                    )
                continue
            previous = next((r for r in history[1:] if r.digest != history[0].digest), None)
            if previous is None:
                if self.service:
                    raise UsageError(
                        f"{name} has no earlier release in {self.env} than "
                        f"#{history[0].number} ({history[0].tag}); see `flotilla releases`"
                    )
                continue
            targets[name] = previous.again(ctx.deployer, "rollback")
        if not targets:
            raise UsageError(f"no service in {self.env} has an earlier release to roll back to")
        # The plan names every service's image: the others keep their current release.
        never = [n for n, h in current.items() if not h and n not in targets]
        if never:
            raise UsageError(
                f"{', '.join(never)} never deployed to {self.env}; a rollback keeps every other "
                "service at its current release, so each must have one",
                hint=f"run `flotilla deploy --env {self.env}` first",
            )
        images = {n: targets[n].image if n in targets else h[0].image for n, h in current.items()}
        return targets, images

    def run(self) -> steps.Planned:
        if self.to is not None and self.service is None:
            raise UsageError("--to TAG needs a SERVICE: tags belong to one service's repository")
        cli = CliValues(
            "rollback",
            self.env,
            self.options.timeout,
            self.options.smoke_url,
            services=(self.service,) if self.service else (),
            tag=self.to,
        )
        ctx = validate(self.project, cli, need_docker=False)
        targets, images = self.resolve(ctx)
        for name, rel in targets.items():
            self.console.print(f"rolling back {name} to {rel.tag} ({rel.digest[7:19]})")
        planned = steps.plan(ctx, images, self.console)
        execute(ctx, planned, targets, self.options, self.console)
        return planned
