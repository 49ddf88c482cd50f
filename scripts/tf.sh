#!/usr/bin/env bash
# Terraform checks for `make tf-lint`. Usage: bash scripts/tf.sh validate
# Offline, providers come from $FLOTILLA_TF_PLUGIN_DIR; with internet, from the registry.
set -euo pipefail
[[ "${1:-}" == validate ]] || { echo "usage: $0 validate" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
for dir in infra/terraform infra/terraform/examples/basic; do
  export TF_DATA_DIR="$root/build/tf-lint/${dir//\//_}"
  terraform -chdir="$root/$dir" init -backend=false -input=false -no-color \
    ${FLOTILLA_TF_PLUGIN_DIR:+-plugin-dir="$FLOTILLA_TF_PLUGIN_DIR"} >/dev/null
  echo "$dir: $(terraform -chdir="$root/$dir" validate -no-color)"
done
