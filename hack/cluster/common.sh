#!/usr/bin/env bash
# Settings and helpers shared by up.sh, down.sh and status.sh. Source it.
# shellcheck disable=SC2034
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

CLUSTER_DIR="${WINDLASS_CLUSTER_DIR:-/var/lib/windlass/cluster}"
RUN_DIR="${WINDLASS_RUN_DIR:-/run/windlass}"
KUBECONFIG_PATH="$CLUSTER_DIR/admin.kubeconfig"
PKI_DIR="$CLUSTER_DIR/pki"
CONF_DIR="$CLUSTER_DIR/config"
LOG_DIR="$CLUSTER_DIR/logs"
PID_DIR="$CLUSTER_DIR/pids"
CNI_CONF_DIR="$CLUSTER_DIR/cni"
STORAGE_DIR="$CLUSTER_DIR/storage"
REGISTRY_DIR="$WINDLASS_CACHE/registry"
SYSCTL_SAVE="$CLUSTER_DIR/sysctl.saved"
CONTAINERD_SOCK="$RUN_DIR/containerd/containerd.sock"

NODE_NAME="windlass-node"
BRIDGE="windlass0"
NODE_IP="10.88.0.1"
POD_CIDR="10.88.0.0/16"
SERVICE_CIDR="10.96.0.0/16"
SERVICE_API_IP="10.96.0.1"
CNI_NETWORK="windlass-pods"
REGISTRY="127.0.0.1:5000"
# The same registry on the cluster bridge: what pods (BuildKit, Trivy, cosign) push to and pull from.
POD_REGISTRY="$NODE_IP:5000"
PAUSE_IMAGE="registry.k8s.io/pause:3.10"
BUSYBOX_IMAGE="docker.io/library/busybox:latest"
LOCAL_PATH_VERSION="${LOCAL_PATH_VERSION:-v0.0.30}"

# Components in start order; down.sh stops them in reverse.
COMPONENTS=(registry etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)

# Host sysctls the cluster changes (we or the kubelet/kube-proxy); saved at start, restored at stop.
SYSCTLS=(net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
	kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom
	kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet
	net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
	net.netfilter.nf_conntrack_tcp_timeout_close_wait)

# Listening ports (address:port) the cluster needs.
PORTS=("127.0.0.1:5000" "$NODE_IP:5000" "127.0.0.1:12379" "127.0.0.1:12380" "$NODE_IP:6443" "127.0.0.1:10257" "127.0.0.1:10259"
	"$NODE_IP:10250" "127.0.0.1:10248" "127.0.0.1:10249" "127.0.0.1:10256")

# snapshot_sysctls: prints KEY=VALUE for each of SYSCTLS that exists on this host.
snapshot_sysctls() {
	local k v
	for k in "${SYSCTLS[@]}"; do
		v=$(sysctl -n "$k" 2>/dev/null) && printf '%s=%s\n' "$k" "$(tr '\t' ' ' <<<"$v")"
	done
	return 0
}

require_root() { [ "$(id -u)" -eq 0 ] || die "the local cluster needs root (kubelet, containerd, networking); run as root"; }

KUBECTL() { "$K8S_BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

# alive NAME: prints the recorded PID of NAME if that process still runs our recorded executable.
alive() {
	local name=$1 pid exe want
	[ -s "$PID_DIR/$name.pid" ] || return 1
	pid=$(cat "$PID_DIR/$name.pid")
	want=$(cat "$PID_DIR/$name.exe" 2>/dev/null) || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	[ "${exe% (deleted)}" = "$want" ] || return 1
	echo "$pid"
}

# start_proc NAME BINARY ARGS...: starts a daemon in its own session, logging to $LOG_DIR/NAME.log.
start_proc() {
	local name=$1 bin=$2
	shift 2
	bin=$(readlink -f "$bin")
	mkdir -p "$LOG_DIR" "$PID_DIR"
	echo "--- $(date -Is) starting $name" >>"$LOG_DIR/$name.log"
	# The daemon outlives this script: it must not inherit its open files beyond stdio, e.g.
	# the e2e lock that `flock /tmp/windlass-cluster.lock make test-e2e` holds (a cluster
	# started under it held the lock for as long as it ran).
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-"; fi
		done
		exec setsid "$bin" "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null
	) &
	echo $! >"$PID_DIR/$name.pid"
	echo "$bin" >"$PID_DIR/$name.exe"
}

# stop_proc NAME [GRACE_SECONDS]: SIGTERM, then SIGKILL after the grace period. Only our recorded PID.
stop_proc() {
	local name=$1 grace=${2:-3} pid i
	if pid=$(alive "$name"); then
		kill -TERM "$pid" 2>/dev/null || true
		# The grace period is wall time: counting polls runs long on a loaded node.
		local until=$((SECONDS + grace))
		while ((SECONDS < until)); do
			alive "$name" >/dev/null || break
			sleep 0.1
		done
		if alive "$name" >/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				[ -e "/proc/$pid" ] || break
				sleep 0.1
			done
		fi
	fi
	rm -f "$PID_DIR/$name.pid" "$PID_DIR/$name.exe"
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds or time runs out.
wait_for() {
	local what=$1 secs=$2 deadline
	shift 2
	deadline=$(($(date +%s%N) + secs * 1000000000))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# port_owner ADDR:PORT: prints the process listening there, if any.
port_owner() {
	local port=${1##*:}
	ss -Hltnp "sport = :$port" 2>/dev/null | awk -v a="$1" '$4 == a || $4 ~ /^(\*|0\.0\.0\.0|\[::\]):/ {print $6; exit}'
}

# any_state: true if an earlier run left anything of ours behind.
any_state() {
	compgen -G "$PID_DIR/*.pid" >/dev/null && return 0
	ip link show "$BRIDGE" >/dev/null 2>&1 && return 0
	[ -e "$SYSCTL_SAVE" ] && return 0
	grep -qsE " ($CLUSTER_DIR|$RUN_DIR)/" /proc/self/mountinfo && return 0
	return 1
}
