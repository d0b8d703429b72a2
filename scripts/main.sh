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
# `spin up` of the bundled example on the embedded local agent: validate, build the two
# images FROM scratch with busybox, deploy, wait until healthy, print where it answers.
cd examples/hello
node ../../bin/run.js up
echo "the example answers at http://127.0.0.1:8080 (stop it: cd examples/hello && node ../../bin/run.js rm --yes && node ../../bin/run.js agent stop)" >&2
# ==== end of main job ====================================================================
