#!/usr/bin/env bash
# The main job: build everything (solution + Native AOT berth), then run a real container compiled from the example
# YAML files: specs/examples/author.yaml (the author's busybox web server) + specs/examples/host.yaml (the host's
# overrides). Needs root (containers, cgroups).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
dotnet build Compiler.sln -c Release --nologo -v quiet
scripts/publish.sh
berth=$PWD/artifacts/bin/berth
root=$PWD/artifacts/example/state
bundle=$PWD/artifacts/example/bundle
id=berth-example

# A bundle: a busybox rootfs, the author's YAML as its config, the site's content beside it.
"$berth" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
rm -rf "$bundle" && mkdir -p "$bundle/www"
scripts/make-rootfs.sh "$bundle/rootfs"
mkdir -p "$bundle/rootfs/www"
cp specs/examples/author.yaml "$bundle/config.yaml"
echo "<h1>hello from a berth container</h1>" > "$bundle/www/index.html"

echo "== what the host file changes (berth compile --diff)"
"$berth" compile "$bundle/config.yaml" --host specs/examples/host.yaml --diff
echo "== berth run --detach (author.yaml + host.yaml)"
BERTH_HOST_DIR=/nonexistent "$berth" --root "$root" run --detach --bundle "$bundle" --host specs/examples/host.yaml "$id"
"$berth" --root "$root" state "$id"
echo "== the container's web server, fetched from the host"
for i in $(seq 50); do busybox wget -qO- http://127.0.0.1:8080/ 2>/dev/null && break; sleep 0.1; done
echo "== berth diff $id"
"$berth" --root "$root" diff "$id"
"$berth" --root "$root" delete --force "$id"
echo "== done: the container is gone"
