"""The pipeline's steps. Planners decide (build, push, plan, review); executors act (apply,
roll out, smoke, record). Commands in `pipeline.py` compose them in order."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from flotilla.deploy import render, rollout, smoke, verify
from flotilla.deploy.ecr import PushResult, deployed_tag
from flotilla.deploy.metrics import TrafficMetrics, Version
from flotilla.deploy.models import BuildManifest, TfOutputs
from flotilla.deploy.push import push_tags
from flotilla.deploy.release import Kind, Release, ServiceSpec, now
from flotilla.deploy.review import Review, analyse
from flotilla.deploy.validate import Context
from flotilla.errors import FlotillaError
from flotilla.interrupts import Interrupted, checkpoint, deferred

if TYPE_CHECKING:
    from flotilla.deploy.contracts import ApiCheck
    from flotilla.deploy.terraform import Terraform
    from flotilla.discovery import Service


@dataclass
class Built:
    manifest: BuildManifest  # build/manifest.json
    pushes: dict[str, PushResult]
    unpushed: set[str] = field(default_factory=set)  # plan --no-push: not in ECR yet

    @property
    def images(self) -> dict[str, str]:
        return {name: p.image for name, p in self.pushes.items()}


@dataclass
class Planned:
    tf: Terraform
    plan_file: Path
    review: Review
    plan_md: Path


def build_and_push(
    ctx: Context,
    console: Console,
    base_image: str | None = None,
    services: list[Service] | None = None,
) -> Built:
    """Build what changed of `services` (default: all), then push each one's missing tags to
    its ECR repository."""
    from flotilla.deploy.build import run_build

    services = ctx.services if services is None else services
    if not services:  # every service is pinned: nothing to build or push
        return Built(BuildManifest(), {})
    manifest = BuildManifest.model_validate(run_build(ctx.project, services, base_image=base_image))
    checkpoint()
    ecr = ctx.target.ecr()
    login = ecr.login()
    pushes: dict[str, PushResult] = {}
    table = Table("service", "content tag", "digest", "pushed", "already there", title="images")
    for svc in services:
        checkpoint()
        entry = manifest.services[svc.name]
        tags = entry.push_tags()
        with console.status(f"pushing {svc.name}"):
            ecr.ensure_repository(svc.name)
            res = push_tags(ecr, ctx.docker, login, svc.name, entry.image, tags)
        pushes[svc.name] = res
        for tag in res.clashes:
            console.print(
                f"[yellow]warning:[/] {res.repository}:{tag} already names another image "
                "(tags are immutable); bump `version` in the manifest"
            )
        table.add_row(
            svc.name,
            tags[0],
            res.digest[7:19],
            ", ".join(res.pushed) or "—",
            ", ".join(res.present) or "—",
        )
    console.print(table)
    pushed = sum(1 for p in pushes.values() if tags_pushed_image(p))
    console.print(f"pushed {pushed} image(s)")
    return Built(manifest, pushes)


def build_without_push(
    ctx: Context, console: Console, base_image: str | None, services: list[Service]
) -> Built:
    """`plan --no-push` (a pull request's read-only role): build, then find each image in ECR
    by its content tag. An image not pushed yet is planned with its local image id as a
    stand-in digest (`Built.unpushed`); nothing is created, pushed or tagged."""
    from flotilla.deploy.build import run_build

    if not services:
        return Built(BuildManifest(), {})
    manifest = BuildManifest.model_validate(run_build(ctx.project, services, base_image=base_image))
    ecr = ctx.target.ecr()
    login = ecr.login()
    pushes: dict[str, PushResult] = {}
    unpushed: set[str] = set()
    for svc in services:
        entry = manifest.services[svc.name]
        content = entry.push_tags()[0]
        digest = ecr.tags(svc.name).get(content)
        res = PushResult(svc.name, "", digest or str(entry.image_id), "")
        if digest:
            res.present.append(content)
        else:
            unpushed.add(svc.name)
        res.image = ecr.image_ref(login, svc.name, res.digest)
        pushes[svc.name] = res
    return Built(manifest, pushes, unpushed)  # the plan's review notes name the unpushed


def tags_pushed_image(p: PushResult) -> bool:
    """True when the content tag (and so the image's layers) went to the registry."""
    return bool(p.pushed) and p.pushed[0].startswith("c-")


def plan(
    ctx: Context,
    specs: dict[str, ServiceSpec],
    console: Console,
    notes: list[str] | None = None,
) -> Planned:
    """Service map -> terraform init/plan -out/show -json -> plan.md + plan.json.

    `notes` (e.g. pinned services) head the review, in plan.md and on the console."""
    from flotilla.deploy.servicemap import write_specs

    for note in notes or []:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    smap = write_specs(ctx.project, ctx.env, specs)
    tf = ctx.target.terraform()
    plan_file = ctx.env_dir / "plan.tfplan"
    tfvars = tf.var_file()  # generated from environments/<env>.toml
    with console.status("terraform init"):
        tf.init()
    with console.status("terraform plan"):
        tf.plan([tfvars, smap], plan_file)
        plan_json = tf.show_json(plan_file)
    review = analyse(plan_json, ctx.env)
    md = render.write(review, plan_json, ctx.env_dir, notes or [])
    for warning in review.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}")
    c = review.counts
    console.print(
        f"plan: [green]{c['add']} to add[/], [yellow]{c['change']} to change[/], "
        f"[red]{c['destroy']} to destroy[/], [magenta]{c['replace']} to replace[/]"
        if review.has_changes
        else "plan: [green]no changes[/]"
    )
    if review.changed_services:
        console.print(f"services changing: {', '.join(review.changed_services)}")
    console.print(f"review: {md}")
    return Planned(tf, plan_file, review, md)


def review_contracts(
    ctx: Context, changing: list[str], planned: Planned, console: Console
) -> list[ApiCheck]:
    """The API contract of each service whose image changes, appended to plan.md."""
    from flotilla.deploy import contracts

    services = [ctx.service(name) for name in changing]
    checks = contracts.check(services, ctx.target.ledger())
    with planned.plan_md.open("a", encoding="utf-8") as md:
        md.write(contracts.markdown(checks))
    for c in checks:
        if c.diff.breaking:
            how = "allowed: major version bumped" if c.major_bumped else "the gate refuses"
            console.print(f"[red]API:[/] {c.service}: {len(c.diff.breaking)} breaking ({how})")
        elif c.diff.additions:
            console.print(f"API: {c.service}: {len(c.diff.additions)} additions")
    return checks


def apply(planned: Planned, console: Console) -> TfOutputs:
    """Apply exactly the saved plan file; returns Terraform's outputs."""
    with console.status("terraform apply (saved plan)"):
        planned.tf.apply(planned.plan_file)
    return planned.tf.outputs()


@dataclass
class RolledOut:
    """The rollout's outcome per service: the version of each steady one (for verify), and
    each failed one's reason (its failed task's cause included, when the source has it)."""

    versions: dict[str, Version]
    failures: dict[str, str]
    hint: str | None = None


def roll_out(
    ctx: Context,
    outputs: TfOutputs,
    names: list[str],
    specs: dict[str, ServiceSpec],
    timeout: float,
    console: Console,
) -> RolledOut:
    """Wait for the changed services to be steady or failed. One service's failure does not
    stop the others: each steady one's version (the revision that took traffic) is returned
    for its own checks."""
    services = outputs.services
    targets = [
        rollout.Target(n, services[n].service_name, services[n].target_group_arn)
        for n in names
        if n in services
    ]
    if not targets:
        return RolledOut({}, {})
    source = ctx.target.status_source()
    cluster = require_outputs(outputs)
    failures: dict[str, str] = {}
    hint = None
    try:
        statuses = rollout.wait(source, cluster, targets, timeout=timeout, console=console)
    except rollout.RolloutFailed as exc:
        statuses, hint = exc.steady, exc.hint
        for t in targets:
            if t.name in exc.failures:
                cause = next(iter(source.failed_tasks(cluster, t.ecs_service)), None)
                why = exc.failures[t.name]
                failures[t.name] = why if cause is None else f"{why}\n{cause.show()}"
    if statuses:
        console.print(f"[green]steady:[/] {', '.join(sorted(statuses))}")
    versions = {
        t.name: Version(
            t.name,
            specs[t.name].path,
            cluster,
            t.ecs_service,
            t.target_group_arn,
            statuses[t.name].task_definition,
        )
        for t in targets
        if t.name in statuses
    }
    return RolledOut(versions, failures, hint)


def smoke_test(
    specs: dict[str, ServiceSpec],
    outputs: TfOutputs,
    url: str | None,
    names: list[str],
    console: Console,
) -> dict[str, str]:
    """Run the changed services' smoke checks (from their specs: a rollback runs the
    restored release's own checks) through the load balancer; returns service -> reason for
    each service that failed (empty when all passed)."""
    if not names:
        console.print("smoke: no service changed")
        return {}
    base = smoke.base_url(outputs.base_url, url)
    checks = {n: specs[n].smoke_checks for n in names if n in specs}
    with console.status(f"smoke test through {base}"):
        results = smoke.check(base, checks)
    table = Table("service", "request", "expects", "got", title="smoke")
    for r in results:
        got = f"[green]{r.status}[/]" if r.ok else f"[red]{r.status or '-'}: {r.problem}[/]"
        table.add_row(r.service, r.check.describe(), r.check.expectation(), got)
    console.print(table)
    return smoke.failures(results)


def verify_traffic(
    ctx: Context,
    specs: dict[str, ServiceSpec],
    metrics: TrafficMetrics,
    versions: list[Version],
    seconds: float | None,
    console: Console,
) -> list[verify.Result]:
    """Measure each version's 5xx share for its verify window (settings from its spec: a
    rollback verifies the restored release by its own); prints one line per service."""
    kind = ctx.target.environment.kind
    todo = [(v, verify.setting(specs[v.service], kind, seconds)) for v in versions]
    if not todo:
        return []
    longest = max(s.seconds for _, s in todo)
    console.print(f"verify: measuring the new versions' 5xx share for up to {longest:g}s")
    results = verify.run(metrics, todo, console)
    for r in results:
        colour = {"passed": "green", "failed": "red"}.get(r.state, "yellow")
        tail = (
            "; the smoke result is the verdict" if r.state in ("insufficient", "unmeasured") else ""
        )
        console.print(f"{r.service}: [{colour}]{r.line}[/]{tail}")
    return results


def record(
    ctx: Context, releases: dict[str, Release], console: Console, *, pin: bool = False
) -> list[Release]:
    """Ledger entry + `deployed-<env>-<n>` tag for each release; old tags are released.

    With `pin` (a manual rollback) each recorded release pins its service. A service whose
    newest release is already this one gets neither (see Ledger.record)."""
    ledger = ctx.target.ledger()
    ecr = ctx.target.ecr()
    login = ecr.login()
    done = []
    for name, rel in releases.items():
        recorded = ledger.record(rel, pin=pin)
        if recorded is None:
            continue  # it already runs there
        saved, dropped = recorded
        ecr.add_tag(login, name, saved.digest, deployed_tag(ctx.env, saved.number))
        for old in dropped:
            ecr.remove_tag(name, deployed_tag(ctx.env, old.number))
        done.append(saved)
    if done:
        table = Table("service", "release", "tag", "digest", "kind", "verdict", title="recorded")
        for r in done:
            kind = f"{r.kind} (pinned)" if pin else r.kind
            table.add_row(r.service, str(r.number), r.tag, r.digest[7:19], kind, r.verdict)
        console.print(table)
    return done


@contextlib.contextmanager
def recorded_if_interrupted(
    ctx: Context, releases: dict[str, Release], console: Console, *, pin: bool = False
) -> Iterator[None]:
    """From apply on, an interrupt records the releases as `interrupted` before it exits:
    the environment may run them in part, and `releases` should say so."""
    try:
        yield
    except Interrupted as exc:
        with deferred("recording the interrupted release in the ledger"):
            reason = f"{exc} during apply, rollout or smoke test"
            record(ctx, {n: r.with_verdict("interrupted", reason) for n, r in releases.items()},
                   console, pin=pin)  # fmt: skip
        raise


def release_for(
    ctx: Context,
    spec: ServiceSpec,
    name: str,
    tag: str,
    digest: str,
    kind: Kind,
    git_sha: str,
    version: str,
) -> Release:
    """A release of `spec` to record (numbered on record), by this caller, now."""
    return Release(
        service=name,
        tag=tag,
        digest=digest,
        image=spec.image,
        version=version,
        git_sha=git_sha,
        spec=spec,
        kind=kind,
        account=ctx.account,
        deployer=ctx.deployer,
        time=now(),
    )


def require_outputs(outputs: TfOutputs) -> str:
    """The cluster name, or one error when Terraform's outputs lack it."""
    for key in ("cluster_name", "services"):
        if key not in outputs.model_fields_set:
            raise FlotillaError(f"terraform output {key!r} is missing; cannot roll out")
    return outputs.cluster_name or ""
