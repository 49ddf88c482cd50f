"""The local ALB's haproxy configuration, generated from the emulator's ELBv2 resources.

Rules are evaluated in priority order as `http-request` lines: the first match either returns
its fixed response or picks a backend (`txn.tg`), exactly one decision per request, like ALB.
"""

from __future__ import annotations

import re
from pathlib import Path

from flotilla.local.paths import LocalPaths
from flotilla.local.snapshot import Listener, Rule, Snapshot, TargetGroup


def pattern_regex(pattern: str) -> str:
    """ALB wildcards: `*` any run of characters, `?` exactly one; case-sensitive, whole path."""
    out = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return f"^{out}$"


def matcher_regex(matcher: str) -> str:
    """ALB HttpCode ("200", "200,202", "200-299") as a status-code regex."""
    codes: list[str] = []
    for part in matcher.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = (int(x) for x in part.split("-", 1))
            if lo % 100 == 0 and hi == lo + 99:
                codes.append(f"{lo // 100}[0-9][0-9]")
            else:
                codes += [str(c) for c in range(lo, hi + 1)]
        elif part:
            codes.append(part)
    return "^(" + "|".join(codes) + ")$"


def server_name(ip: str, port: int) -> str:
    return "t_" + ip.replace(".", "_").replace(":", "_") + f"_{port}"


def backend_name(tg: TargetGroup) -> str:
    return f"tg_{tg.name}"


def stat_key(tg: TargetGroup, ip: str, port: int) -> tuple[str, str]:
    """The key of target (ip, port) of `tg` in `LocalAlb.stats()`: (backend, server)."""
    return backend_name(tg), server_name(ip, port)


def _q(text: str) -> str:
    """A haproxy double-quoted string."""
    for a, b in (("\\", "\\\\"), ('"', '\\"'), ("$", "\\$"), ("\n", "\\n")):
        text = text.replace(a, b)
    return '"' + text + '"'


def _sq(text: str) -> str:
    """Single quotes: no variable expansion, which regexes ending in `$` need."""
    return f"'{text}'" if "'" not in text else _q(text)


def _cond(rule: Rule) -> str:
    parts = []
    if rule.paths:
        parts.append("{ path -m reg " + " ".join(_sq(pattern_regex(p)) for p in rule.paths) + " }")
    if rule.hosts:
        hosts = " ".join(_sq(pattern_regex(h.lower())) for h in rule.hosts)
        parts.append("{ req.hdr(host),field(1,:),lower -m reg " + hosts + " }")
    return " ".join(parts)


def _action(rule: Rule, tgs: dict[str, TargetGroup]) -> list[str]:
    undecided = "!{ var(txn.tg) -m found }"
    cond = f"{_cond(rule)} {undecided}".strip()
    a = rule.action
    if a["Type"] == "forward":
        tg = tgs.get(rule.target_group or "")
        backend = backend_name(tg) if tg else "no_targets"
        return [f"http-request set-var(txn.tg) str({backend}) if {cond}"]
    fr = a.get("FixedResponseConfig", {})
    status = fr.get("StatusCode", "503")
    ctype = fr.get("ContentType", "text/plain")
    body = fr.get("MessageBody", "")
    ret = f"http-request return status {status} content-type {_q(ctype)}"
    ret += f" string {_q(body)}" if body else ""
    return [f"{ret} if {cond}"]


def root_page(listener: Listener) -> list[str]:
    """ENV=local's `/`: every routed service with links to its API docs (what ALB would answer
    for `/` still applies when a rule routes `/` itself)."""
    prefixes = sorted(
        {p for r in listener.rules if r.target_group for p in r.paths if "*" not in p and p != "/"}
    )
    if not prefixes or any("/" in r.paths or "/*" in r.paths for r in listener.rules):
        return []
    rows = "".join(
        f"<li>{p[1:]}: <a href={p}/docs>{p}/docs</a> (<a href={p}/openapi.json>openapi.json</a>)"
        for p in prefixes
    )
    page = f"<!doctype html><title>services</title><h1>services</h1><ul>{rows}</ul>"
    ret = "http-request return status 200 content-type " + _q("text/html; charset=utf-8")
    return [f"{ret} string {_q(page)} if {{ path / }}"]


def pick_listener(snap: Snapshot) -> Listener | None:
    """The ALB's HTTP listener (port 80 first); ENV=local serves one listener."""
    return min(snap.listeners, key=lambda li: (li.port != 80, li.port), default=None)


# ALB's format: Root=1-<epoch seconds, 8 hex>-<96 random bits, 24 hex>.
_RAND = "%[rand,htonl,hex,lower]"
TRACE = f"Root=1-%[date,htonl,hex,lower]-{_RAND}{_RAND}{_RAND}"

GLOBAL = """\
global
  master-worker
  stats socket {sock} mode 600 level admin expose-fd listeners
  server-state-file {state}
  hard-stop-after {hard_stop}s
  nbthread 2
  log stderr format short local0 warning

defaults
  mode http
  log global
  load-server-state-from-file global
  option idle-close-on-response
  option redispatch 1
  retries 2
  retry-on conn-failure empty-response
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  timeout http-request 10s

frontend alb
  bind 127.0.0.1:{port}
  option forwardfor
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Port %[dst_port]
  http-request set-header X-Amzn-Trace-Id {trace} unless {{ req.hdr(x-amzn-trace-id) -m found }}
"""


def _backend(tg: TargetGroup) -> list[str]:
    """Round robin over the healthy targets. Each target also appears once more as an unchecked
    backup: haproxy uses backups only when no checked server is up, and `allbackups` spreads
    over all of them, which is ALB's fail-open (every target unhealthy: route to all)."""
    lines = [
        f"backend {backend_name(tg)}",
        "  balance roundrobin",
        "  option allbackups",
        f"  option httpchk GET {tg.health_path}",
        f"  http-check expect rstatus {_sq(matcher_regex(tg.matcher))}",
        f"  timeout check {tg.timeout}s",
        f"  default-server check inter {tg.interval}s rise {tg.healthy} fall {tg.unhealthy}",
    ]
    lines += [f"  server {server_name(ip, p)} {ip}:{p}" for ip, p in tg.targets]
    lines += [f"  server f{server_name(ip, p)} {ip}:{p} backup no-check" for ip, p in tg.targets]
    return lines


def render(snap: Snapshot, paths: LocalPaths, port: int) -> str:
    listener = pick_listener(snap)
    hard_stop = max([tg.deregistration_delay for tg in snap.target_groups.values()] + [5])
    out = [
        GLOBAL.format(
            sock=paths.haproxy_sock,
            state=paths.haproxy_state,
            port=port,
            hard_stop=hard_stop,
            trace=TRACE,
        )
    ]
    fe: list[str] = []
    if listener is None:
        fe.append(
            '  http-request return status 503 content-type text/plain string "no load '
            'balancer listener in the emulator"'
        )
    else:
        fe += ["  " + line for line in root_page(listener)]
        for rule in listener.rules:
            fe += ["  " + line for line in _action(rule, snap.target_groups)]
    fe += ["  use_backend %[var(txn.tg)]", "  default_backend no_targets", ""]
    out.append("\n".join(fe))
    for tg in sorted(snap.target_groups.values(), key=lambda t: t.name):
        out.append("\n".join(_backend(tg)) + "\n")
    # A target group with no healthy target answers 503, as ALB does.
    out.append(
        "backend no_targets\n  http-request return status 503 content-type text/plain "
        'string "503 Service Temporarily Unavailable"\n'
    )
    return "\n".join(out)


def write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return True
