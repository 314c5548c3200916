#!/usr/bin/env bash
# make bench: on the local cluster (started if needed and left up), with the
# current images installed, prints the bare-pod baseline and the TaskRun
# figures (P1, P2) of the performance budget.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/cluster/common.sh"
cd "$WINDLASS_ROOT"
"$HERE/cluster/up.sh"
export KUBECONFIG="$KUBECONFIG_PATH"
make -s images release >/dev/null
hack/deploy.sh dist/install.yaml
go run ./test/bench --runs "${BENCH_RUNS:-10}" ${BENCH_ARGS:-}
