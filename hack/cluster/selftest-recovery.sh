#!/usr/bin/env bash
# Proves cluster-up recovers from a killed run: SIGKILLs every recorded component
# (leaving shims, containers, mounts, the bridge and iptables rules behind), then
# runs up.sh, which must clean up and bring back a Ready node that runs pods.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/common.sh"
require_root

"$HERE/status.sh" >/dev/null || die "selftest-recovery needs a running cluster"
KUBECTL run recovery-probe --image="$BUSYBOX_IMAGE" --restart=Never --command -- sleep 3600 >/dev/null
KUBECTL wait --for=condition=Ready pod/recovery-probe --timeout=60s >/dev/null
for f in "$PID_DIR"/*.pid; do kill -KILL "$(cat "$f")" 2>/dev/null || true; done
log "killed every component with SIGKILL; restarting"
out=$("$HERE/up.sh" 2>&1) || { echo "$out" >&2; die "cluster-up did not recover from a killed run"; }
grep -q "cleaning up what an earlier run left behind" <<<"$out" || die "cluster-up did not notice the killed run"
"$HERE/status.sh" >/dev/null || die "cluster not healthy after recovery"
if pgrep -f 'sleep 3600' >/dev/null; then die "a container of the killed run is still running"; fi
KUBECTL run recovery-after --image="$BUSYBOX_IMAGE" --restart=Never --command -- true >/dev/null
wait_for "pod after recovery" 60 bash -c "[ \"\$($K8S_BIN_DIR/kubectl --kubeconfig $KUBECONFIG_PATH get pod recovery-after -o jsonpath='{.status.phase}')\" = Succeeded ]" ||
	die "a pod did not run after recovery"
log "recovery ok: killed run cleaned up, node Ready, pods run"
