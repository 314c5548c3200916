#!/usr/bin/env bash
# Builds containerd 2 (+ its runc shim and ctr) and runc from their Go modules into
# $RUNTIME_BIN_DIR. Debian's containerd 1.6 cannot mount image volumes, which the
# engine's pods use. A second run is a no-op. Prints the directory on stdout.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

bins=(containerd containerd-shim-runc-v2 ctr runc)
have_all() { for b in "${bins[@]}"; do [ -x "$RUNTIME_BIN_DIR/$b" ] || return 1; done; }

if ! have_all; then
	apt_install gcc libc6-dev libseccomp-dev pkg-config
	mkdir -p "$RUNTIME_BIN_DIR"
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	ver="-X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION"
	log "building containerd $CONTAINERD_VERSION and runc $RUNC_VERSION (cold: ~4 min on 2 cores)"
	(cd "$tmp" && export GOBIN="$tmp/bin" GOFLAGS=-mod=mod &&
		CGO_ENABLED=0 go install -trimpath -ldflags "-s -w $ver" -tags "urfave_cli_no_docs no_btrfs" \
			"github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" \
			"github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION" &&
		CGO_ENABLED=0 go install -trimpath -ldflags "-s -w $ver" -tags "urfave_cli_no_docs no_grpc" \
			"github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" &&
		CGO_ENABLED=1 go install -trimpath -ldflags "-s -w -X main.version=${RUNC_VERSION#v}" -tags "seccomp urfave_cli_no_docs" \
			"github.com/opencontainers/runc@$RUNC_VERSION")
	mv "$tmp"/bin/* "$RUNTIME_BIN_DIR/"
fi
have_all || die "runtime binaries incomplete in $RUNTIME_BIN_DIR"
echo "$RUNTIME_BIN_DIR"
