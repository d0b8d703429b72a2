#!/usr/bin/env bash
# The main job: prepares the machine and builds (scripts/setup.sh), then runs Spin on the
# example project. Change only the marked section below.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

# ==== main job: edit here ================================================================
node bin/run.js validate -f examples/hello/compose.yaml
node bin/run.js config -f examples/hello/compose.yaml
# ==== end of main job ====================================================================
