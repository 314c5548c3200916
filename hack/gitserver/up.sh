#!/usr/bin/env bash
# Starts the local git server: Gitea (hack/gitea-bin.sh) on the host, listening on the
# cluster bridge ($NODE_IP:3000) so pods reach it, with a sqlite database and an admin
# user, for tests that push commits and receive real push webhooks. Idempotent: a
# running server is left alone. Writes $GITSERVER_DIR/env for tests to read:
#   GITSERVER_URL=http://10.88.0.1:3000   GITSERVER_USER=windlass
#   GITSERVER_PASSWORD=...                 GITSERVER_TOKEN=... (an API token, scopes all)
# Stop it with down.sh; hack/cluster/down.sh stops it too.
#
# Environment: GITSERVER_ADDR=HOST:PORT overrides the listen address (default: $NODE_IP:3000
# when the cluster's bridge has that address, else 127.0.0.1:3000, which pods cannot
# reach); GITSERVER_DIR overrides the state directory (default $CLUSTER_DIR/gitserver).
# A second, independent instance (e.g. to try this without the cluster):
#   GITSERVER_DIR=/tmp/gs GITSERVER_ADDR=127.0.0.1:3300 WINDLASS_CLUSTER_DIR=/tmp/gs-cluster hack/gitserver/up.sh
#
# Replaying a webhook delivery (Gitea has no deliveries API; see README.md here for details):
#   1. log in:  POST $GITSERVER_URL/user/login, form user_name=$GITSERVER_USER&password=$GITSERVER_PASSWORD,
#      no redirect following; keep the i_like_gitea session cookie of the 303 response.
#      (303 with Location "/" = logged in; 200 = wrong password).
#   2. replay:  POST $GITSERVER_URL/OWNER/REPO/settings/hooks/HOOK_ID/replay/UUID with that cookie, no
#      body, no Origin header; queued = 303 with Location /OWNER/REPO/settings/hooks/HOOK_ID (not
#      logged in is ALSO a 303, to /user/login?...: check the Location). UUID is the
#      X-Gitea-Delivery (= X-GitHub-Delivery) header of the delivery to replay; HOOK_ID is the
#      id from POST /api/v1/repos/OWNER/REPO/hooks. hack/gitserver/replay.sh does this with curl.
#   The new delivery has the same body and signatures and a NEW delivery uuid.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/common.sh"

GITEA_BIN=$("$WINDLASS_ROOT/hack/gitea-bin.sh")
apt_install git curl openssl

if gitserver_alive >/dev/null && [ -s "$GITSERVER_ENV" ]; then
	url=$(sed -n 's/^GITSERVER_URL=//p' "$GITSERVER_ENV")
	if curl -fsS -m 5 "$url/api/v1/version" >/dev/null 2>&1; then
		log "git server already up at $url (credentials: $GITSERVER_ENV)"
		echo "$GITSERVER_ENV"
		exit 0
	fi
fi
gitserver_stop 2 # a recorded server that is not healthy, or a stale PID file

# --- where to listen ------------------------------------------------------------------------
if [ -n "${GITSERVER_ADDR:-}" ]; then
	addr=$GITSERVER_ADDR
elif ip -4 -o addr show dev "$BRIDGE" 2>/dev/null | grep -qF " $NODE_IP/"; then
	addr="$NODE_IP:$GITSERVER_PORT"
else
	addr="127.0.0.1:$GITSERVER_PORT"
	log "the cluster bridge $BRIDGE has no address $NODE_IP (cluster not up): listening on $addr, which pods cannot reach"
fi
host=${addr%:*} port=${addr##*:}
[ -n "$host" ] && [ "$port" -gt 0 ] 2>/dev/null || die "GITSERVER_ADDR must be HOST:PORT, got '$addr'"
owner=$(port_owner "$addr")
[ -z "$owner" ] || die "port $port is already in use ($owner); the git server needs $addr"
url="http://$addr"

# --- state: secrets (once), app.ini (every start: the address may change) ----------------------
mkdir -p "$GITSERVER_DIR" "$GITSERVER_PID_DIR" "$LOG_DIR"
chmod 700 "$GITSERVER_DIR"
secret() { # secret NAME: generated once, kept in the state dir
	local f="$GITSERVER_DIR/$1"
	if [ ! -s "$f" ]; then
		case $1 in
		password) openssl rand -hex 16 >"$f" ;;
		*) "$GITEA_BIN" generate secret "$1" >"$f" ;;
		esac
	fi
	cat "$f"
}
password=$(secret password)
cat >"$GITSERVER_APP_INI" <<INI
; Written by hack/gitserver/up.sh at every start; edit that script instead.
APP_NAME = Windlass test git server
RUN_MODE = prod
WORK_PATH = $GITSERVER_DIR

[server]
PROTOCOL = http
HTTP_ADDR = $host
HTTP_PORT = $port
DOMAIN = $host
ROOT_URL = $url/
LOCAL_ROOT_URL = $url/
APP_DATA_PATH = $GITSERVER_DIR/data
; The module has no built web frontend (no bindata): templates and options come from here.
STATIC_ROOT_PATH = $GITEA_STATIC_DIR
OFFLINE_MODE = true
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false
GRACEFUL_HAMMER_TIME = 2s

[database]
DB_TYPE = sqlite3
PATH = $GITSERVER_DIR/data/gitea.db
SQLITE_JOURNAL_MODE = WAL

[repository]
ROOT = $GITSERVER_DIR/repositories
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = $(secret SECRET_KEY)
INTERNAL_TOKEN = $(secret INTERNAL_TOKEN)

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false
ENABLE_NOTIFY_MAIL = false
DEFAULT_KEEP_EMAIL_PRIVATE = true

[webhook]
; Test receivers run on this host or in the cluster (pods 10.88/16, Services 10.96/16).
ALLOWED_HOST_LIST = loopback,private
SKIP_TLS_VERIFY = true
DELIVER_TIMEOUT = 10

[log]
; To stdout, which start_proc appends to $GITSERVER_LOG.
MODE = console
LEVEL = Info
logger.access.MODE =
logger.xorm.MODE =

[mailer]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[cron]
ENABLED = false
RUN_AT_START = false

[cron.update_checker]
ENABLED = false

[cron.archive_cleanup]
RUN_AT_START = false

[cron.check_repo_stats]
RUN_AT_START = false

[cron.update_migration_poster_id]
RUN_AT_START = false

[cron.cleanup_actions]
RUN_AT_START = false

[cron.deleted_branches_cleanup]
RUN_AT_START = false

[cron.cleanup_packages]
RUN_AT_START = false

[actions]
ENABLED = false

[packages]
ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[other]
SHOW_FOOTER_VERSION = false
INI

# --- database and admin user (before the server starts: no concurrent writers) -----------------
gitea migrate >>"$GITSERVER_LOG" 2>&1 || { tail -n 20 "$GITSERVER_LOG" >&2; die "gitea migrate failed (log: $GITSERVER_LOG)"; }
if gitea admin user list --admin 2>>"$GITSERVER_LOG" | awk 'NR > 1 {print $2}' | grep -qxF "$GITSERVER_USER"; then
	gitea admin user change-password --username "$GITSERVER_USER" --password "$password" \
		--must-change-password=false >>"$GITSERVER_LOG" 2>&1
else
	gitea admin user create --admin --username "$GITSERVER_USER" --password "$password" \
		--email "$GITSERVER_USER@windlass.invalid" --must-change-password=false >>"$GITSERVER_LOG" 2>&1 ||
		{ tail -n 20 "$GITSERVER_LOG" >&2; die "creating the admin user failed (log: $GITSERVER_LOG)"; }
fi

# --- the server -------------------------------------------------------------------------------
t0=$(date +%s%N)
log "starting gitea $GITEA_VERSION on $url (log: $GITSERVER_LOG)"
failed() {
	local rc=$?
	trap - ERR EXIT
	[ "$rc" -eq 0 ] && return 0
	echo "--- last lines of $GITSERVER_LOG" >&2
	tail -n 25 "$GITSERVER_LOG" >&2
	gitserver_stop 2
	exit "$rc"
}
trap failed ERR EXIT
# Webhooks go to this host and the cluster: never through a proxy from the environment
# (Gitea's [webhook] PROXY_URL, left empty, means "use http_proxy").
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
(cd "$GITSERVER_DIR" && gitserver_start "$GITEA_BIN" web --config "$GITSERVER_APP_INI" --work-path "$GITSERVER_DIR")
wait_for "gitea" 60 curl -fsS -m 2 "$url/api/v1/version" || die "gitea did not answer $url/api/v1/version within 60 s"

# --- an API token (kept while it still works) ---------------------------------------------------
token_file="$GITSERVER_DIR/token"
if ! { [ -s "$token_file" ] && curl -fsS -m 5 -o /dev/null -H "Authorization: token $(cat "$token_file")" "$url/api/v1/user"; }; then
	gitea admin user generate-access-token --username "$GITSERVER_USER" --token-name "windlass-$(date +%s%N)" \
		--scopes all --raw 2>>"$GITSERVER_LOG" | tail -n 1 >"$token_file.new"
	mv "$token_file.new" "$token_file"
	curl -fsS -m 5 -o /dev/null -H "Authorization: token $(cat "$token_file")" "$url/api/v1/user" ||
		die "the new access token does not work"
fi
cat >"$GITSERVER_ENV.new" <<ENV
GITSERVER_URL=$url
GITSERVER_USER=$GITSERVER_USER
GITSERVER_PASSWORD=$password
GITSERVER_TOKEN=$(cat "$token_file")
ENV
chmod 600 "$GITSERVER_ENV.new" "$token_file" "$GITSERVER_DIR/password"
mv "$GITSERVER_ENV.new" "$GITSERVER_ENV"
trap - ERR EXIT
log "git server up at $url in $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')s; user $GITSERVER_USER, credentials in $GITSERVER_ENV"
echo "$GITSERVER_ENV"
