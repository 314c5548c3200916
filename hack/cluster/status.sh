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
# The git server (hack/gitserver) is optional: shown, not part of the exit status.
source "$HERE/../gitserver/common.sh"
if pid=$(gitserver_alive); then
	printf '%-24s running (pid %s)  %s  log: %s\n' gitserver "$pid" \
		"$(sed -n 's/^GITSERVER_URL=//p' "$GITSERVER_ENV" 2>/dev/null)" "$GITSERVER_LOG"
else
	printf '%-24s stopped (optional: make gitserver-up)\n' gitserver
fi
echo "kubeconfig: $KUBECONFIG_PATH"
exit "$ok"
