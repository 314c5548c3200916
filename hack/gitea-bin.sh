#!/usr/bin/env bash
# Builds Gitea $GITEA_VERSION (the local git server, see hack/gitserver/) from its Go module
# into $GITEA_DIR/bin/gitea, with the templates, options and public files it reads at run
# time next to it in $GITEA_DIR/static (its STATIC_ROOT_PATH: the build has no bindata).
# `go install` refuses the module (its go.mod has replace directives), so this builds a
# writable copy of the module's source. A second run is a no-op. Prints the binary's path.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

have_all() { [ -x "$GITEA_BIN" ] && [ -d "$GITEA_STATIC_DIR/templates" ] && [ -d "$GITEA_STATIC_DIR/options" ]; }

if ! have_all; then
	apt_install gcc libc6-dev git
	log "building gitea $GITEA_VERSION (cold: ~10 min on 2 idle cores)"
	mkdir -p "$GITEA_DIR"
	tmp=$(mktemp -d "$GITEA_DIR/.build.XXXXXX")
	trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
	module_copy "code.gitea.io/gitea@$GITEA_VERSION" "$tmp/src"
	tags="sqlite sqlite_unlock_notify"
	(cd "$tmp/src" && GOFLAGS=-mod=mod CGO_ENABLED=1 go build -trimpath -tags "$tags" \
		-ldflags "-s -w -X 'main.Version=${GITEA_VERSION#v}' -X 'main.Tags=$tags'" -o "$tmp/gitea" .)
	mkdir -p "$tmp/static"
	cp -r "$tmp/src/templates" "$tmp/src/options" "$tmp/src/public" "$tmp/static/"
	rm -rf "$GITEA_STATIC_DIR" "$(dirname "$GITEA_BIN")"
	mv "$tmp/static" "$GITEA_STATIC_DIR"
	mkdir -p "$(dirname "$GITEA_BIN")"
	mv "$tmp/gitea" "$GITEA_BIN"
fi
have_all || die "gitea incomplete in $GITEA_DIR"
echo "$GITEA_BIN"
