#!/usr/bin/env bash
# make bench-gitops: on the local cluster (started if needed and left up) with the git server,
# the current images and the catalog installed, measures P8: from a git push to the release
# deployed in dev through the demo's push-to-prod pipeline, per task and the tools' own share.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/cluster/common.sh"
cd "$WINDLASS_ROOT"
"$HERE/cluster/up.sh"
export KUBECONFIG="$KUBECONFIG_PATH"
"$HERE/gitserver/up.sh" >/dev/null
export GITSERVER_ENV="${GITSERVER_DIR:-$CLUSTER_DIR/gitserver}/env"
make -s images release catalog >/dev/null
hack/deploy.sh dist/install.yaml dist/catalog.yaml
WINDLASS_IMAGES="$WINDLASS_ROOT/bin/images.txt" go run ./test/benchgitops ${BENCH_GITOPS_ARGS:-}
