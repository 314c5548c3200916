#!/usr/bin/env bash
# Stops the local git server (only its recorded PID, checked against its executable) and
# removes its state directory: database, repositories, credentials. Keeps its log.
# A no-op when it is not running and has no state. hack/cluster/down.sh calls it.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/common.sh"

[ -e "$GITSERVER_DIR" ] || exit 0
if pid=$(gitserver_alive); then
	gitserver_stop 5
	log "git server stopped (pid $pid)"
fi
# Git hooks the server ran (gitea hook ...) exit with their push; anything of ours still
# using the state dir would make the removal below incomplete.
rm -rf --one-file-system "$GITSERVER_DIR"
