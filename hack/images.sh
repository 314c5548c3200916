#!/usr/bin/env bash
# Builds every daemon under cmd/ and every step tool under tasks/ into an
# OCI image and pushes it to $REGISTRY with go-containerregistry: no Docker engine.
# Also pushes the shell base image (busybox-static + CA certificates) for steps that
# need sh. Writes bin/images.txt: one NAME=REPOSITORY@DIGEST line per image.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/image-lib.sh"

REGISTRY="${REGISTRY:-127.0.0.1:5000}"
VERSION="${VERSION:-dev}"
cd "$WINDLASS_ROOT"
mkdir -p bin/linux
CGO_ENABLED=0 go build -o bin/clustertool ./hack/clustertool
CGO_ENABLED=0 go build -o bin/trivydb ./hack/trivydb

# Images: cmd/<name> except the CLI, which users run on their machines.
names=()
for d in cmd/*/; do
	n=$(basename "$d")
	[ "$n" = windlass ] || names+=("$n")
done
pkgs=()
for n in "${names[@]}"; do pkgs+=("./cmd/$n"); done
# Step tools: tasks/<tool> with a main package (tasks/toolkit is their library).
tools=()
for d in tasks/*/; do
	n=$(basename "$d")
	if [ -f "$d/main.go" ]; then
		tools+=("$n")
		pkgs+=("./tasks/$n")
	fi
done
log "building ${names[*]} ${tools[*]}"
CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X github.com/windlass-dev/windlass/internal/version.Version=$VERSION" \
	-o bin/linux/ "${pkgs[@]}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make_rootfs static "$tmp/static"
make_rootfs shell "$tmp/shell"

out="$tmp/images.txt"
ref=$(bin/clustertool image --dir "$tmp/shell" --cmd sh --push "$REGISTRY/windlass/shell:$VERSION")
echo "shell=$ref" >>"$out"
# extra_files NAME: the --file flags of what an image runs besides its own binary.
trivy=$("$WINDLASS_ROOT/hack/trivy-bin.sh")
extra_files() {
	case $1 in
	trivy-scan) echo "--file $trivy:/usr/bin/trivy" ;;
	esac
}
# Daemons and step tools alike: the static rootfs, the binary as entrypoint, a nonroot user.
for n in "${names[@]}" "${tools[@]}"; do
	# shellcheck disable=SC2046 # extra_files prints whole flags
	ref=$(bin/clustertool image --dir "$tmp/static" --file "bin/linux/$n:/$n" $(extra_files "$n") --entrypoint "/$n" \
		--user 65532:65532 --push "$REGISTRY/windlass/$n:$VERSION")
	echo "$n=$ref" >>"$out"
done
# buildkitd for the catalog's buildkit-build Task: BuildKit's daemon, buildctl and a static
# runc (its OCI worker runs each RUN through it), on the shell rootfs for the sidecar script.
bk=$("$WINDLASS_ROOT/hack/buildkit-bin.sh")
ref=$(bin/clustertool image --dir "$tmp/shell" --file "$bk/buildkitd:/usr/bin/buildkitd" --file "$bk/buildctl:/usr/bin/buildctl" \
	--file "$bk/runc:/usr/bin/runc" --env PATH=/usr/bin:/bin --entrypoint /usr/bin/buildkitd \
	--push "$REGISTRY/windlass/buildkitd:$BUILDKIT_VERSION")
echo "buildkitd=$ref" >>"$out"
# The vulnerability DB the catalog's trivy-scan reads offline: Trivy's OCI artifact, built
# from the fixture advisories (nothing is fetched from the internet).
ref=$(bin/trivydb --advisories test/fixtures/trivy-db/advisories.yaml --push "$REGISTRY/windlass/trivy-db:2" | cut -d' ' -f1)
echo "trivy-db=$ref" >>"$out"
mv "$out" bin/images.txt
log "pushed $(wc -l <bin/images.txt) images to $REGISTRY (bin/images.txt)"
cat bin/images.txt
