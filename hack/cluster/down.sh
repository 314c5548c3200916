#!/usr/bin/env bash
# Stops the local cluster and removes its processes, pod sandboxes, mounts, network
# namespaces, veths, bridge, iptables chains and sysctl changes. Keeps the PKI,
# the logs and the image store for a fast next start.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/common.sh"
source "$HERE/teardown.sh"

require_root
if ! any_state; then
	log "no local cluster running"
	exit 0
fi
t0=$(date +%s%N)
teardown
log "cluster down in $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')s"
