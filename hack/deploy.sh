#!/usr/bin/env bash
# Applies the release manifest to $KUBECONFIG's cluster and waits for the controller.
# Usage: hack/deploy.sh dist/install.yaml
set -euo pipefail
source "$(dirname "$0")/lib.sh"
manifest=${1:?usage: hack/deploy.sh MANIFEST}
[ -n "${KUBECONFIG:-}" ] || die "KUBECONFIG is not set"
kubectl="$("$WINDLASS_ROOT/hack/k8s-bins.sh")/kubectl"
"$kubectl" apply --server-side --force-conflicts -f "$manifest" >/dev/null
if ! "$kubectl" -n windlass-system rollout status deployment/windlass-controller --timeout=180s; then
	"$kubectl" -n windlass-system get pods -o wide >&2 || true
	"$kubectl" -n windlass-system logs deployment/windlass-controller --tail=50 >&2 || true
	die "the controller did not become ready"
fi
