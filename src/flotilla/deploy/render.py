"""plan.md: a PR-comment-sized review (<= 65,536 chars) with a Mermaid diagram of routing."""

from __future__ import annotations

import json
from pathlib import Path

from flotilla.deploy.review import Review, ServiceChange

LIMIT = 65_536


def _short(image: str | None) -> str:
    if not image:
        return "—"
    name, _, digest = image.partition("@")
    short = "/".join(name.rsplit("/", 2)[-2:])
    return f"{short}@{digest[7:19]}" if digest else short


def _pair(old: object, new: object) -> str:
    if old == new:
        return "—" if old is None else f"{old}"
    return f"{'∅' if old is None else old} → **{'∅' if new is None else new}**"


def _keys(added: list[str], removed: list[str]) -> str:
    parts = [f"+{k}" for k in added] + [f"-{k}" for k in removed]
    return " ".join(f"`{p}`" for p in parts) or "—"


def service_table(svc: ServiceChange) -> list[str]:
    image = (
        _short(svc.image[0])
        if svc.image[0] == svc.image[1]
        else f"{_short(svc.image[0])} → **{_short(svc.image[1])}**"
    )
    counts = " / ".join(_pair(b, a) for b, a in (svc.desired, svc.min, svc.max))
    rows = [
        f"### `{svc.name}`",
        "",
        "| image | cpu / memory | env | secrets | desired / min / max |",
        "|---|---|---|---|---|",
        f"| {image} | {_pair(*svc.cpu)} / {_pair(*svc.memory)} | "
        f"{_keys(svc.env_added, svc.env_removed)} | "
        f"{_keys(svc.secrets_added, svc.secrets_removed)} | {counts} |",
        "",
    ]
    changed = [(a, act) for a, act in svc.actions.items() if act not in ("no-op", "read")]
    rows += [f"- `{act}` {addr}" for addr, act in changed]
    return [*rows, ""]


def mermaid(review: Review) -> list[str]:
    lines = ["```mermaid", "flowchart LR", '  alb(["ALB :80/:443"])']
    ordered = sorted(review.services.values(), key=lambda s: (s.priority or 0, s.name))
    for i, svc in enumerate(ordered):
        paths = ", ".join(svc.path_patterns) or "?"
        style = ":::changed" if svc.changed else ""
        lines.append(f'  alb -->|"{svc.priority}: {paths}"| s{i}["{svc.name}"]{style}')
    default = review.listener_default or "default action"
    lines += [f'  alb -.->|"no rule matches"| d["{default}"]']
    lines += ["  classDef changed fill:#fde68a,stroke:#b45309", "```"]
    return lines


def markdown(
    review: Review,
    full_path: str | None = None,
    limit: int = LIMIT,
    notes: list[str] | None = None,
) -> str:
    """The review; sections are dropped from the end (with a pointer) to stay within `limit`.

    `notes` (e.g. pinned services) come right after the counts."""
    c = review.counts
    head = [
        f"## Terraform plan: `{review.env}`",
        "",
        f"**{c['add']} to add, {c['change']} to change, {c['destroy']} to destroy, "
        f"{c['replace']} to replace.**"
        if review.has_changes
        else "**No changes.** The infrastructure matches the configuration.",
        "",
    ]
    if notes:
        head += ["> [!NOTE]", *(f"> {n}" for n in notes), ""]
    for warning in review.warnings:
        head += ["> [!WARNING]", f"> {warning}", ""]
    if review.critical:
        head += ["> [!CAUTION]", "> Destroys or replaces critical resources:"]
        head += [f"> - **{r['action']}** {r['kind']}: `{r['address']}`" for r in review.critical]
        head += ["> The deploy stops here unless run with `--allow-destroy`.", ""]
    changed = review.changed_services
    head += [f"Services changing: {', '.join(f'`{n}`' for n in changed) or 'none'}.", ""]
    body: list[list[str]] = [["### Routing", "", *mermaid(review), ""]]
    body += [service_table(review.services[n]) for n in changed]
    if review.other:
        rows = ["### Other resources", "", "| action | type | address |", "|---|---|---|"]
        groups: dict[str, list[dict[str, str]]] = {}
        for r in review.other:
            groups.setdefault(r["action"], []).append(r)
        for action in sorted(groups):
            rows += [f"| {action} | {r['type']} | `{r['address']}` |" for r in groups[action]]
        body.append([*rows, ""])
    text = "\n".join(head)
    pointer = f"\n_Trimmed to fit a PR comment; full review: `{full_path or 'plan.json'}`._\n"
    for i, section in enumerate(body):
        chunk = "\n".join(section) + "\n"
        if len(text) + len(chunk) + len(pointer) > limit:
            # Per-line trimming inside the section that overflows, then stop.
            for line in section:
                if len(text) + len(line) + 1 + len(pointer) > limit:
                    break
                text += line + "\n"
            left = len(body) - i
            return text + pointer.replace("_Trimmed", f"_{left} section(s) trimmed")
        text += chunk
    return text


def write(
    review: Review, plan: dict[str, object], out_dir: Path, notes: list[str] | None = None
) -> Path:
    """build/<env>/plan.md (PR-sized), plan-full.md and plan.json (the summary + raw plan)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    full = out_dir / "plan-full.md"
    full.write_text(markdown(review, limit=10**9, notes=notes))
    md = out_dir / "plan.md"
    md.write_text(markdown(review, full_path=str(full), notes=notes))
    summary = {"review": review.to_json(), "notes": notes or [], "plan": plan}
    (out_dir / "plan.json").write_text(json.dumps(summary, indent=1, default=str))
    return md
