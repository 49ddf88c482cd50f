#!/usr/bin/env bash
# Idempotent setup for a fresh machine: OS packages, the Python venv, the Docker engine.
# A second run installs nothing and only starts what is not running.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- OS packages (Debian): the Docker engine, the ECR stand-in registry, debootstrap for
# the offline base image, haproxy for the local ALB, wrk for benchmarks.
APT_PKGS=(docker-registry apache2-utils debootstrap haproxy wrk iproute2 procps shellcheck)
# A machine with a working engine (e.g. a CI runner) keeps its own Docker.
docker info >/dev/null 2>&1 || command -v dockerd >/dev/null || APT_PKGS+=(docker.io)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Python: the project venv with every extra, and checkov in its own venv (its pins
# clash with ours).
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.flotilla-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  log "installing flotilla[dev] into .venv"
  .venv/bin/pip install -q --upgrade pip 2>&1 | grep -v 'WARNING: Location' || true
  # (the machine's pip.conf may name local indexes that do not exist: hide those warnings)
  .venv/bin/pip install -q -e '.[dev]' 2>&1 | grep -v 'WARNING: Location' || true
  .venv/bin/python -c 'import flotilla, fastapi, flask, django, boto3, docker, moto' 
  touch "$stamp"
fi
if [ ! -x .venv-tools/bin/checkov ]; then
  log "installing checkov into .venv-tools"
  "$PY" -m venv .venv-tools
  .venv-tools/bin/pip install -q checkov 2>&1 | grep -v 'WARNING: Location' || true
  .venv-tools/bin/checkov --version >/dev/null
fi
# cloudsplaining (IAM policy scan, scripts/iam_check.py) in a venv of its own: its pins
# (boto3, click) clash with checkov's and ours.
if [ ! -x .venv-iam/bin/cloudsplaining ]; then
  log "installing cloudsplaining into .venv-iam"
  "$PY" -m venv .venv-iam
  .venv-iam/bin/pip install -q cloudsplaining==0.9.1 2>&1 | grep -v 'WARNING: Location' || true
  .venv-iam/bin/cloudsplaining --version >/dev/null
fi

# --- The Docker engine.
bash scripts/dockerd.sh
log "ready"
