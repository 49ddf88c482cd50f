"""One object per command (Kamal style). Each validates first, then runs its steps in order:

Plan      validate -> pins -> build -> push (unpinned services) -> plan -> review
Deploy    Plan -> gate -> apply -> roll out -> smoke -> verify -> record (with its verdict)
          -> on failure: roll the failed services back to their last passed release, exit 4
Rollback  (flotilla.deploy.rollback) ledger -> pick releases -> plan -> ... -> record (pinned)
Promote   (flotilla.deploy.promote) the same, with the source environment's current releases

A pinned service (see flotilla.deploy.pins) keeps its ledger entry through a deploy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NoReturn

from rich.console import Console

from flotilla.deploy import contracts, gate, lock, pins, smoke, steps
from flotilla.deploy.metrics import TrafficMetrics, Version
from flotilla.deploy.preflight import CliValues
from flotilla.deploy.release import Release, ServiceSpec
from flotilla.deploy.rollout import DEFAULT_TIMEOUT, RolloutFailed
from flotilla.deploy.validate import Context, validate
from flotilla.errors import FlotillaError
from flotilla.interrupts import checkpoint
from flotilla.project import Project

if TYPE_CHECKING:
    from flotilla.deploy.models import TfOutputs
    from flotilla.deploy.target import Connect


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
    verify_seconds: float | None = None  # None: the release's, else the environment's default
    # The traffic metrics verify reads instead of the target's own (its `metrics()`).
    metrics: Callable[[], TrafficMetrics] | None = None
    # How validation reaches the environment: the composition root's (the CLI's); None:
    # kind aws only (flotilla.deploy.target.connect_aws).
    connect: Connect | None = None
    auto_rollback: bool = True  # a failed release is rolled back to the last one that passed
    allow_breaking: bool = False  # deploy an API with breaking changes without a major bump
    wait_lock: float = 0.0  # seconds to wait for another deploy's lock (0: refuse, exit 5)
    push: bool = True  # plan only: False builds and plans without writing to ECR


@dataclass
class PlanCommand:
    """`flotilla plan`: everything up to the reviewed plan; nothing is applied."""

    project: Project
    env: str
    options: Options = field(default_factory=Options)
    console: Console = field(default_factory=Console)

    def validate(self) -> Context:
        ctx = validate(self.project, self.cli(), connect=self.options.connect)
        pins.check_names(ctx, self.options.unpin)
        return ctx

    def cli(self) -> CliValues:
        o = self.options
        command = "deploy" if isinstance(self, DeployCommand) else "plan"
        return CliValues(
            command,
            self.env,
            o.timeout,
            o.smoke_url,
            base_image=o.base_image,
            verify_seconds=o.verify_seconds,
        )

    def _plan(
        self, ctx: Context | None = None
    ) -> tuple[
        Context,
        steps.Built,
        dict[str, ServiceSpec],
        steps.Planned,
        list[contracts.ApiCheck],
    ]:
        """validate -> keep pins -> build + push the rest -> plan -> review (API contract too)."""
        from flotilla.deploy.servicemap import service_specs

        ctx = ctx or self.validate()
        held = pins.hold(ctx, self.options.unpin)
        unpinned = [s for s in ctx.services if s.name not in held.pinned]
        if self.options.push or isinstance(self, DeployCommand):  # a deploy always pushes
            built = steps.build_and_push(ctx, self.console, self.options.base_image, unpinned)
        else:
            built = steps.build_without_push(ctx, self.console, self.options.base_image, unpinned)
        checkpoint()
        specs = {**service_specs(unpinned, ctx.env, built.images), **held.specs}
        notes = held.notes + [
            f"{n}: image not pushed (plan --no-push): its digest here is the local image id; "
            "the deploy pushes it and plans again"
            for n in sorted(built.unpushed)
        ]
        planned = steps.plan(ctx, specs, self.console, notes)
        changing = [n for n in planned.review.changed_services if n in built.pushes]
        checks = steps.review_contracts(ctx, changing, planned, self.console)
        return ctx, built, specs, planned, checks

    def run(self) -> steps.Planned:
        return self._plan()[3]


@dataclass
class DeployCommand(PlanCommand):
    """`flotilla deploy`: the whole pipeline."""

    def run(self) -> steps.Planned:
        """Validated, then locked (before anything is built) until it is done."""
        ctx = self.validate()
        with lock.held(ctx.target, self.console, self.options.wait_lock):
            return self._deploy(ctx)

    def _deploy(self, ctx: Context) -> steps.Planned:
        ctx, built, specs, planned, checks = self._plan(ctx)
        contracts.refuse(
            checks, allow_breaking=self.options.allow_breaking, plan_md=str(planned.plan_md)
        )
        documents = contracts.store_documents(checks, ctx.target.ledger())
        releases = {
            name: steps.release_for(
                ctx,
                specs[name],
                name,
                built.manifest.services[name].push_tags()[0],
                p.digest,
                "deploy",
                built.manifest.git_sha or "",
                ctx.service(name).manifest.version,
            ).model_copy(update={"openapi": documents.get(name, "")})
            for name, p in built.pushes.items()  # a pinned service is not built: it keeps its entry
        }
        execute(ctx, planned, releases, specs, self.options, self.console)
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
    """The executor half: gate -> apply -> roll out -> smoke -> verify -> record.

    `specs` is the whole service map that was planned; `pin` pins what is recorded (a release
    that failed is never pinned). Each release is recorded with its verdict; when one failed,
    its service is rolled back to its last passed release (unless `options.auto_rollback` is
    off) and the command exits 4."""
    gate.check(
        planned.review,
        allow_destroy=options.allow_destroy,
        yes=options.yes,
        plan_md=str(planned.plan_md),
        confirm=options.confirm,
        needs_confirm=ctx.environment.spec.confirm,
    )
    checkpoint()  # before anything is applied
    changed = planned.review.changed_services
    rollout_failed: dict[str, str] = {}
    hint: str | None = None
    with steps.recorded_if_interrupted(ctx, releases, console, pin=pin):
        versions: dict[str, Version] = {}
        if planned.review.has_changes:
            outputs = steps.apply(planned, console)
            steps.require_outputs(outputs)
            rolled = steps.roll_out(ctx, outputs, changed, specs, options.timeout, console)
            versions, rollout_failed, hint = rolled.versions, rolled.failures, rolled.hint
        else:
            console.print("nothing to apply")
            outputs = planned.tf.outputs()
        # The services whose rollout failed are not checked; the others are, on their own.
        failed = {n: f"rollout: {why.splitlines()[0]}" for n, why in rollout_failed.items()}
        healthy = [n for n in changed if n not in rollout_failed]
        if healthy or not changed:  # with nothing changed, check says so
            failed |= check(ctx, outputs, healthy, versions, specs, options, console)
    steps.record(ctx, {n: r for n, r in releases.items() if n not in failed}, console, pin=pin)
    if failed:
        error: FlotillaError
        if rollout_failed:
            checked = [f"  {n}: {r}" for n, r in sorted(failed.items()) if n not in rollout_failed]
            error = RolloutFailed(
                "\n".join(rollout_failed[n] for n in sorted(rollout_failed))
                + ("\nand failed their checks:\n" + "\n".join(checked) if checked else ""),
                hint=hint,
            )
        else:
            error = smoke.CheckFailed(
                "the new release failed its checks:\n"
                + "\n".join(f"  {n}: {r}" for n, r in sorted(failed.items()))
            )
        fail(ctx, failed, releases, options, console, error)


def check(
    ctx: Context,
    outputs: TfOutputs,
    changed: list[str],
    versions: dict[str, Version],
    specs: dict[str, ServiceSpec],
    options: Options,
    console: Console,
) -> dict[str, str]:
    """Smoke, then verify (for the services whose smoke passed): service -> why it failed."""
    if options.skip_smoke:
        console.print(
            "[yellow]smoke and verify skipped (--skip-smoke): the release is unchecked[/]"
        )
        return {}
    smoke_url = options.smoke_url or ctx.target.smoke_url
    failed = steps.smoke_test(specs, outputs, smoke_url, changed, console)
    todo = [v for n, v in versions.items() if n not in failed]
    if not todo:
        return failed
    metrics = options.metrics() if options.metrics else ctx.target.metrics()
    results = steps.verify_traffic(ctx, specs, metrics, todo, options.verify_seconds, console)
    for r in results:
        if r.state == "failed":
            failed[r.service] = r.line
    return failed


def fail(
    ctx: Context,
    failed: dict[str, str],
    releases: dict[str, Release],
    options: Options,
    console: Console,
    error: FlotillaError,
) -> NoReturn:
    """Record the failed releases (verdict `failed`, the reason), roll each failed service back
    to its last passed release (not pinned), then raise `error` (exit 4) saying so."""
    bad = {n: r.with_verdict("failed", failed[n]) for n, r in releases.items() if n in failed}
    steps.record(ctx, bad, console)
    if not options.auto_rollback or not failed:
        raise error
    from flotilla.deploy.rollback import restore

    ledger = ctx.target.ledger()
    targets = {n: r for n in sorted(failed) if (r := ledger.last_passed(n)) is not None}
    notes = [f"{n}: no earlier release passed; it stays at the failed one" for n in failed]
    notes = [x for x in notes if x.split(":")[0] not in targets]
    if targets:
        console.print(
            "[red]the new release failed:[/] rolling back automatically to the last release "
            "that passed"
        )
        again = replace(options, auto_rollback=False, verify_seconds=0)
        try:
            restore(ctx, targets, again, console, pin=False, ledger=ledger)
        except FlotillaError as exc:
            notes.append(f"the automatic rollback failed too: {exc.message}")
        else:
            notes += [f"rolled back {n} to release {r.number}" for n, r in targets.items()]
    raise type(error)(error.message + "\n" + "\n".join(notes), hint=error.hint) from None
