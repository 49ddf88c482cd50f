#!/usr/bin/env bash
# Start the Docker engine when it is not answering; wait until it does.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null; then
  echo "dockerd is not installed: run 'make setup' (Debian package docker.io)" >&2; exit 1
fi
mkdir -p /var/log
echo "[setup] starting dockerd (log: /var/log/flotilla-dockerd.log)"
nohup dockerd >/var/log/flotilla-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "dockerd did not start; see /var/log/flotilla-dockerd.log" >&2
exit 1
