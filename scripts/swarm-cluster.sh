#!/usr/bin/env bash
# A throw-away Docker Swarm of N nodes on this machine, for the Swarm backend's tests, with a
# registry the nodes pull from over TLS, as they would in production.
#
#   swarm-cluster.sh up DIR [N]   start N nodes (default 3; node 1 manages) and the registry
#   swarm-cluster.sh down DIR     remove everything `up DIR` made, also after a failed `up` or a kill
#   swarm-cluster.sh kill DIR I   SIGKILL node I's dockerd (a lost node; its containers stay until down)
#
# DIR must not exist (up makes it) and holds all state: `DIR/cluster.env` (written last, read by
# test/helpers/swarm.ts) names the manager's socket, the node addresses and the registry. Every
# name is derived from a random id, so runs side by side (or the shared swarm-lab tool) never
# meet: namespaces and links `spw<id><i>`, bridge `spw<id>br`, a /24 in 10.252-254.x.
#
# Why it is built this way (each point cost a failed attempt on these machines):
# - a node is a dockerd in its own network namespace, entered with `nsenter --net` (`ip netns
#   exec` remounts /sys, and dockerd then finds no cgroups); each has its own data root, exec
#   root, pid file, socket and containerd namespace, or they trample each other;
# - the nodes' bridge needs an ACCEPT rule in DOCKER-USER: the host's FORWARD policy is DROP
#   once Docker runs, and bridged frames pass iptables (br_netfilter);
# - every node has the host's hostname, so tests name nodes by ID or address;
# - the registry listens on the bridge address with a certificate from a CA made here; a CA in
#   /etc/docker/certs.d/<host:port>/ca.crt is read per pull by every dockerd in this mount
#   namespace (the host's and the nodes'), so nothing restarts and the system store is untouched.
set -euo pipefail

die() { echo "swarm-cluster: $*" >&2; exit 1; }

need() {
  [ "$(id -u)" -eq 0 ] || die "a test Swarm needs root (network namespaces, a bridge, an iptables rule, one dockerd per node); run the Swarm tests as root"
  local tool missing=()
  for tool in dockerd docker ctr ip iptables nsenter openssl htpasswd docker-registry; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: apt-get install docker.io containerd iproute2 iptables util-linux openssl apache2-utils docker-registry"
}

# DIR/state holds `ID=…`, `NET=…`, `N=…` from the start, so `down` can undo a half-made cluster.
load_state() { [ -f "$DIR/state" ] || die "$DIR/state is missing: nothing to remove"; . "$DIR/state"; }
sock() { echo "unix://$DIR/node$1/docker.sock"; }
d() { local i=$1; shift; docker -H "$(sock "$i")" "$@"; }
wait_for() {
  local what=$1 tries=$2; shift 2
  local t=0
  until "$@" >/dev/null 2>&1; do
    t=$((t + 1)); [ "$t" -lt "$tries" ] || die "$what did not come up"
    sleep 0.5
  done
}

# A /24 no interface of this host has: the id picks it, a collision picks again.
free_net() {
  local n used
  used=$(ip -o -4 addr show | awk '{print $4}')
  for _ in $(seq 1 50); do
    n="10.$((252 + RANDOM % 3)).$((RANDOM % 256))"
    grep -q "^$n\." <<<"$used" || { echo "$n"; return; }
  done
  die "no free 10.252-254.x.0/24 subnet"
}

up() {
  local n=${1:-3} i
  need
  [ ! -e "$DIR" ] || die "$DIR exists: run 'down $DIR' first or pick another folder"
  mkdir -p "$DIR"
  local id net
  id=$(openssl rand -hex 2)
  net=$(free_net)
  printf 'ID=spw%s\nNET=%s\nN=%s\n' "$id" "$net" "$n" >"$DIR/state"
  load_state
  # Any failure from here on (set -e, die) leaves through EXIT: undo the half-made cluster.
  trap 'echo "swarm-cluster: up failed; removing what it made" >&2; down >/dev/null 2>&1 || true' EXIT
  ip link add "${ID}br" type bridge
  ip addr add "$NET.1/24" dev "${ID}br"
  ip link set "${ID}br" up
  iptables -N DOCKER-USER 2>/dev/null || true
  iptables -I DOCKER-USER -i "${ID}br" -o "${ID}br" -j ACCEPT
  ca_up
  openssl req -newkey rsa:2048 -nodes -subj "/CN=spin agent" -keyout "$DIR/client/key.pem" -out "$DIR/client/csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$DIR/client/ext"
  openssl x509 -req -in "$DIR/client/csr" -CA "$DIR/ca/ca.crt" -CAkey "$DIR/ca/ca.key" -CAcreateserial -days 2 -extfile "$DIR/client/ext" -out "$DIR/client/cert.pem" 2>/dev/null
  cp "$DIR/ca/ca.crt" "$DIR/client/ca.pem"
  for i in $(seq 1 "$n"); do
    local ns=$ID$i
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "${ns}h" type veth peer name "${ns}n"
    ip link set "${ns}n" netns "$ns"
    ip link set "${ns}h" master "${ID}br" up
    ip -n "$ns" addr add "$NET.$((10 + i))/24" dev "${ns}n"
    ip -n "$ns" link set "${ns}n" up
    ip -n "$ns" route add default via "$NET.1"
    mkdir -p "$DIR/node$i"
    server_cert "$DIR/node$i/tls" "$NET.$((10 + i))"
    nsenter --net="/var/run/netns/$ns" setsid dockerd \
      --data-root "$DIR/node$i/data" --exec-root "$DIR/node$i/exec" --pidfile "$DIR/node$i/pid" \
      -H "$(sock "$i")" --containerd-namespace "$ns" --containerd-plugins-namespace "${ns}p" \
      -H "tcp://$NET.$((10 + i)):2376" --tlsverify --tlscacert "$DIR/ca/ca.crt" \
      --tlscert "$DIR/node$i/tls/cert.pem" --tlskey "$DIR/node$i/tls/key.pem" \
      >"$DIR/node$i/dockerd.log" 2>&1 </dev/null &
  done
  registry_up
  for i in $(seq 1 "$n"); do wait_for "node $i's dockerd (see $DIR/node$i/dockerd.log)" 120 d "$i" info; done
  d 1 swarm init --advertise-addr "$NET.11" >/dev/null
  local token
  token=$(d 1 swarm join-token -q worker)
  for i in $(seq 2 "$n"); do d "$i" swarm join --token "$token" "$NET.11:2377" >/dev/null; done
  wait_for "the registry (see $DIR/registry/log)" 60 curl -fsS --cacert "$DIR/registry/ca.crt" -u "spin-test:$(cat "$DIR/registry/password")" "https://$NET.1:5000/v2/"
  {
    echo "SWARM_ID=$ID"
    echo "SWARM_MANAGER=$(sock 1)"
    echo "SWARM_NODES=$(for i in $(seq 1 "$n"); do printf '%s ' "$(sock "$i")"; done)"
    echo "SWARM_ADDRESSES=$(for i in $(seq 1 "$n"); do printf '%s ' "$NET.$((10 + i))"; done)"
    echo "SWARM_NODE_ENGINES=$(for i in $(seq 1 "$n"); do printf 'tcp://%s:2376 ' "$NET.$((10 + i))"; done)"
    echo "SWARM_NODE_TLS_DIR=$DIR/client"
    echo "SWARM_REGISTRY=$NET.1:5000"
    echo "SWARM_REGISTRY_USER=spin-test"
    echo "SWARM_REGISTRY_PASSWORD=$(cat "$DIR/registry/password")"
  } >"$DIR/cluster.env.tmp"
  mv "$DIR/cluster.env.tmp" "$DIR/cluster.env"
  trap - EXIT
}

# The cluster's one CA: it signs the registry's and the node engines' certificates and the agent's client certificate.
ca_up() {
  mkdir -p "$DIR/ca" "$DIR/client"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=spin test CA $ID" -keyout "$DIR/ca/ca.key" -out "$DIR/ca/ca.crt" 2>/dev/null
}

# server_cert DIR IP: DIR/cert.pem and DIR/key.pem for a server at IP, signed by the cluster's CA.
server_cert() {
  mkdir -p "$1"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1/key.pem" -out "$1/csr" 2>/dev/null
  printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$2" >"$1/ext"
  openssl x509 -req -in "$1/csr" -CA "$DIR/ca/ca.crt" -CAkey "$DIR/ca/ca.key" -CAcreateserial -days 2 -extfile "$1/ext" -out "$1/cert.pem" 2>/dev/null
}

kill_node() {
  load_state
  [ -f "$DIR/node$1/pid" ] || die "node $1 has no pid file ($DIR/node$1/pid)"
  kill -9 "$(cat "$DIR/node$1/pid")"
}

registry_up() {
  local r=$DIR/registry
  mkdir -p "$r" "/etc/docker/certs.d/$NET.1:5000"
  server_cert "$r" "$NET.1"
  cp "$DIR/ca/ca.crt" "$r/ca.crt"
  cp "$r/ca.crt" "/etc/docker/certs.d/$NET.1:5000/ca.crt"
  openssl rand -hex 16 >"$r/password"
  htpasswd -Bbc "$r/htpasswd" spin-test "$(cat "$r/password")" 2>/dev/null
  cat >"$r/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $r/data}, delete: {enabled: true}}
http: {addr: "$NET.1:5000", secret: "$(cat "$r/password")", tls: {certificate: $r/cert.pem, key: $r/key.pem}}
auth: {htpasswd: {realm: spin-test, path: $r/htpasswd}}
EOF
  setsid docker-registry serve "$r/config.yml" >"$r/log" 2>&1 </dev/null &
  echo $! >"$r/pid"
}

# A node whose dockerd was killed (SIGKILL) left its containerd and the containers in it running:
# kill and delete them through that containerd, then stop it. A dockerd that stopped normally took
# its containerd and containers with it, and there is nothing to do.
stop_orphans() {
  local ns=$ID$1 a=$DIR/node$1/exec/containerd/containerd.sock pidf=$DIR/node$1/exec/containerd/containerd.pid t
  [ -S "$a" ] || return 0
  for t in $(timeout 10 ctr -a "$a" -n "$ns" tasks ls -q 2>/dev/null); do
    timeout 10 ctr -a "$a" -n "$ns" tasks kill -a -s SIGKILL "$t" 2>/dev/null || true
  done
  [ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null || true
}

# Last resort, when even the node's containerd is gone: its shims (and the containers under them)
# and any containerd of this cluster still running, found by the cluster's own folder in their
# command line, with everything they started.
kill_tree() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
  kill -9 "$1" 2>/dev/null || true
}
kill_leftovers() {
  local pid comm
  for pid in $(grep -lsaF "$DIR/node" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    case "$comm" in containerd*|dockerd) kill_tree "$pid" ;; esac
  done
}

# Best effort throughout: it runs after failures, and each step must happen even when one before it could not.
down() {
  load_state
  local i pid
  for i in $(seq 1 "$N"); do
    [ -f "$DIR/node$i/pid" ] && kill "$(cat "$DIR/node$i/pid")" 2>/dev/null || true
  done
  [ -f "$DIR/registry/pid" ] && kill "$(cat "$DIR/registry/pid")" 2>/dev/null || true
  for i in $(seq 1 "$N"); do
    local t=0
    pid=$(cat "$DIR/node$i/pid" 2>/dev/null || true)
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $t -lt 40 ]; do sleep 0.5; t=$((t + 1)); done
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    stop_orphans "$i"
    ip netns del "$ID$i" 2>/dev/null || true
    ip link del "$ID${i}h" 2>/dev/null || true
  done
  kill_leftovers
  # A dockerd leaves its data root's bind mount and the overlay namespaces' mounts behind.
  local m
  for m in $(awk -v d="$DIR" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
  while iptables -D DOCKER-USER -i "${ID}br" -o "${ID}br" -j ACCEPT 2>/dev/null; do :; done
  ip link del "${ID}br" 2>/dev/null || true
  rm -rf "/etc/docker/certs.d/$NET.1:5000"
  rm -rf "$DIR"
}

cmd=${1:-}
DIR=${2:-}
[ -n "$DIR" ] || { sed -n '5,7p' "$0" >&2; exit 2; }
case "$cmd" in
  up) up "${3:-3}" ;;
  down) down ;;
  kill) kill_node "${3:?node number}" ;;
  *) sed -n '5,7p' "$0" >&2; exit 2 ;;
esac
