"""Check infra/terraform/ci's IAM policies with cloudsplaining (`make lint`, tests/ci).

The policies are rendered by terraform itself (init + plan against a throwaway AWS emulator,
then `show -json`), never copied by hand, and each one is scanned with cloudsplaining from
its own venv (.venv-iam, made by scripts/setup.sh). Exit 1 when any policy has a
privilege-escalation, resource-exposure or credentials-exposure finding.

    python scripts/iam_check.py [--json]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CI_TF = REPO / "infra" / "terraform" / "ci"
EXCLUSIONS = CI_TF / "cloudsplaining-exclusions.yml"
SCANNER = REPO / ".venv-iam" / "bin" / "python"
GATED = ("PrivilegeEscalation", "ResourceExposure", "CredentialsExposure")
POLICY_TYPES = ("aws_iam_role_policy", "aws_iam_policy")
# Values that exercise every optional statement (e.g. a domain per environment).
TF_VARS = [
    *("-var", "github_repository=acme/shop", "-var", 'domains={staging="staging.example.com"}'),
    *("-var", 'assumed_by={staging=["arn:aws:iam::222222222222:role/shop-ci-deploy-prod"]}'),
    *("-var", 'may_assume={prod=["arn:aws:iam::111111111111:role/shop-ci-deploy-staging"]}'),
    # The existing provider's ARN: known at plan time, so the trust policies can be read.
    *("-var", "create_oidc_provider=false"),
]

# Runs inside .venv-iam: policies (name -> document) on stdin, findings on stdout.
SCAN = """
import json, sys, yaml
from cloudsplaining.command.scan_policy_file import scan_policy
policies, exclusions = json.load(sys.stdin)
config = yaml.safe_load(open(exclusions))
out = {}
for name, doc in policies.items():
    results = scan_policy(doc, config)
    out[name] = {
        k: (v.get("findings", []) if isinstance(v, dict) else v or [])
        for k, v in results.items()
    }
json.dump(out, sys.stdout, default=str)
"""


def render(work: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every IAM policy document the ci/ root module would create, and every role's trust
    policy (read by the tests, not scanned), by resource address."""
    from flotilla.local.emulator import Emulator
    from flotilla.project import load_project

    root = work / "ci"  # a copy: init and plan write nothing into the repository
    shutil.copytree(CI_TF, root, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    env = {**os.environ, "TF_IN_AUTOMATION": "1"}
    plugin_dir = load_project(REPO).tf_plugin_dir  # the same with or without make
    init = ["terraform", f"-chdir={root}", "init", "-backend=false", "-input=false", "-no-color"]
    if plugin_dir:
        init.append(f"-plugin-dir={plugin_dir}")
    emu = Emulator(log_path=work / "moto.log").start()
    try:
        env.update(emu.env())
        run(init, env)
        plan = work / "ci.tfplan"
        run(["terraform", f"-chdir={root}", "plan", "-input=false", "-no-color",
             f"-out={plan}", *TF_VARS], env)  # fmt: skip
        shown = run(["terraform", f"-chdir={root}", "show", "-json", str(plan)], env)
    finally:
        emu.stop()
    policies: dict[str, Any] = {}
    trusts: dict[str, Any] = {}
    for rc in json.loads(shown)["resource_changes"]:
        if rc["type"] == "aws_iam_role":
            trusts[rc["address"]] = json.loads(rc["change"]["after"]["assume_role_policy"])
        if rc["type"] in POLICY_TYPES:
            document = rc["change"]["after"].get("policy")
            if not isinstance(document, str):
                raise SystemExit(f"{rc['address']}: policy unknown at plan time")
            policies[rc["address"]] = json.loads(document)
    return policies, trusts


def run(cmd: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return proc.stdout


def scan(policies: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    """cloudsplaining's findings per policy and risk category."""
    if not SCANNER.exists():
        raise SystemExit(f"{SCANNER} missing: run `make setup` (installs cloudsplaining)")
    proc = subprocess.run(
        [str(SCANNER), "-c", SCAN],
        input=json.dumps([policies, str(EXCLUSIONS)]),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"cloudsplaining failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout))


def gated(findings: dict[str, dict[str, list[Any]]]) -> dict[str, dict[str, list[Any]]]:
    """Only the categories that fail the check, only where there is a finding."""
    return {
        name: {k: v for k, v in cats.items() if k in GATED and v}
        for name, cats in findings.items()
        if any(cats.get(k) for k in GATED)
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="iam-check-") as tmp:
        policies, trusts = render(Path(tmp))
    findings = scan(policies)
    bad = gated(findings)
    if "--json" in sys.argv:
        report = {"policies": policies, "trusts": trusts, "findings": findings, "failed": bad}
        print(json.dumps(report))
    else:
        for name in sorted(policies):
            print(f"{'FAIL' if name in bad else 'ok  '} {name}")
        for name, cats in bad.items():
            for cat, items in cats.items():
                print(f"  {name}: {cat}: {items}")
        print(f"cloudsplaining: {len(policies)} policies, {len(bad)} with findings in {GATED}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
