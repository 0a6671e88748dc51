#!/usr/bin/env bash
# Builds a busybox root filesystem: DIR/bin/busybox plus one symlink per applet, and the usual top-level folders.
set -euo pipefail
dir=${1:?usage: make-rootfs.sh DIR}
bb=$(command -v busybox || echo /bin/busybox)
mkdir -p "$dir"/{bin,dev,proc,sys,tmp,etc,root,var,run,usr/bin,usr/sbin,sbin}
cp "$bb" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
  [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
done
chmod 1777 "$dir/tmp"
echo "root:x:0:0:root:/root:/bin/sh" > "$dir/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >> "$dir/etc/passwd"
echo "root:x:0:" > "$dir/etc/group"
