#!/usr/bin/env bash
# Configuration files for containerd, the CNI bridge, the kubelet and kube-proxy.
# Source it after common.sh; call write_configs.

write_configs() {
	mkdir -p "$CONF_DIR" "$CNI_CONF_DIR" "$CLUSTER_DIR/containerd" "$RUN_DIR/containerd"

	# Registry mirrors: docker.io, registry.k8s.io, the public registries the Tekton examples name
	# (test/compat/standins.txt), 127.0.0.1:5000 and the bridge address all resolve to the local registry.
	local host
	for host in docker.io registry.k8s.io mirror.gcr.io ghcr.io gcr.io quay.io cgr.dev "$REGISTRY" "$POD_REGISTRY"; do
		mkdir -p "$CONF_DIR/certs.d/$host"
		cat >"$CONF_DIR/certs.d/$host/hosts.toml" <<TOML
server = "http://$REGISTRY"

[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve", "push"]
  skip_verify = true
TOML
	done

	cat >"$CONF_DIR/containerd.toml" <<TOML
version = 3
root = "$CLUSTER_DIR/containerd"
state = "$RUN_DIR/containerd"

[grpc]
  address = "$CONTAINERD_SOCK"

[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"

  [plugins."io.containerd.cri.v1.runtime"]
    # root here lacks CAP_SYS_RESOURCE: without this every pause container fails.
    restrict_oom_score_adj = true
    enable_unprivileged_ports = true
    enable_unprivileged_icmp = true
    # Network namespaces live under our state dir, so teardown finds every one.
    netns_mounts_under_state_dir = true
    [plugins."io.containerd.cri.v1.runtime".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        runtime_path = "$RUNTIME_BIN_DIR/containerd-shim-runc-v2"
        [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
          BinaryName = "$RUNTIME_BIN_DIR/runc"
          Root = "$RUN_DIR/runc"
          SystemdCgroup = false
    [plugins."io.containerd.cri.v1.runtime".cni]
      bin_dirs = ["/usr/lib/cni"]
      conf_dir = "$CNI_CONF_DIR"

  [plugins."io.containerd.cri.v1.images"]
    snapshotter = "overlayfs"
    [plugins."io.containerd.cri.v1.images".pinned_images]
      sandbox = "$PAUSE_IMAGE"
    [plugins."io.containerd.cri.v1.images".registry]
      config_path = "$CONF_DIR/certs.d"

  [plugins."io.containerd.nri.v1.nri"]
    disable = true
TOML

	cat >"$CNI_CONF_DIR/10-windlass.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CLUSTER_DIR/cni-ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "10.88.0.10", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON

	cat >"$CONF_DIR/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI_DIR/kubelet-serving.crt
tlsPrivateKeyFile: $PKI_DIR/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI_DIR/ca.crt}
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
podLogsDir: $CLUSTER_DIR/pod-logs
resolvConf: /etc/resolv.conf
maxPods: 250
YAML

	cat >"$CONF_DIR/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $CLUSTER_DIR/kube-proxy.kubeconfig
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
iptables:
  localhostNodePorts: false
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
YAML
}
