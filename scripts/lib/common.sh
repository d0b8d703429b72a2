# shellcheck shell=bash
# Helpers shared by the scripts in scripts/: sourced, never run. Sets ROOT and cds there so
# every path below is relative to the repository.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1

# Progress goes to stderr so a script's stdout stays free for data.
log() { printf '%s: %s\n' "${SPIN_LOG_PREFIX:-$(basename "$0" .sh)}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Shows the end of a log file on stderr, for errors whose cause is in that log.
show_log_tail() {
  if [ -f "$1" ]; then tail -n "${2:-20}" "$1" | sed 's/^/  | /' >&2; fi
}
