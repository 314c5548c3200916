#!/usr/bin/env bash
# Reports each component of the local cluster and the node. Exit 0 only if all run.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/common.sh"

ok=0
for c in "${COMPONENTS[@]}"; do
	if pid=$(alive "$c"); then
		printf '%-24s running (pid %s)  log: %s\n' "$c" "$pid" "$LOG_DIR/$c.log"
	else
		printf '%-24s stopped\n' "$c"
		ok=1
	fi
done
if [ "$ok" -eq 0 ] && [ -x "$K8S_BIN_DIR/kubectl" ]; then
	KUBECTL get nodes -o wide 2>&1 || ok=1
	KUBECTL get storageclass 2>&1 || ok=1
fi
echo "kubeconfig: $KUBECONFIG_PATH"
exit "$ok"
