#!/usr/bin/env bash
# Starts the local single-node cluster: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, containerd 2 + runc, kubelet, kube-proxy, a CNI bridge, a local
# registry on 127.0.0.1:5000 and dynamic PVC provisioning. Idempotent: a healthy
# cluster is left alone; what a killed earlier run left behind is cleaned up first.
# A failure stops everything it started: never a half-started cluster.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/common.sh"
source "$HERE/pki.sh"
source "$HERE/teardown.sh"
source "$HERE/configs.sh"
source "$HERE/../image-lib.sh"

require_root
t_start=$(date +%s%N)
elapsed() { awk -v a="$t_start" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}'; }

healthy() {
	local c
	for c in "${COMPONENTS[@]}"; do alive "$c" >/dev/null || return 1; done
	KUBECTL get --raw /readyz >/dev/null 2>&1 || return 1
	[ "$(KUBECTL get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
if [ -x "$K8S_BIN_DIR/kubectl" ] && [ -s "$KUBECONFIG_PATH" ] && healthy; then
	log "cluster already up (kubeconfig: $KUBECONFIG_PATH)"
	exit 0
fi

# --- prerequisites: packages, binaries, tools (all cached) -------------------------------
apt_install etcd-server containernetworking-plugins iptables iproute2 busybox-static ca-certificates \
	openssl curl gcc libc6-dev libseccomp-dev kmod util-linux procps
for unit in etcd containerd; do
	if command -v systemctl >/dev/null && systemctl is-active --quiet "$unit" 2>/dev/null; then
		die "the distribution's $unit service is running and would clash with the cluster; stop it: systemctl disable --now $unit"
	fi
done
"$WINDLASS_ROOT/hack/k8s-bins.sh" >/dev/null
"$WINDLASS_ROOT/hack/runtime-bins.sh" >/dev/null
mkdir -p "$WINDLASS_ROOT/bin"
(cd "$WINDLASS_ROOT" && CGO_ENABLED=0 go build -o bin/clustertool ./hack/clustertool)
PAUSE_BIN="$WINDLASS_CACHE/pause/$K8S_VERSION/pause"
if [ ! -x "$PAUSE_BIN" ]; then
	mkdir -p "$(dirname "$PAUSE_BIN")"
	src="$(cd "$WINDLASS_ROOT/hack/tools/k8s" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c"
	gcc -Os -static -DVERSION="$K8S_VERSION" -o "$PAUSE_BIN" "$src"
	strip "$PAUSE_BIN"
fi
LOCAL_PATH_BIN="$WINDLASS_CACHE/local-path/$LOCAL_PATH_VERSION/local-path-provisioner"
if [ ! -x "$LOCAL_PATH_BIN" ]; then
	log "building local-path-provisioner $LOCAL_PATH_VERSION"
	mkdir -p "$(dirname "$LOCAL_PATH_BIN")"
	GOBIN="$(dirname "$LOCAL_PATH_BIN")" CGO_ENABLED=0 GOFLAGS=-mod=mod go install -trimpath -ldflags "-s -w" \
		"github.com/rancher/local-path-provisioner@$LOCAL_PATH_VERSION"
fi

# --- leftovers from an earlier run, then conflicts with anything else ----------------------
if any_state; then
	log "cleaning up what an earlier run left behind"
	teardown
fi
for addr in "${PORTS[@]}"; do
	owner=$(port_owner "$addr")
	[ -z "$owner" ] || die "port ${addr##*:} is already in use ($owner); the cluster needs $addr. Stop that process or run 'make cluster-down' if it is an old cluster"
done
[ ! -S "$CONTAINERD_SOCK" ] || die "$CONTAINERD_SOCK exists but no recorded containerd owns it; stop the runtime using it"

t_prereq=$(elapsed)
t_start=$(date +%s%N) # from here on: the cluster's own start time
failed() {
	local rc=$?
	trap - ERR EXIT
	[ "$rc" -eq 0 ] && return 0
	log "cluster-up failed after $(elapsed)s: ${STEP:-?}; stopping everything it started"
	[ -n "${STEP_LOG:-}" ] && [ -f "$LOG_DIR/$STEP_LOG.log" ] && { echo "--- last lines of $LOG_DIR/$STEP_LOG.log" >&2; tail -n 25 "$LOG_DIR/$STEP_LOG.log" >&2; }
	teardown || true
	exit "$rc"
}
trap failed ERR EXIT
step() { STEP=$1; STEP_LOG=${2:-}; log "$1"; }

# --- host: sysctls (saved first), bridge --------------------------------------------------
step "preparing the host"
mkdir -p "$CLUSTER_DIR" "$LOG_DIR" "$PID_DIR" "$RUN_DIR"
modprobe br_netfilter 2>/dev/null || true
modprobe overlay 2>/dev/null || true
snapshot_sysctls >"$SYSCTL_SAVE"
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || log "warning: br_netfilter unavailable; Service traffic between pods may not work"
ip link add "$BRIDGE" type bridge
ip addr add "$NODE_IP/16" dev "$BRIDGE"
ip link set "$BRIDGE" up

make_pki
write_configs

# --- registry and base images ---------------------------------------------------------------
step "starting the registry on $REGISTRY and $POD_REGISTRY" registry
start_proc registry "$WINDLASS_ROOT/bin/clustertool" registry --address "$REGISTRY,$POD_REGISTRY" --dir "$REGISTRY_DIR"
wait_for registry 20 curl -fsS "http://$REGISTRY/v2/"
step "pushing base images (pause, busybox, local-path-provisioner)"
tmp=$(mktemp -d)
make_rootfs shell "$tmp/shell"
"$WINDLASS_ROOT/bin/clustertool" image --file "$PAUSE_BIN:/pause" --entrypoint /pause --user 65535 --push "$REGISTRY/pause:3.10" >/dev/null
"$WINDLASS_ROOT/bin/clustertool" image --dir "$tmp/shell" --cmd sh --push "$REGISTRY/library/busybox:latest" >/dev/null
make_rootfs static "$tmp/static"
LOCAL_PATH_IMAGE=$("$WINDLASS_ROOT/bin/clustertool" image --dir "$tmp/shell" --file "$LOCAL_PATH_BIN:/local-path-provisioner" \
	--entrypoint /local-path-provisioner --push "$REGISTRY/local-path-provisioner:$LOCAL_PATH_VERSION")
rm -rf "$tmp"

# --- control plane --------------------------------------------------------------------------
step "starting etcd" etcd
start_proc etcd "$(command -v etcd)" --name "$NODE_NAME" --data-dir "$CLUSTER_DIR/etcd" \
	--listen-client-urls http://127.0.0.1:12379 --advertise-client-urls http://127.0.0.1:12379 \
	--listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 \
	--initial-cluster "$NODE_NAME=http://127.0.0.1:12380" --heartbeat-interval 10 --election-timeout 100
wait_for etcd 20 curl -fsS http://127.0.0.1:12379/health

step "starting kube-apiserver" kube-apiserver
start_proc kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
	--etcd-servers=http://127.0.0.1:12379 --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port=6443 \
	--service-cluster-ip-range="$SERVICE_CIDR" --tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key" \
	--client-ca-file="$PKI_DIR/ca.crt" --authorization-mode=Node,RBAC --allow-privileged=true \
	--kubelet-client-certificate="$PKI_DIR/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI_DIR/apiserver-kubelet-client.key" \
	--kubelet-certificate-authority="$PKI_DIR/ca.crt" --kubelet-preferred-address-types=InternalIP,Hostname \
	--service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$PKI_DIR/sa.pub" \
	--service-account-signing-key-file="$PKI_DIR/sa.key" \
	--requestheader-client-ca-file="$PKI_DIR/ca.crt" --requestheader-allowed-names=front-proxy-client \
	--requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
	--requestheader-extra-headers-prefix=X-Remote-Extra- \
	--proxy-client-cert-file="$PKI_DIR/front-proxy-client.crt" --proxy-client-key-file="$PKI_DIR/front-proxy-client.key" \
	--profiling=false --v=1
wait_for kube-apiserver 60 KUBECTL get --raw /readyz

step "starting kube-controller-manager and kube-scheduler" kube-controller-manager
start_proc kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
	--kubeconfig="$CLUSTER_DIR/kube-controller-manager.kubeconfig" \
	--authentication-kubeconfig="$CLUSTER_DIR/kube-controller-manager.kubeconfig" \
	--authorization-kubeconfig="$CLUSTER_DIR/kube-controller-manager.kubeconfig" \
	--bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false --use-service-account-credentials=true \
	--service-account-private-key-file="$PKI_DIR/sa.key" --root-ca-file="$PKI_DIR/ca.crt" \
	--cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key" \
	--kube-api-qps=200 --kube-api-burst=400 --profiling=false --v=1
start_proc kube-scheduler "$K8S_BIN_DIR/kube-scheduler" \
	--kubeconfig="$CLUSTER_DIR/kube-scheduler.kubeconfig" \
	--authentication-kubeconfig="$CLUSTER_DIR/kube-scheduler.kubeconfig" \
	--authorization-kubeconfig="$CLUSTER_DIR/kube-scheduler.kubeconfig" \
	--bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false --profiling=false --v=1

# --- node -----------------------------------------------------------------------------------
step "starting containerd" containerd
PATH="$RUNTIME_BIN_DIR:$PATH" start_proc containerd "$RUNTIME_BIN_DIR/containerd" --config "$CONF_DIR/containerd.toml"
wait_for containerd 30 test -S "$CONTAINERD_SOCK"
# The socket comes before the CRI service behind it; the kubelet checks that service once, at start.
wait_for containerd 30 "$WINDLASS_ROOT/bin/clustertool" cri-ready --endpoint "unix://$CONTAINERD_SOCK" ||
	die "containerd does not serve the CRI v1 API at $CONTAINERD_SOCK after 30s"

step "starting kubelet" kubelet
PATH="$RUNTIME_BIN_DIR:$PATH" start_proc kubelet "$K8S_BIN_DIR/kubelet" --config="$CONF_DIR/kubelet.yaml" \
	--kubeconfig="$CLUSTER_DIR/kubelet.kubeconfig" --root-dir="$CLUSTER_DIR/kubelet" \
	--hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1

step "starting kube-proxy" kube-proxy
start_proc kube-proxy "$K8S_BIN_DIR/kube-proxy" --config="$CONF_DIR/kube-proxy.yaml" --v=1

step "waiting for node $NODE_NAME to be Ready" kubelet
wait_for "node Ready" 90 KUBECTL wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s
ready_at=$(elapsed)

# --- cluster add-ons ------------------------------------------------------------------------
step "installing dynamic PVC provisioning (StorageClass local-path)" kubelet
mkdir -p "$STORAGE_DIR"
sed -e "s#__IMAGE__#$LOCAL_PATH_IMAGE#" -e "s#__STORAGE_DIR__#$STORAGE_DIR#" "$HERE/local-path.yaml" | KUBECTL apply -f - >/dev/null
wait_for "default service account" 30 KUBECTL -n default get serviceaccount default
KUBECTL -n local-path-storage rollout status deployment/local-path-provisioner --timeout=90s >/dev/null

trap - ERR EXIT
log "cluster up: node Ready ${ready_at}s after start, add-ons ready after $(elapsed)s (prerequisites took ${t_prereq}s)"
log "kubeconfig: $KUBECONFIG_PATH  (export KUBECONFIG=$KUBECONFIG_PATH)"
