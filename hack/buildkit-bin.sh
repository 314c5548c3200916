#!/usr/bin/env bash
# Builds BuildKit $BUILDKIT_VERSION's buildkitd and buildctl, and a static runc (buildkitd's
# OCI worker executes it; the image has no libc), into $BUILDKIT_BIN_DIR for the catalog's
# buildkitd image. `go install` refuses BuildKit (its go.mod has an exclude block), so this
# builds a writable copy of the module's source. A second run is a no-op. Prints the directory.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

bins=(buildkitd buildctl runc)
have_all() { for b in "${bins[@]}"; do [ -x "$BUILDKIT_BIN_DIR/$b" ] || return 1; done; }

if ! have_all; then
	apt_install gcc libc6-dev libseccomp-dev pkg-config
	log "building buildkitd $BUILDKIT_VERSION and a static runc $RUNC_VERSION (cold: ~3 min on 2 idle cores)"
	mkdir -p "$(dirname "$BUILDKIT_BIN_DIR")"
	tmp=$(mktemp -d "$(dirname "$BUILDKIT_BIN_DIR")/.build.XXXXXX")
	trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
	module_copy "github.com/moby/buildkit@$BUILDKIT_VERSION" "$tmp/buildkit"
	mkdir -p "$tmp/bin"
	(cd "$tmp/buildkit" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -tags "osusergo netgo static_build seccomp" \
		-ldflags "-s -w -X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION" \
		-o "$tmp/bin/" ./cmd/buildkitd ./cmd/buildctl)
	(cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS=-mod=mod CGO_ENABLED=1 go install -trimpath \
		-tags "seccomp urfave_cli_no_docs netgo osusergo" \
		-ldflags "-s -w -X main.version=${RUNC_VERSION#v} -extldflags -static" \
		"github.com/opencontainers/runc@$RUNC_VERSION")
	file "$tmp/bin/runc" 2>/dev/null | grep -q 'statically linked' || ldd "$tmp/bin/runc" 2>&1 | grep -q 'not a dynamic' ||
		die "runc for the buildkitd image is not statically linked"
	rm -rf "$BUILDKIT_BIN_DIR"
	mv "$tmp/bin" "$BUILDKIT_BIN_DIR"
fi
have_all || die "buildkit binaries incomplete in $BUILDKIT_BIN_DIR"
echo "$BUILDKIT_BIN_DIR"
