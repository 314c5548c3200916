#!/usr/bin/env bash
# Checks that no trace of the local cluster is left on the host: processes, mounts,
# network devices, iptables chains, and (given a snapshot from before cluster-up)
# sysctls. Prints each leftover and exits 1 if there is any.
# Usage: check-clean.sh [SYSCTL_SNAPSHOT]   (snapshot: lines KEY=VALUE)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/common.sh"
source "$HERE/../gitserver/common.sh"

left=()
for p in /proc/[0-9]*; do
	exe=$(readlink "$p/exe" 2>/dev/null) || continue
	case "${exe% (deleted)}" in
	"$K8S_BIN_DIR"/* | "$RUNTIME_BIN_DIR"/* | "$WINDLASS_ROOT/bin/clustertool")
		left+=("process ${p#/proc/} ($exe)") ;;
	esac
	if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "--data-dir $CLUSTER_DIR/etcd"; then
		left+=("etcd process ${p#/proc/}")
	fi
	# The git server (and its git hooks): gitea with this cluster's git server config.
	if [ "${exe% (deleted)}" = "$GITEA_BIN" ] && tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$GITSERVER_DIR/"; then
		left+=("git server process ${p#/proc/}")
	fi
done
while read -r m; do left+=("mount $m"); done < <(awk '{print $5}' /proc/self/mountinfo | grep -E "^($CLUSTER_DIR|$RUN_DIR)/")
ip link show "$BRIDGE" >/dev/null 2>&1 && left+=("bridge $BRIDGE")
for ipt in iptables ip6tables; do
	command -v "$ipt-save" >/dev/null || continue
	while read -r c; do left+=("$ipt chain $c"); done < <("$ipt-save" 2>/dev/null | grep -oE '^:(KUBE-[^ ]+)' | cut -c2-)
	while read -r r; do left+=("$ipt rule $r"); done < <("$ipt-save" 2>/dev/null | grep -E "^-A .*$CNI_NETWORK")
done
[ -e "$SYSCTL_SAVE" ] && left+=("saved sysctls not restored ($SYSCTL_SAVE)")
[ -e "$RUN_DIR" ] && left+=("run directory $RUN_DIR")
[ -e "$GITSERVER_DIR" ] && left+=("git server state $GITSERVER_DIR")
if [ -n "${1:-}" ]; then
	while IFS='=' read -r k v; do
		now=$(sysctl -n "$k" 2>/dev/null | tr '\t' ' ') || continue
		[ "$now" = "$v" ] || left+=("sysctl $k is $now, was $v")
	done <"$1"
fi
if [ ${#left[@]} -gt 0 ]; then
	printf 'left behind: %s\n' "${left[@]}" >&2
	exit 1
fi
echo "clean: no process, mount, device, iptables chain or sysctl change of the local cluster (or its git server) is left"
