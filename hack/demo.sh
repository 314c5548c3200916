#!/usr/bin/env bash
# make demo: the local cluster (or the cluster $KUBECONFIG points at, if reachable) and the
# local git server, Windlass and its catalog built, pushed and installed; then what a git
# push does (hack/demo, test/demo): config/samples/gitops set up, two releases of the sample
# app pushed and followed from the push to the app answering in prod.
# It never stops a cluster: 'make cluster-down' does.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/cluster/common.sh"
cd "$WINDLASS_ROOT"
kubectl="$("$HERE/k8s-bins.sh")/kubectl"

if [ -n "${KUBECONFIG:-}" ] && "$kubectl" version --request-timeout=5s >/dev/null 2>&1; then
	log "using the cluster of KUBECONFIG=$KUBECONFIG (images go to REGISTRY=${REGISTRY:-127.0.0.1:5000})"
else
	"$HERE/cluster/up.sh"
	export KUBECONFIG="$KUBECONFIG_PATH"
fi
# The git server the demo pushes to; its webhook posts to the listener's Service IP, and
# pods clone from it: both need this host to be the cluster's node (or route to it).
"$HERE/gitserver/up.sh" >/dev/null
export GITSERVER_ENV="${GITSERVER_DIR:-$CLUSTER_DIR/gitserver}/env"
make -s images release catalog
hack/deploy.sh dist/install.yaml dist/catalog.yaml

echo
echo "== Windlass is installed =="
"$kubectl" -n windlass-system get deployment,pods -o wide
echo
echo "== a git push, to prod =="
WINDLASS_IMAGES="$WINDLASS_ROOT/bin/images.txt" go run ./hack/demo ${DEMO_ARGS:-}
echo
echo "Next: export KUBECONFIG=$KUBECONFIG; 'make cluster-down' stops the local cluster."
