"""The registry HTTP API (v2), for when pushes go to a real registry beside an emulated ECR."""

from __future__ import annotations

import base64
import hashlib
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from flotilla.errors import FlotillaError

if TYPE_CHECKING:
    from flotilla.deploy.ecr import Login

MANIFEST_TYPES = (  # the first is the default when a registry names no media type
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)
ACCEPT = ", ".join(MANIFEST_TYPES)


class RegistryApi:
    def __init__(self, login: Login) -> None:
        self.base = f"http://{login.host}/v2"
        token = base64.b64encode(f"{login.user}:{login.password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def _call(self, req: urllib.request.Request) -> tuple[bytes, dict[str, str]]:
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            body = exc.read()[:300].decode(errors="replace")
            raise FlotillaError(
                f"registry {self.base}: {req.get_method()} {req.full_url} -> {exc.code}: {body}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            raise FlotillaError(f"registry {self.base} is unreachable: {exc}") from None

    def ping(self) -> None:
        """The registry answers and takes the credentials (GET /v2/), before anything is built."""
        self._call(urllib.request.Request(f"{self.base}/", headers=self.headers))

    def manifest(self, repository: str, reference: str) -> tuple[str, str, str]:
        """(manifest text, media type, digest) of `repository:reference`."""
        req = urllib.request.Request(
            f"{self.base}/{repository}/manifests/{reference}",
            headers={**self.headers, "Accept": ACCEPT},
        )
        body, headers = self._call(req)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        media = headers.get("Content-Type", MANIFEST_TYPES[0]).split(";")[0]
        return body.decode(), media, digest

    def put_manifest(self, repository: str, tag: str, manifest: str) -> None:
        import json

        media = json.loads(manifest).get("mediaType", MANIFEST_TYPES[0])
        req = urllib.request.Request(
            f"{self.base}/{repository}/manifests/{tag}",
            data=manifest.encode(),
            method="PUT",
            headers={**self.headers, "Content-Type": media},
        )
        self._call(req)
