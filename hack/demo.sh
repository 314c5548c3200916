#!/usr/bin/env bash
# make demo: the local cluster (or the cluster $KUBECONFIG points at, if reachable),
# Windlass built, pushed and installed, then shown running.
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
make -s images release catalog
hack/deploy.sh dist/install.yaml dist/catalog.yaml

echo
echo "== Windlass is installed =="
"$kubectl" -n windlass-system get deployment,pods,service -o wide
echo
echo "== controller log (last lines) =="
"$kubectl" -n windlass-system logs deployment/windlass-controller --tail=5
echo
echo "== metrics (leader election) =="
"$kubectl" get --raw "/api/v1/namespaces/windlass-system/services/windlass-controller-metrics:metrics/proxy/metrics" | grep '^leader_election_master_status'

echo
echo "== a TaskRun: config/samples/demo-task.yaml =="
"$kubectl" apply --server-side -f <(sed -n '1,/^---$/p' config/samples/demo-task.yaml | sed '$d') >/dev/null
run=$("$kubectl" create -f <(sed -n '/^---$/,$p' config/samples/demo-task.yaml | sed '1d') -o name)
echo "created $run"
"$kubectl" wait --for=condition=Succeeded "$run" --timeout=180s
"$kubectl" get "$run"
echo
echo "steps:"
"$kubectl" get "$run" -o jsonpath='{range .status.steps[*]}  {.name}: {.terminated.reason}, exit code {.terminated.exitCode}{"\n"}{end}'
echo "results:"
"$kubectl" get "$run" -o jsonpath='{range .status.results[*]}  {.name} = {.value}{"\n"}{end}'
echo "log of step read:"
"$kubectl" logs "pod/$("$kubectl" get "$run" -o jsonpath='{.status.podName}')" -c step-read | sed 's/^/  /'

echo
echo "== a PipelineRun: config/samples/demo-pipeline.yaml =="
"$kubectl" apply --server-side -f <(sed -n '1,/^---$/p' config/samples/demo-pipeline.yaml | sed '$d') >/dev/null
prun=$("$kubectl" create -f <(sed -n '/^---$/,$p' config/samples/demo-pipeline.yaml | sed '1d') -o name)
echo "created $prun"
"$kubectl" wait --for=condition=Succeeded "$prun" --timeout=300s
"$kubectl" get "$prun"
echo
echo "TaskRuns:"
"$kubectl" get taskruns -l "windlass.dev/pipelineRun=${prun#*/}" \
	-o custom-columns='TASK:.metadata.labels.windlass\.dev/pipelineTask,TASKRUN:.metadata.name,SUCCEEDED:.status.conditions[0].status,START:.status.startTime,END:.status.completionTime'
echo "results:"
"$kubectl" get "$prun" -o jsonpath='{range .status.results[*]}  {.name} = {.value}{"\n"}{end}'
echo "log of the finally task:"
report=$("$kubectl" get taskruns -l "windlass.dev/pipelineRun=${prun#*/},windlass.dev/pipelineTask=report" -o jsonpath='{.items[0].status.podName}')
"$kubectl" logs "pod/$report" -c step-report | sed 's/^/  /'
echo
echo "Next: export KUBECONFIG=$KUBECONFIG; 'make cluster-down' stops the local cluster."
