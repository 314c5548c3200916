#!/usr/bin/env bash
# Builds the Kubernetes binaries (and envtest's etcd) from the k8s.io/kubernetes Go module
# in hack/tools/k8s, version-stamped, into $K8S_BIN_DIR. A second run is a no-op.
# Prints the directory (usable as KUBEBUILDER_ASSETS) on stdout.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

bins=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
have_all() { for b in "${bins[@]}" etcd; do [ -x "$K8S_BIN_DIR/$b" ] || return 1; done; }

if ! have_all; then
	mkdir -p "$K8S_BIN_DIR"
	minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
	ldflags="-s -w"
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
	done
	pkgs=()
	for b in "${bins[@]}"; do [ -x "$K8S_BIN_DIR/$b" ] || pkgs+=("k8s.io/kubernetes/cmd/$b"); done
	if [ ${#pkgs[@]} -gt 0 ]; then
		log "building ${pkgs[*]##*/} $K8S_VERSION (cold: ~12 min on 2 cores)"
		tmp="$(mktemp -d "$K8S_BIN_DIR/.build.XXXXXX")"
		(cd "$WINDLASS_ROOT/hack/tools/k8s" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
		mv "$tmp"/* "$K8S_BIN_DIR/" && rmdir "$tmp"
	fi
	# envtest wants etcd next to kube-apiserver: Debian's etcd-server.
	if [ ! -x "$K8S_BIN_DIR/etcd" ]; then
		apt_install etcd-server
		ln -sf "$(command -v etcd || echo /usr/bin/etcd)" "$K8S_BIN_DIR/etcd"
	fi
fi
have_all || die "k8s binaries incomplete in $K8S_BIN_DIR"
echo "$K8S_BIN_DIR"
