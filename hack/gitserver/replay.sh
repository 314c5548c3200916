#!/usr/bin/env bash
# Replays a webhook delivery of the local git server, the way its web UI's "replay" button
# does: the same body and signatures under a NEW delivery uuid. Gitea has no API for
# deliveries, so this logs in through the web form and posts to the settings page's route.
# Usage: replay.sh OWNER/REPO HOOK_ID [UUID]   (no UUID: the hook's most recent delivery)
# Prints the replayed uuid. Reads the credentials from $GITSERVER_DIR/env (see up.sh).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/common.sh"

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: $0 OWNER/REPO HOOK_ID [UUID]"
repo=$1 hook=$2 uuid=${3:-}
[ -s "$GITSERVER_ENV" ] || die "no $GITSERVER_ENV: is the git server up (make gitserver-up)?"
# shellcheck disable=SC1090
source "$GITSERVER_ENV"
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT

# 1. Form login (1.26 has no CSRF token): 303 to / and a session cookie (i_like_gitea, set
#    twice: the last one counts) on success; 200 with the form again on a wrong password.
code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$jar" \
	--data-urlencode "user_name=$GITSERVER_USER" --data-urlencode "password=$GITSERVER_PASSWORD" \
	"$GITSERVER_URL/user/login")
[ "$code" = 303 ] || die "login as $GITSERVER_USER failed (HTTP $code)"
hook_page="$GITSERVER_URL/$repo/settings/hooks/$hook"
# 2. Without a UUID: the newest delivery listed on the hook's settings page (newest first;
#    each delivery has a form posting to .../replay/UUID).
if [ -z "$uuid" ]; then
	page=$(curl -fsS -b "$jar" "$hook_page") || die "cannot read $hook_page"
	uuid=$(grep -oE "/settings/hooks/$hook/replay/[0-9a-f-]{36}" <<<"$page" | head -n 1 | sed 's#.*/##') || true
	[ -n "$uuid" ] || die "hook $hook of $repo has no delivery to replay"
fi
# 3. Replay: 303 to the hook's page when queued; 404 for an unknown uuid. A missing or
#    expired session is ALSO a 303, to /user/login?redirect_to=...: check the Location.
where=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -b "$jar" -X POST "$hook_page/replay/$uuid")
[ "$where" = "303 $hook_page" ] || die "replaying delivery $uuid of hook $hook of $repo failed (HTTP $where)"
log "replayed delivery $uuid of hook $hook of $repo"
echo "$uuid"
