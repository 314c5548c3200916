#!/usr/bin/env bash
# make verify: regenerates everything generated (CRDs, RBAC, deepcopy), tidies both
# Go modules, and fails if that changed any file, or if a Go file is not gofmt'ed.
# It compares the tree before and after, so uncommitted work of your own is fine.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$WINDLASS_ROOT"

generated=(config apis go.mod go.sum hack/tools/k8s/go.mod hack/tools/k8s/go.sum)
snapshot() {
	{ git ls-files -- "${generated[@]}"; git ls-files --others --exclude-standard -- "${generated[@]}"; } |
		sort -u | while read -r f; do
			if [ -f "$f" ]; then sha256sum "$f"; else echo "missing $f"; fi
		done
}
before=$(snapshot)
make -s manifests generate
go mod tidy
(cd hack/tools/k8s && go mod tidy)
after=$(snapshot)
if [ "$before" != "$after" ]; then
	echo "verify: regenerating or tidying changed these files; commit the result:" >&2
	diff <(echo "$before") <(echo "$after") | grep '^[<>]' | awk '{print "  " $NF}' | sort -u >&2
	exit 1
fi
unformatted=$(gofmt -l $(git ls-files '*.go'; git ls-files --others --exclude-standard '*.go'))
[ -z "$unformatted" ] || { echo "verify: not gofmt'ed (run 'make fmt'):" >&2; echo "$unformatted" >&2; exit 1; }
echo "verify: generated files, go.mod/go.sum and formatting are up to date"
