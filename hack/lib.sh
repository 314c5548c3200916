#!/usr/bin/env bash
# Shared settings for the hack/ scripts. Source it; it defines no behaviour.
# Everything built or downloaded is cached OUTSIDE the clone, keyed by version,
# so a fresh clone on the same machine reuses it.

WINDLASS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WINDLASS_CACHE="${WINDLASS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/windlass}"

K8S_VERSION="${K8S_VERSION:-v1.37.2}"
CONTAINERD_VERSION="${CONTAINERD_VERSION:-v2.4.2}"
RUNC_VERSION="${RUNC_VERSION:-v1.5.2}"
GITEA_VERSION="${GITEA_VERSION:-v1.26.0}"
BUILDKIT_VERSION="${BUILDKIT_VERSION:-v0.34.2}"
TRIVY_VERSION="${TRIVY_VERSION:-v0.74.0}"

K8S_BIN_DIR="$WINDLASS_CACHE/k8s/$K8S_VERSION/bin"
RUNTIME_BIN_DIR="$WINDLASS_CACHE/runtime/containerd-$CONTAINERD_VERSION-runc-$RUNC_VERSION/bin"
# Gitea (hack/gitea-bin.sh): the binary, and the templates/options it reads at run time.
GITEA_DIR="$WINDLASS_CACHE/gitea/$GITEA_VERSION"
GITEA_BIN="$GITEA_DIR/bin/gitea"
GITEA_STATIC_DIR="$GITEA_DIR/static"
# BuildKit (hack/buildkit-bin.sh): buildkitd, buildctl and a static runc for its image.
BUILDKIT_BIN_DIR="$WINDLASS_CACHE/buildkit/$BUILDKIT_VERSION-runc-$RUNC_VERSION/bin"
# Trivy (hack/trivy-bin.sh) for the catalog's trivy-scan image.
TRIVY_BIN="$WINDLASS_CACHE/trivy/$TRIVY_VERSION/bin/trivy"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# module_copy MODULE@VERSION DEST: a writable copy of a Go module's source at DEST, for
# modules `go install` refuses (their go.mod has replace or exclude directives).
module_copy() {
	local mod=$1 dest=$2 src
	src=$(cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod go mod download -json "$mod" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')
	[ -n "$src" ] && [ -d "$src" ] || die "go mod download $mod gave no source directory"
	cp -r "$src" "$dest"
	chmod -R u+w "$dest"
}

# apt_install installs the Debian packages that are missing, updating the index once.
apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing Debian packages (${missing[*]}); install them as root"
	log "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
