"""`flotilla audit`: licences against an allow-list, known vulnerabilities (pip-audit) and
possibly unmaintained packages, one table per service."""

from __future__ import annotations

from flotilla.deploy.audit.check import Result, Row, ServiceAudit, run
from flotilla.deploy.audit.pins import Pin, ServicePins, read_lock, service_pins

__all__ = [
    "Pin",
    "Result",
    "Row",
    "ServiceAudit",
    "ServicePins",
    "read_lock",
    "run",
    "service_pins",
]
