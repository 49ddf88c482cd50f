"""HTTPS outside local: an environment says how it serves HTTPS (domain or certificate_arn),
or that it serves plain HTTP on purpose (allow_http = true). Checked before anything is built;
Terraform has the same guard as a precondition, with a shorter message."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flotilla.deploy.environments import HTTPS_SETTINGS, read_settings
from flotilla.deploy.preflight import Inputs, Violation, rule

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CERTIFICATE = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")


@rule
def https(inputs: Inputs) -> Iterator[Violation]:
    env = inputs.env
    if env not in inputs.environments:
        return
    from flotilla.deploy.environments import get

    if get(inputs.project, env).kind == "local":  # loopback: no certificate to check
        return
    settings = read_settings(inputs.project, env)
    where = str(settings.path)
    domain, certificate = settings.get("domain"), settings.get("certificate_arn")
    if domain is not None and not (isinstance(domain, str) and DOMAIN.match(domain)):
        yield Violation(where, "domain", "a DNS name such as api.example.com", domain)
    if certificate is not None and not (
        isinstance(certificate, str) and CERTIFICATE.match(certificate)
    ):
        yield Violation(
            where, "certificate_arn", "an ACM ARN, arn:aws:acm:<region>:<account>:certificate/<id>",
            certificate,
        )  # fmt: skip
    allow = settings.get("allow_http")
    if allow is not None and not isinstance(allow, bool):
        yield Violation(where, "allow_http", "true or false", allow)
    if not settings.serves_https and not settings.allows_http:
        yield Violation(
            where,
            " / ".join(HTTPS_SETTINGS),
            f'{env} would serve plain HTTP: set domain = "api.example.com" (ACM certificate '
            'validated in its Route 53 zone), certificate_arn = "arn:aws:acm:…", or '
            "allow_http = true to serve plain HTTP on purpose",
        )
