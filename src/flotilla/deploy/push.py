"""Push one service's image: only the tags its repository lacks, recording the digest."""

from __future__ import annotations

import contextlib
from typing import Any

from flotilla.deploy.ecr import Ecr, Login, PushResult, repository_name
from flotilla.deploy.registry_api import RegistryApi
from flotilla.errors import FlotillaError


def _docker_push(docker: Any, login: Login, remote: str, tag: str) -> str:
    """`docker push remote:tag`; the digest the registry reports."""
    digest = ""
    errors: list[str] = []
    for event in docker.api.push(remote, tag=tag, auth_config=login.auth, stream=True, decode=True):
        if "error" in event:
            errors.append(str(event.get("errorDetail", {}).get("message") or event["error"]))
        aux = event.get("aux") or {}
        if aux.get("Digest"):
            digest = str(aux["Digest"])
    if errors or not digest:
        reason = "; ".join(errors) or "the registry reported no digest"
        raise FlotillaError(f"push of {remote}:{tag} failed: {reason}")
    return digest


def push_tags(
    ecr: Ecr, docker: Any, login: Login, service: str, local_image: str, tags: list[str]
) -> PushResult:
    """Push `local_image:<tags[0]>` (the content tag) unless the repository has it; add the
    other tags it lacks as tags on that digest (no layers move).

    Tags are immutable: a tag that exists for another digest (a version not bumped after a
    change) is left alone and reported as a clash; the content tag always names new content.
    """
    name = repository_name(ecr.project, service)
    existing = ecr.tags(service)
    result = PushResult(service, name, digest="", image="")
    content = tags[0]
    if content in existing:
        result.present.append(content)
    else:
        existing[content] = _push_one(ecr, docker, login, name, f"{local_image}:{content}", content)
        result.pushed.append(content)
    digest = existing[content]
    for tag in tags[1:]:
        if tag not in existing:
            ecr.add_tag(login, service, digest, tag)
            existing[tag] = digest
            result.pushed.append(tag)
        elif existing[tag] == digest:
            result.present.append(tag)
        else:
            result.clashes.append(tag)
    result.digest = digest
    result.image = ecr.image_ref(login, service, digest)
    return result


def _push_one(ecr: Ecr, docker: Any, login: Login, name: str, local: str, tag: str) -> str:
    remote = f"{login.host}/{name}"
    docker.api.tag(local, remote, tag)
    try:
        digest = _docker_push(docker, login, remote, tag)
    finally:
        docker.api.remove_image(f"{remote}:{tag}", noprune=True)
    if login.overridden:
        # ECR's API is emulated: tell it about the image the real registry now holds.
        manifest, media, reg_digest = RegistryApi(login).manifest(name, digest)
        if reg_digest != digest:
            raise FlotillaError(f"{remote}: manifest digest {reg_digest} != pushed {digest}")
        with contextlib.suppress(ecr.client.exceptions.ImageAlreadyExistsException):
            ecr.client.put_image(
                repositoryName=name,
                imageManifest=manifest,
                imageManifestMediaType=media,
                imageTag=tag,
                imageDigest=digest,
            )
    return digest
