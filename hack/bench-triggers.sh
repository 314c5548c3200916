#!/usr/bin/env bash
# make bench-triggers: on the local cluster (started if needed and left up), with
# the current images installed, measures P5: signed webhooks through an
# EventListener vs bare API-server creates of the same PipelineRun, and forged
# webhooks rejected without an API request.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/cluster/common.sh"
cd "$WINDLASS_ROOT"
"$HERE/cluster/up.sh"
export KUBECONFIG="$KUBECONFIG_PATH"
make -s images release >/dev/null
hack/deploy.sh dist/install.yaml
go run ./test/benchtriggers ${BENCH_TRIGGERS_ARGS:-}
