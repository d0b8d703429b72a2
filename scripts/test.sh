#!/usr/bin/env bash
# The project's test command (README, CI): prepares the machine with scripts/setup.sh, then
# runs every test with `npm test`. Arguments go to scripts/run-tests.js (e.g. --unit, a file);
# --unit alone skips the Docker engine, which only integration tests need.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

setup_args=()
unit_only=0
for arg in "$@"; do
  case "$arg" in
    --unit) unit_only=1 ;;
    --integration) unit_only=0; break ;;
  esac
done
((unit_only)) && setup_args+=(--no-docker)

bash scripts/setup.sh "${setup_args[@]}"
# shellcheck source=scripts/env.sh
source scripts/env.sh
npm test --silent -- "$@"
