#!/usr/bin/env bash
# teardown: stops what up.sh started and removes every trace of it from the host:
# processes (only recorded PIDs, checked against their executable), pod sandboxes,
# shims and containers, mounts, network namespaces, veths, the bridge, iptables
# chains, the CNI config, and changed sysctls. Safe to run on a half-started or
# killed cluster, and when nothing runs. Source common.sh first.

# iptables_sweep IPT: removes KUBE-* chains and the CNI chains of our network.
iptables_sweep() {
	local ipt=$1 table rules chains line
	command -v "$ipt-save" >/dev/null || return 0
	for table in filter nat mangle raw; do
		rules=$("$ipt-save" -t "$table" 2>/dev/null) || continue
		# Our CNI chains are the targets of rules carrying our network's name.
		chains=$(grep -E "^-A .*$CNI_NETWORK.* -j CNI-" <<<"$rules" | sed -E 's/.* -j (CNI-[^ ]+).*/\1/' | sort -u)
		chains+=$'\n'$(grep -oE '^:KUBE-[^ ]+' <<<"$rules" | cut -c2-)
		# Delete the jumps into those chains from chains we do not remove.
		grep -E '^-A ' <<<"$rules" | while read -r line; do
			local src=${line#-A }
			src=${src%% *}
			grep -qxF -- "$src" <<<"$chains" && continue
			local tgt
			tgt=$(sed -nE 's/.* -j ([^ ]+).*/\1/p' <<<"$line")
			if grep -qxF -- "$tgt" <<<"$chains" || [[ $line == *"$CNI_NETWORK"* ]]; then
				eval "$ipt -w -t $table -D ${line#-A }" 2>/dev/null || true
			fi
		done
		for c in $chains; do "$ipt" -w -t "$table" -F "$c" 2>/dev/null || true; done
		for c in $chains; do "$ipt" -w -t "$table" -X "$c" 2>/dev/null || true; done
	done
}

# unmount_ours: unmounts everything under the cluster's directories, deepest first.
unmount_ours() {
	local m
	for _ in 1 2 3; do
		local mounts
		mounts=$(awk '{print $5}' /proc/self/mountinfo | grep -E "^($CLUSTER_DIR|$RUN_DIR)/" | sort -r) || true
		[ -n "$mounts" ] || return 0
		while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done <<<"$mounts"
	done
}

# teardown runs in a subshell without errexit: every step is attempted even when an
# earlier one fails (a grep that matches nothing, a chain already gone).
teardown() (
	set +e +o pipefail
	# 1. kubelet first, so nothing restarts what we remove.
	stop_proc kubelet 5
	# 2. Pod sandboxes through the CRI: the runtime tears down containers, netns and CNI.
	if alive containerd >/dev/null && [ -S "$CONTAINERD_SOCK" ] && [ -x "$WINDLASS_ROOT/bin/clustertool" ]; then
		"$WINDLASS_ROOT/bin/clustertool" cri-clean --endpoint "unix://$CONTAINERD_SOCK" --timeout 60s >/dev/null 2>&1 ||
			log "warning: some pod sandboxes could not be removed through the CRI; removing them directly"
	fi
	stop_proc kube-proxy 2
	stop_proc containerd 5
	# 3. Shims and containers that outlived containerd (killed run). Our shims are the
	#    processes running our shim binary for our containerd's socket; then runc
	#    removes the containers recorded under our runc root.
	local shim="$RUNTIME_BIN_DIR/containerd-shim-runc-v2" p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		[ "${exe% (deleted)}" = "$shim" ] || continue
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "-address $CONTAINERD_SOCK " && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	if [ -x "$RUNTIME_BIN_DIR/runc" ]; then
		local root id
		for root in "$RUN_DIR"/runc/*; do
			[ -d "$root" ] || continue
			for id in $("$RUNTIME_BIN_DIR/runc" --root "$root" list -q 2>/dev/null); do
				"$RUNTIME_BIN_DIR/runc" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
			done
		done
	fi
	# 4. The git server (hack/gitserver, listens on the bridge), the control plane and the registry.
	if [ -x "$WINDLASS_ROOT/hack/gitserver/down.sh" ]; then
		"$WINDLASS_ROOT/hack/gitserver/down.sh" || log "warning: stopping the git server failed"
	fi
	stop_proc kube-scheduler 2
	stop_proc kube-controller-manager 2
	stop_proc kube-apiserver 3
	stop_proc etcd 3
	stop_proc registry 2
	# 5. Mounts (pod volumes, overlays, shm, netns), then network devices and rules.
	unmount_ours
	local veth
	for veth in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
		ip link delete "$veth" 2>/dev/null || true
	done
	ip link delete "$BRIDGE" 2>/dev/null || true
	if [ -x "$K8S_BIN_DIR/kube-proxy" ] && [ -e "$SYSCTL_SAVE" ]; then
		"$K8S_BIN_DIR/kube-proxy" --cleanup >/dev/null 2>&1 || true
	fi
	iptables_sweep iptables
	iptables_sweep ip6tables
	# 6. Sysctls back to what they were before the first start.
	if [ -s "$SYSCTL_SAVE" ]; then
		local kv
		while read -r kv; do
			sysctl -qw "$kv" >/dev/null 2>&1 || log "warning: could not restore $kv"
		done <"$SYSCTL_SAVE"
	fi
	rm -f "$SYSCTL_SAVE"
	# 7. Run-time state. Kept: PKI, configs, logs, containerd's image store.
	if grep -qsE " ($CLUSTER_DIR|$RUN_DIR)/" /proc/self/mountinfo; then
		log "warning: mounts remain under $CLUSTER_DIR or $RUN_DIR; not deleting state"
		return 1
	fi
	rm -rf --one-file-system "$CNI_CONF_DIR" "$CLUSTER_DIR/etcd" "$CLUSTER_DIR/kubelet" "$CLUSTER_DIR/pod-logs" \
		"$CLUSTER_DIR/cni-ipam" "$STORAGE_DIR" "$RUN_DIR" "$PID_DIR"
)
