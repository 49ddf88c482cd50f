#!/usr/bin/env bash
# The offline Python base image: Debian bookworm from the machine's apt mirror (debootstrap,
# minbase) with python3 + venv, imported into Docker. The air-gapped path when no public
# registry is reachable. Idempotent: an existing tag is kept (FORCE=1 rebuilds).
set -euo pipefail

TAG=${BASE_IMAGE_TAG:-flotilla/python-base:3.11-bookworm}
SUITE=${BASE_SUITE:-bookworm}
log() { printf '\033[1;34m[base-image]\033[0m %s\n' "$*" >&2; }

bash "$(dirname "$0")/dockerd.sh"
if [ "${FORCE:-0}" != 1 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  log "$TAG exists (FORCE=1 rebuilds it)"
  echo "BASE_IMAGE=$TAG"
  exit 0
fi
command -v debootstrap >/dev/null || { log "debootstrap is missing: run 'make setup'"; exit 1; }

# The mirror the machine's own apt uses (deb822 .sources first, then sources.list).
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    mirror=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit}' "$f")
    [ -n "$mirror" ] && break
  done
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $3 ~ /^'"$SUITE"'$/ {print $2; exit}' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d /var/tmp/flotilla-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
log "debootstrap $SUITE (minbase) from $mirror"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  "$SUITE" "$root" "$mirror" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; exit 1; }
rm -f "$root.log"

# Size: apt lists and caches, docs, man pages, locales other than C; no bytecode caches.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/usr/share/locale/* "$root"/var/log/* "$root"/tmp/* "$root"/var/cache/debconf/*-old
find "$root"/usr/lib/python3* -name __pycache__ -type d -prune -exec rm -rf {} +
# The image should reach the same mirror as the host when someone does apt-get in it.
printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$root/etc/apt/sources.list"

log "docker import -> $TAG"
tar -C "$root" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' \
  --message "flotilla offline base: debian $SUITE + python3" - "$TAG" >/dev/null
# Smoke test. No `python` link is made: docker/Dockerfile calls `python3`, which both this
# image and the official python images have, so one Dockerfile fits both bases.
docker run --rm "$TAG" python3 -c 'import sys, venv, ssl; print(sys.version)' >&2
echo "BASE_IMAGE=$TAG"
