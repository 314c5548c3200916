#!/usr/bin/env bash
# Builds Trivy $TRIVY_VERSION from its Go module into $TRIVY_BIN for the catalog's trivy-scan
# image. Trivy imports encoding/json/v2, hence GOEXPERIMENT=jsonv2. Cold: ~5 min and ~3 GB of
# memory on 2 cores. A second run is a no-op. Prints the binary's path.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ ! -x "$TRIVY_BIN" ]; then
	log "building trivy $TRIVY_VERSION (cold: ~5 min on 2 idle cores)"
	mkdir -p "$(dirname "$TRIVY_BIN")"
	tmp=$(mktemp -d "$(dirname "$TRIVY_BIN")/.build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && GOBIN="$tmp" GOFLAGS=-mod=mod CGO_ENABLED=0 GOEXPERIMENT=jsonv2 go install -trimpath \
		-ldflags "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}" \
		"github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION")
	mv "$tmp/trivy" "$TRIVY_BIN"
fi
echo "$TRIVY_BIN"
