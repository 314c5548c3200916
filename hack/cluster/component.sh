#!/usr/bin/env bash
# component.sh stop|start|restart NAME: stops or starts one component of the running
# local cluster (one of COMPONENTS in common.sh), for fault tests (test/e2e). `stop`
# records how the component was started (its executable, arguments and PATH, read from
# the process) and stops it; `start` starts it again exactly so and waits until it
# answers (the registry and etcd their health endpoint, kube-apiserver /readyz, the
# others while their process lives). Prints the seconds it took on stdout.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/common.sh"
require_root

usage() { die "usage: $0 stop|start|restart NAME (NAME: ${COMPONENTS[*]})"; }
[ $# -eq 2 ] || usage
action=$1 name=$2
known=0
for c in "${COMPONENTS[@]}"; do [ "$c" = "$name" ] && known=1; done
[ "$known" -eq 1 ] || usage
SAVED_DIR="$CLUSTER_DIR/stopped"
t0=$(date +%s%N)
took() { awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f\n", (b-a)/1e9}'; }

do_stop() {
	local pid
	pid=$(alive "$name") || die "$name is not running"
	mkdir -p "$SAVED_DIR"
	cp "$PID_DIR/$name.exe" "$SAVED_DIR/$name.exe"
	# Arguments NUL-separated, as the kernel keeps them; argv[0] is dropped.
	tail -z -n +2 "/proc/$pid/cmdline" >"$SAVED_DIR/$name.args"
	tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^PATH=//p' >"$SAVED_DIR/$name.path"
	# SIGTERM, then SIGKILL after 10 s of wall time (stop_proc counts polls, which
	# take far longer than their 0.1 s sleep on a loaded node): kube-apiserver may
	# hang after draining its requests.
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$(($(date +%s) + 10))
	while [ -e "/proc/$pid" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
	stop_proc "$name" 1
}

answers() {
	case $name in
	registry) curl -fsS "http://$REGISTRY/v2/" ;;
	etcd) curl -fsS http://127.0.0.1:12379/health ;;
	kube-apiserver) KUBECTL get --raw /readyz ;;
	*) alive "$name" ;;
	esac
}

do_start() {
	[ -s "$SAVED_DIR/$name.exe" ] || die "$name was not stopped by $0 (nothing recorded in $SAVED_DIR)"
	! alive "$name" >/dev/null || die "$name is already running"
	local exe args=()
	exe=$(cat "$SAVED_DIR/$name.exe")
	mapfile -d '' args <"$SAVED_DIR/$name.args"
	PATH="$(cat "$SAVED_DIR/$name.path")" start_proc "$name" "$exe" "${args[@]}"
	rm -f "$SAVED_DIR/$name.exe" "$SAVED_DIR/$name.args" "$SAVED_DIR/$name.path"
	wait_for "$name" 120 answers || die "$name does not answer 120s after its start (log: $LOG_DIR/$name.log)"
}

case $action in
stop) do_stop ;;
start) do_start ;;
restart) do_stop && do_start ;;
*) usage ;;
esac
took
