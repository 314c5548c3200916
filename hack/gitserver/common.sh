#!/usr/bin/env bash
# Settings and helpers shared by the git server's scripts (up.sh, down.sh, replay.sh) and
# by hack/cluster/check-clean.sh and status.sh. Source it.
# shellcheck disable=SC2034
source "$(dirname "${BASH_SOURCE[0]}")/../cluster/common.sh"

# Everything the git server keeps (app.ini, sqlite db, repositories, credentials, its PID)
# lives here and goes away with down.sh. Override for a second, independent instance.
GITSERVER_DIR="${GITSERVER_DIR:-$CLUSTER_DIR/gitserver}"
GITSERVER_PORT="${GITSERVER_PORT:-3000}"
GITSERVER_USER=windlass
GITSERVER_APP_INI="$GITSERVER_DIR/app.ini"
GITSERVER_ENV="$GITSERVER_DIR/env"
# Its PID is recorded in its own directory, not the cluster's $PID_DIR: a git server
# running without a cluster is not "state left by an earlier cluster" for cluster-up.
GITSERVER_PID_DIR="$GITSERVER_DIR/pids"
# Its log (gitea logs to stdout; start_proc appends that to $LOG_DIR/NAME.log) sits with
# the cluster's logs, so e2e-test.sh saves it with them; down.sh keeps it.
GITSERVER_LOG="$LOG_DIR/gitserver.log"

# Gitea refuses to run as root without this; the test bed runs everything as root.
export GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT=true

gitserver_alive() { PID_DIR="$GITSERVER_PID_DIR" alive gitserver; }
gitserver_stop() { PID_DIR="$GITSERVER_PID_DIR" stop_proc gitserver "${1:-5}"; }
gitserver_start() { PID_DIR="$GITSERVER_PID_DIR" start_proc gitserver "$@"; }

# gitea ARGS...: runs the gitea CLI against this instance's config.
gitea() { "$GITEA_BIN" --config "$GITSERVER_APP_INI" --work-path "$GITSERVER_DIR" "$@"; }
