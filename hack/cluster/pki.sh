#!/usr/bin/env bash
# PKI and kubeconfigs for the local cluster, made once with openssl and kept
# across cluster restarts. Source it after common.sh; call make_pki.

# sign NAME SUBJECT [SANS] [EXT]: a P-256 key and a certificate signed by the cluster CA.
sign() {
	local name=$1 subj=$2 sans=${3:-} usage=${4:-clientAuth}
	[ -s "$PKI_DIR/$name.crt" ] && return 0
	openssl ecparam -name prime256v1 -genkey -noout -out "$PKI_DIR/$name.key" 2>/dev/null
	local ext="$PKI_DIR/$name.ext"
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$usage"
		[ -n "$sans" ] && echo "subjectAltName=$sans"
	} >"$ext"
	openssl req -new -key "$PKI_DIR/$name.key" -subj "$subj" 2>/dev/null |
		openssl x509 -req -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" -CAcreateserial \
			-days 3650 -extfile "$ext" -out "$PKI_DIR/$name.crt" 2>/dev/null
	rm -f "$ext"
}

# kubeconfig NAME USER: a kubeconfig with the certificates embedded, so it can be copied.
kubeconfig() {
	local name=$1 user=$2 out="$CLUSTER_DIR/$1.kubeconfig"
	cat >"$out" <<KC
apiVersion: v1
kind: Config
clusters:
- name: windlass-local
  cluster:
    server: https://$NODE_IP:6443
    certificate-authority-data: $(base64 -w0 <"$PKI_DIR/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$PKI_DIR/$name.crt")
    client-key-data: $(base64 -w0 <"$PKI_DIR/$name.key")
contexts:
- name: windlass-local
  context: {cluster: windlass-local, user: $user}
current-context: windlass-local
KC
	chmod 600 "$out"
}

make_pki() {
	mkdir -p "$PKI_DIR"
	chmod 700 "$PKI_DIR"
	if [ ! -s "$PKI_DIR/ca.crt" ]; then
		openssl ecparam -name prime256v1 -genkey -noout -out "$PKI_DIR/ca.key" 2>/dev/null
		openssl req -x509 -new -key "$PKI_DIR/ca.key" -subj "/CN=windlass-local-ca" -days 3650 \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
			-out "$PKI_DIR/ca.crt" 2>/dev/null
	fi
	sign apiserver "/CN=kube-apiserver" \
		"DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$SERVICE_API_IP" serverAuth
	sign admin "/O=system:masters/CN=windlass-admin"
	sign kube-controller-manager "/CN=system:kube-controller-manager"
	sign kube-scheduler "/CN=system:kube-scheduler"
	sign kube-proxy "/CN=system:kube-proxy"
	sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
	sign kubelet-serving "/CN=$NODE_NAME" "DNS:$NODE_NAME,IP:$NODE_IP" serverAuth
	sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
	sign front-proxy-client "/CN=front-proxy-client"
	if [ ! -s "$PKI_DIR/sa.key" ]; then
		openssl ecparam -name prime256v1 -genkey -noout -out "$PKI_DIR/sa.key" 2>/dev/null
		openssl ec -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub" 2>/dev/null
	fi
	for n in admin kube-controller-manager kube-scheduler kube-proxy kubelet; do
		kubeconfig "$n" "$n"
	done
}
