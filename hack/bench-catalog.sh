#!/usr/bin/env bash
# make bench-catalog: on the local cluster (started if needed and left up) with the git server,
# the current images and the catalog installed, measures P7: each catalog task as a TaskRun
# beside a bare pod running the same containers, and the app's build cold vs warm.
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
go run ./test/benchcatalog ${BENCH_CATALOG_ARGS:-}
