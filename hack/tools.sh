#!/usr/bin/env bash
# Installs a pinned Go tool into $WINDLASS_CACHE/tools/NAME-VERSION and links it as bin/NAME.
# Usage: hack/tools.sh NAME   (names below). A second run is a no-op.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

name=${1:?usage: hack/tools.sh NAME}
case "$name" in
controller-gen) pkg=sigs.k8s.io/controller-tools/cmd/controller-gen version=v0.23.0 ;;
golangci-lint) pkg=github.com/golangci/golangci-lint/v2/cmd/golangci-lint version=v2.15.0 ;;
*) die "unknown tool $name" ;;
esac
dir="$WINDLASS_CACHE/tools/$name-$version"
if [ ! -x "$dir/$name" ]; then
	log "installing $name $version"
	mkdir -p "$dir"
	GOBIN="$dir" GOFLAGS=-mod=mod CGO_ENABLED=0 go install "$pkg@$version"
fi
mkdir -p "$WINDLASS_ROOT/bin"
ln -sfn "$dir/$name" "$WINDLASS_ROOT/bin/$name"
