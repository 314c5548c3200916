#!/usr/bin/env bash
# Root filesystems for the images we build from Debian packages. Source it after lib.sh.

# make_rootfs KIND DIR: KIND "static" = CA certificates, passwd/group with a
# nonroot user (65532), /tmp; KIND "shell" = static + busybox-static and its applets.
make_rootfs() {
	local kind=$1 dir=$2
	apt_install ca-certificates busybox-static
	mkdir -p "$dir/etc/ssl/certs" "$dir/tmp" "$dir/home/nonroot" "$dir/root"
	chmod 1777 "$dir/tmp"
	cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
	cat >"$dir/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
nonroot:x:65532:65532:nonroot:/home/nonroot:/bin/sh
PW
	cat >"$dir/etc/group" <<GR
root:x:0:
nogroup:x:65534:
nonroot:x:65532:
GR
	echo "hosts: files dns" >"$dir/etc/nsswitch.conf"
	if [ "$kind" = shell ]; then
		mkdir -p "$dir/bin"
		cp /bin/busybox "$dir/bin/busybox"
		local applet
		for applet in $(/bin/busybox --list); do
			[ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
		done
	fi
}
