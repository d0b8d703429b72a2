# shellcheck shell=bash
# Source this (`source scripts/env.sh`) to put a Node that can run this project first on PATH.
# The machine's own node may be too old; scripts/setup.sh then installs one into .tools/node,
# and this file finds it. Safe to source more than once and from any directory.

SPIN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# True when the given node binary (default: the one on PATH) satisfies package.json's
# engines.node, which is the single place the minimum version is written down.
spin_node_ok() {
  "${1:-node}" -e '
    const want = require(process.argv[1]).engines.node.replace(/^[^0-9]*/, "").split(".").map(Number);
    const have = process.versions.node.split(".").map(Number);
    const older = have[0] !== want[0] ? have[0] < want[0] : have[1] < (want[1] ?? 0);
    process.exit(older ? 1 : 0);
  ' "$SPIN_ROOT/package.json" >/dev/null 2>&1
}

if ! spin_node_ok; then
  for _spin_node_bin in "$SPIN_ROOT"/.tools/node/node_modules/node-linux-*/bin; do
    if [ -x "$_spin_node_bin/node" ] && spin_node_ok "$_spin_node_bin/node"; then
      export PATH="$_spin_node_bin:$PATH"
      break
    fi
  done
  unset _spin_node_bin
fi
