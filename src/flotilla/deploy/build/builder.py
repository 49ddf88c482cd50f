"""`run_build`: tag, skip what exists, build the rest in parallel, write build/manifest.json."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flotilla.deploy.build.base import Target, probe_target, select_base
from flotilla.deploy.build.client import docker_client
from flotilla.deploy.build.context import build_context
from flotilla.deploy.build.importcheck import check_image
from flotilla.deploy.build.lock import lock_problem
from flotilla.deploy.build.manifest_file import ServiceEntry, Status, write_manifest
from flotilla.deploy.build.progress import Progress
from flotilla.deploy.build.source import FlotillaSource, dockerfile_path
from flotilla.deploy.build.tags import GitInfo, content_tag, git_info, git_remote, service_files
from flotilla.deploy.build.wheelhouse import deps_wheelhouse, flotilla_wheel
from flotilla.deploy.secretscan import BASELINE, scan_files
from flotilla.discovery import Service
from flotilla.errors import FlotillaError
from flotilla.project import Project


@dataclass
class Job:
    service: Service
    image: str
    content_tag: str
    tags: list[str]
    args: dict[str, str]
    entry: ServiceEntry = field(init=False)

    def __post_init__(self) -> None:
        self.entry = ServiceEntry(
            image=self.image,
            content_tag=self.content_tag,
            tags=self.tags,
            image_id=None,
            size=None,
            status="failed",
            error=None,
        )


@dataclass
class Plan:
    """Everything a build needs that is the same for every service."""

    project: Project
    client: Any
    source: FlotillaSource
    dockerfile: Path
    base_image: str
    base_id: str
    target: Target
    git: GitInfo
    cache: Path
    remote: str


def run_build(
    project: Project,
    services: list[Service],
    *,
    plain: bool | None = None,
    base_image: str | None = None,
    max_workers: int = 2,
) -> dict[str, Any]:
    """Build `services` (skipping unchanged), write and return build/manifest.json.

    Raises FlotillaError naming the failed services after every other one has finished.
    """
    if max_workers < 1:
        raise FlotillaError(f"max_workers must be >= 1, got {max_workers}")
    source = FlotillaSource(project)
    dockerfile = dockerfile_path(project, source)
    client = docker_client()
    names = [s.name for s in services]
    with Progress(names, plain=plain) as progress:
        notes: list[str] = []
        base = select_base(client, base_image, notes, project.config.build.base_image)
        for note in notes:
            progress.note(note)
        base_id = client.images.get(base).id
        cache = project.build_dir / ".cache"
        plan = Plan(
            project,
            client,
            source,
            dockerfile,
            base,
            base_id,
            probe_target(client, base, base_id, cache),
            git_info(project.root),
            cache,
            git_remote(project.root),
        )
        jobs = [_job(plan, s) for s in services]
        todo = [j for j in jobs if _check(plan, j, progress)]
        if todo:
            with ThreadPoolExecutor(max_workers=min(max_workers, len(todo))) as pool:
                list(pool.map(lambda j: _build(plan, j, progress), todo))
    manifest = write_manifest(
        project.build_dir / "manifest.json",
        project=project.name,
        git_sha=plan.git.sha,
        base_image=base,
        services={j.service.name: j.entry for j in jobs},
    )
    failed = [j for j in jobs if j.entry["status"] == "failed"]
    if failed:
        lines = [f"  {j.service.name}: {j.entry['error']}" for j in failed]
        raise FlotillaError(
            f"{len(failed)} of {len(jobs)} service(s) failed to build: "
            f"{', '.join(j.service.name for j in failed)}\n" + "\n".join(lines)
        )
    return manifest


def _job(plan: Plan, service: Service) -> Job:
    m = service.manifest
    args = {
        "BASE_IMAGE": plan.base_image,
        "SERVICE": m.name,
        "PORT": str(m.port),
        "HEALTH_PATH": m.health_path,
        "VERSION": m.version,
        "REVISION": plan.git.sha or "unknown",
        "SOURCE": plan.remote,
    }
    ctag = content_tag(
        service,
        dockerfile=plan.dockerfile,
        base_id=plan.base_id,
        flotilla_digest=plan.source.digest,
        build_args=args,
    )
    args["CONTENT_TAG"] = ctag
    gtag = plan.git.tag(service.root, plan.source.package / "runtime")
    tags = [ctag, *([gtag] if gtag else []), f"v{m.version}"]
    return Job(service, f"{plan.project.name}/{m.name}", ctag, tags, args)


def _check(plan: Plan, job: Job, progress: Progress) -> bool:
    """False when nothing is to build: a stale lock (failed) or an existing content tag."""
    from docker.errors import ImageNotFound

    name = job.service.name
    problem = lock_problem(job.service, plan.source) or secrets_problem(job.service)
    if problem:
        _fail(job, problem, progress)
        return False
    try:
        image = plan.client.images.get(f"{job.image}:{job.content_tag}")
    except ImageNotFound:
        return True
    _finish(plan, job, image, "unchanged")
    progress.update(name, "unchanged", job.content_tag)
    return False


def secrets_problem(service: Service) -> str | None:
    """detect-secrets over the build context: any finding fails this service's build."""
    findings = scan_files(service.root, service_files(service))
    if not findings:
        return None
    return (
        f"possible secret(s) in the build context ({service.root}): "
        f"{', '.join(f.describe() for f in findings)}; remove them, list the files in "
        f".flotillaignore, or record reviewed false positives in {BASELINE}"
    )


def _build(plan: Plan, job: Job, progress: Progress) -> None:
    name = job.service.name
    started = time.monotonic()
    try:
        progress.update(name, "wheels", f"Python {plan.target.python}")
        deps = deps_wheelhouse(job.service, plan.target, plan.cache)
        wheel = flotilla_wheel(plan.source, plan.cache)
        progress.update(name, "building", job.content_tag)
        context = build_context(
            job.service, dockerfile=plan.dockerfile, deps=deps, flotilla_wheel=wheel
        )
        image_id = _docker_build(plan, job, context, progress)
        progress.update(name, "import check", "no network, read-only, task user")
        try:
            check_image(plan.client, image_id, job.service.manifest)
        except FlotillaError:
            # Untagged, so the next build does not take it for an unchanged, checked image.
            plan.client.images.remove(f"{job.image}:{job.content_tag}", noprune=False)
            raise
        _finish(plan, job, plan.client.images.get(image_id), "built")
        progress.update(name, "built", f"{job.content_tag} in {time.monotonic() - started:.1f}s")
    except FlotillaError as exc:
        _fail(job, exc.message, progress)
    except Exception as exc:  # isolate: one service's surprise must not stop the others
        _fail(job, f"{type(exc).__name__}: {exc}", progress)


def _docker_build(plan: Plan, job: Job, context: Any, progress: Progress) -> str:
    """The classic builder through the SDK, with no network: the wheelhouse is all it gets."""
    log: list[str] = []
    image_id = None
    stream = plan.client.api.build(
        fileobj=context,
        custom_context=True,
        tag=f"{job.image}:{job.content_tag}",
        buildargs=job.args,
        network_mode="none",
        rm=True,
        forcerm=True,
        pull=False,
        decode=True,
    )
    for chunk in stream:
        if "error" in chunk:
            detail = "\n".join(ln for ln in log[-6:] if ln.strip())
            raise FlotillaError(f"docker build: {chunk['error'].strip()}\n{detail}".rstrip())
        text = str(chunk.get("stream", ""))
        for line in text.splitlines():
            if line.startswith((" ---> ", "Removing intermediate container")):
                continue  # builder chatter, not the cause
            log.append(line)
            if line.startswith("Step "):
                progress.update(job.service.name, "building", line)
        aux = chunk.get("aux")
        if isinstance(aux, dict) and "ID" in aux:
            image_id = aux["ID"]
    if image_id is None:
        raise FlotillaError("docker build returned no image id:\n" + "\n".join(log[-6:]))
    return str(image_id)


def _finish(plan: Plan, job: Job, image: Any, status: Status) -> None:
    for tag in job.tags:
        if f"{job.image}:{tag}" not in image.tags:
            image.tag(job.image, tag)
    job.entry["image_id"] = image.id
    job.entry["size"] = int(image.attrs.get("Size", 0))
    job.entry["status"] = status
    job.entry["error"] = None


def _fail(job: Job, message: str, progress: Progress) -> None:
    job.entry["status"] = "failed"
    job.entry["error"] = message
    progress.update(job.service.name, "failed", message)
