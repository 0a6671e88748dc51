#!/usr/bin/env bash
# Installs what berth needs on a fresh Debian machine: a C compiler for the native helper and Native AOT's link
# (static: glibc's and OpenSSL's archives, cmake for .NET's crypto shim),
# busybox-static for test and example root filesystems, containerd (with its runc shim) for the CRI end-to-end test.
# Runs apt only when something is missing.
set -euo pipefail
need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -e /usr/include/stdio.h ] || need+=(libc6-dev)
# berth is linked statically (runtime/Berth.Cli/Berth.Cli.csproj), OpenSSL included: libssl-dev's libssl.a and
# libcrypto.a, and cmake (with make), with which the build compiles .NET's crypto shim against them.
for pkg in cmake make libssl-dev; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
[ -x /bin/busybox ] && file_ok=1 || file_ok=0
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
# The client tests: podman rootful and rootless (newuidmap from uidmap), containerd's ctr and its CRI plugin
# (tests/Berth.Runtime.Tests/Clients, tests/Berth.Cri.Tests).
for pkg in podman uidmap containerd; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
# The image tests (tests/Berth.Images.Tests) build OCI layouts offline with umoci and skopeo, and signature vectors
# with openssl.
for pkg in umoci skopeo openssl; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "berth needs these packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
