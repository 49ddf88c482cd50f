"""`flotilla rollback`: re-apply ledger entries exactly; the working tree is not read.

The service map of a rollback is built from the ledger alone: each rolled-back service gets
its target release's whole entry (image, cpu/memory, env, secrets, health path, scaling, slo),
every other deployed service its current entry. A broken or missing manifest therefore cannot
block it. A manual rollback pins what it restores (see flotilla.deploy.pins); `restore(...,
pin=False)` is the automatic rollback after a failed check.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rich.console import Console

from flotilla.deploy import gate, lock, steps
from flotilla.deploy.ledger import Ledger
from flotilla.deploy.pipeline import Options, execute
from flotilla.deploy.preflight import CliValues
from flotilla.deploy.release import Release, ServiceSpec
from flotilla.deploy.validate import Context, validate
from flotilla.errors import FlotillaError, UsageError
from flotilla.project import Project


def deployed_services(ctx: Context, console: Console) -> list[str]:
    """What runs in the environment now, from Terraform's outputs (not the working tree)."""
    tf = ctx.target.terraform()
    with console.status("reading terraform outputs"):
        tf.init(reuse=True)
        outputs = tf.outputs()
    return sorted(outputs.services)


def spec_of(ctx: Context, release: Release, console: Console) -> ServiceSpec:
    """The release's recorded service-map entry. Entries migrated from the SSM ledger kept
    the image alone; for those (only) the service's own manifest supplies the rest."""
    if release.spec is not None:
        return release.spec
    from flotilla.deploy.servicemap import service_spec
    from flotilla.discovery import Service
    from flotilla.manifest import load_manifest

    path = ctx.project.services_dir / release.service / "service.toml"
    if not path.is_file():
        raise FlotillaError(
            f"{release.service} release {release.number} predates recorded service-map "
            f"entries, and {path} does not exist to supply one",
            hint=f"roll back with `--to` a later release of {release.service}",
        )
    console.print(
        f"[yellow]note:[/] {release.service} release {release.number} was migrated from the "
        f"SSM ledger without its config; using {path} with its image",
        highlight=False,
    )
    svc = Service(load_manifest(path), path.parent, str(path))
    return service_spec(svc, ctx.env, release.image)


def restore(
    ctx: Context,
    targets: dict[str, Release],
    options: Options,
    console: Console,
    *,
    pin: bool,
    ledger: Ledger | None = None,
) -> steps.Planned:
    """Plan and apply `targets` (service -> the release to re-apply) with every other deployed
    service at its current ledger entry; record each target again (kind `rollback`).

    `pin`: a manual rollback pins the services it restores; an automatic one must not."""
    ledger = ledger or ctx.target.ledger()
    names = sorted(set(deployed_services(ctx, console)) | set(targets))
    current: dict[str, Release] = {}
    for name in names:
        if name in targets:
            continue
        now = ledger.current(name)
        if now is None:
            raise UsageError(
                f"{name} runs in {ctx.env} but has no release in its ledger; a rollback keeps "
                "every other service at its current release, so each must have one",
                hint=f"run `flotilla deploy --env {ctx.env}` first",
            )
        current[name] = now
    specs = {n: spec_of(ctx, r, console) for n, r in {**current, **targets}.items()}
    for name, rel in sorted(targets.items()):
        console.print(
            f"rolling back {name} to release {rel.number}: {rel.tag} ({rel.digest[7:19]})"
        )
    notes = [
        f"{name} restored from release {rel.number} ({rel.tag}); "
        "the working tree is not read" + (" and the service stays pinned there" if pin else "")
        for name, rel in sorted(targets.items())
    ]
    planned = steps.plan(ctx, specs, console, notes)
    releases = {
        n: r.model_copy(update={"spec": specs[n]}).again(ctx.deployer, ctx.account, "rollback")
        for n, r in targets.items()
    }
    # A rollback that fails its checks is recorded as failed, not rolled back in turn.
    once = replace(options, auto_rollback=False)
    execute(ctx, planned, releases, specs, once, console, pin=pin)
    return planned


def previous(history: list[Release]) -> Release | None:
    """What a plain rollback restores: the newest passed release that differs from the
    current one. A failed or interrupted release is never chosen (only `--to` names it)."""
    if not history:
        return None
    now = history[0]
    return next(
        (r for r in history[1:] if r.verdict == "passed" and not r.same_deployment(now)), None
    )


@dataclass
class RollbackCommand:
    """`flotilla rollback SERVICE` (or `--all`): the previous release, or `--to` one."""

    project: Project
    env: str
    service: str | None = None
    to: str | None = None
    options: Options = field(default_factory=Options)
    console: Console = field(default_factory=Console)
    all: bool = False

    def check_arguments(self) -> None:
        if self.to is not None and self.service is None:
            raise UsageError("--to TAG needs a SERVICE: tags belong to one service's repository")
        if self.service is None and not self.all:
            raise UsageError(
                "rollback needs a SERVICE, or --all to roll back every service",
                hint="`flotilla releases` lists what each service can go back to",
            )
        if self.service is not None and self.all:
            raise UsageError(f"give SERVICE ({self.service}) or --all, not both")

    def run(self) -> steps.Planned:
        self.check_arguments()
        cli = CliValues(
            "rollback",
            self.env,
            self.options.timeout,
            self.options.smoke_url,
            services=(self.service,) if self.service else (),
            tag=self.to,
            verify_seconds=self.options.verify_seconds,
        )
        ctx = validate(
            self.project,
            cli,
            need_docker=False,
            read_manifests=False,
            connect=self.options.connect,
        )
        ledger = ctx.target.ledger()
        if self.service is not None:
            targets = {self.service: self.target(ctx, ledger, self.service)}
        else:
            targets = self.every_target(ctx, ledger)
        with lock.held(ctx.target, self.console, self.options.wait_lock):
            return restore(ctx, targets, self.options, self.console, pin=True, ledger=ledger)

    def target(self, ctx: Context, ledger: Ledger, name: str) -> Release:
        history = ledger.history(name)
        if self.to is not None:
            return self.named(ctx, name, history, self.to)
        if not history:
            known = ", ".join(sorted(ledger.everything())) or "none"
            raise UsageError(
                f"{name} was never deployed to {self.env}; nothing to roll back to "
                f"(services with releases there: {known})",
                hint=f"run `flotilla deploy --env {self.env}` first",
            )
        found = previous(history)
        if found is None:
            raise UsageError(
                f"{name} has no earlier passed release in {self.env} than "
                f"#{history[0].number} ({history[0].tag}); see `flotilla releases`",
                hint=f"`--to` names any release, e.g. `flotilla rollback {name} --to 1`",
            )
        return found

    def named(self, ctx: Context, name: str, history: list[Release], ref: str) -> Release:
        """`--to` a release number (`3`, `#3`) or a tag: the ledger first, then the ECR
        repository (an image never released here runs with the current release's config)."""
        number = ref.removeprefix("#")
        for r in history:
            if (number.isdigit() and r.number == int(number)) or r.tag == ref:
                return r
        ecr = ctx.target.ecr()
        digest = ecr.digest_of(name, ref)  # an unknown tag is a usage error listing tags
        old = next((r for r in history if r.digest == digest), None)
        if old is not None:
            return old
        if not history:
            raise UsageError(
                f"{name} was never deployed to {self.env}: {ref} has no recorded config to "
                "run with",
                hint=f"run `flotilla deploy --env {self.env}` first",
            )
        base = history[0]
        image = ecr.image_ref(ecr.login(), name, digest)
        self.console.print(
            f"[yellow]note:[/] {name} {ref} was never released in {self.env}; it runs with "
            f"release {base.number}'s config",
            highlight=False,
        )
        return base.model_copy(
            update={
                "tag": ref,
                "digest": digest,
                "image": image,
                "version": ref.removeprefix("v"),
                "git_sha": "",
                "spec": spec_of(ctx, base, self.console).with_image(image),
            }
        )

    def every_target(self, ctx: Context, ledger: Ledger) -> dict[str, Release]:
        """`--all`: each deployed service's previous release, after a confirmation."""
        targets: dict[str, Release] = {}
        for name in deployed_services(ctx, self.console):
            found = previous(ledger.history(name))
            if found is None:
                self.console.print(f"{name}: no earlier passed release; it stays as it is")
            else:
                targets[name] = found
        if not targets:
            raise UsageError(f"no service in {self.env} has an earlier release to roll back to")
        listing = ", ".join(f"{n} to release {r.number} ({r.tag})" for n, r in targets.items())
        gate.ask(
            f"Roll back every service in {self.env}: {listing}?",
            yes=self.options.yes,
            confirm=self.options.confirm,
            what=f"rollback --all in {self.env}",
        )
        return targets
