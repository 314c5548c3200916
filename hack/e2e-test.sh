#!/usr/bin/env bash
# Tier 3: the real local cluster. Starts it if it is not up (and stops it again at
# the end unless WINDLASS_KEEP_CLUSTER=1), builds and pushes the images, installs
# the release, runs `go test -tags e2e`, and on failure saves logs to $ARTIFACTS.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/cluster/common.sh"
cd "$WINDLASS_ROOT"
ARTIFACTS="${ARTIFACTS:-$WINDLASS_ROOT/bin/e2e-artifacts}"

started=0
if ! "$HERE/cluster/status.sh" >/dev/null 2>&1; then
	mkdir -p "$WINDLASS_ROOT/bin"
	# The host's state before the cluster: if a killed earlier cluster left its saved
	# sysctls behind, those are the real "before" (the kubelet's values are still set,
	# and up.sh restores the saved ones while cleaning up); otherwise, read them now.
	if [ -s "$SYSCTL_SAVE" ]; then
		cp "$SYSCTL_SAVE" "$WINDLASS_ROOT/bin/sysctl.before"
	else
		snapshot_sysctls >"$WINDLASS_ROOT/bin/sysctl.before"
	fi
	"$HERE/cluster/up.sh"
	started=1
fi
finish() {
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		mkdir -p "$ARTIFACTS"
		KUBECTL -n windlass-system logs deployment/windlass-controller --tail=-1 >"$ARTIFACTS/controller.log" 2>&1 || true
		KUBECTL get events -A --sort-by=.lastTimestamp >"$ARTIFACTS/events.txt" 2>&1 || true
		KUBECTL get pods -A -o wide >"$ARTIFACTS/pods.txt" 2>&1 || true
		cp "$LOG_DIR"/*.log "$ARTIFACTS/" 2>/dev/null || true
		log "e2e failed; logs in $ARTIFACTS"
	fi
	if [ "$started" -eq 1 ] && [ "${WINDLASS_KEEP_CLUSTER:-0}" != 1 ]; then
		"$HERE/cluster/down.sh" || rc=1
		# cluster-down must leave nothing behind: processes, mounts, devices, chains, sysctls.
		"$HERE/cluster/check-clean.sh" "$WINDLASS_ROOT/bin/sysctl.before" || rc=1
	fi
	exit "$rc"
}
trap finish EXIT

export KUBECONFIG="$KUBECONFIG_PATH"
# The git server the triggers tests push to (on the cluster bridge, so pods reach it).
"$HERE/gitserver/up.sh"
export GITSERVER_ENV="${GITSERVER_DIR:-$CLUSTER_DIR/gitserver}/env"
make -s images release catalog
# The stand-ins of the Tekton examples' public images (the compatibility tier).
hack/standins.sh
hack/deploy.sh dist/install.yaml dist/catalog.yaml

# go_test LOG ARGS...: the e2e package's tests, full output in LOG; fails unless they passed.
go_test() {
	local out=$1
	shift
	WINDLASS_IMAGES="$WINDLASS_ROOT/bin/images.txt" go test -tags e2e -count=1 -timeout 40m "$@" -v ./test/e2e/... 2>&1 |
		tee "$out" | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go:|^(stable|beta|alpha)[: ]|^wall time' || true
	if ! grep -qE '^(ok|PASS)' "$out" || grep -qE '^(FAIL|--- FAIL)' "$out"; then
		die "e2e tests failed (full output: $out)"
	fi
}
export COMPAT_REPORT="$WINDLASS_ROOT/bin/compat-report.txt" COMPAT_ARTIFACTS="$ARTIFACTS/compat"
if [ -n "${E2E_RUN:-}" ]; then
	go_test bin/e2e.log -run "$E2E_RUN"
else
	go_test bin/e2e.log -skip TestTektonExamples
	# The compatibility tier: Tekton's own examples, converted, on this cluster (a table of
	# pass/fail per example; every stable one not listed in test/compat/examples.go must pass).
	log "compatibility tier: Tekton's examples/v1 on the cluster"
	go_test bin/compat.log -run TestTektonExamples
fi

# A cluster this run started is also used to prove recovery from a killed run
# (then finish() stops it and checks that nothing is left on the host).
if [ "$started" -eq 1 ]; then
	"$HERE/cluster/selftest-recovery.sh"
fi
