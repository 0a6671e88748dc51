#!/usr/bin/env bash
# Builds the reference runtimes that benchmarks/process compares berth with — crun 1.27.1 and runc 1.3.6 — from
# source snapshots, outside the repository.
#
# Usage: scripts/build-reference-runtimes.sh [--install-deps] SRC_DIR OUT_DIR
#
#   SRC_DIR  holds bare git directories of the snapshots, each as OWNER+NAME/repo or OWNER+NAME (the layout the
#            session's fetch tool writes to /work/.mirror):
#              containers+crun, containers+libocispec, containers+yajl,
#              opencontainers+runtime-spec, opencontainers+image-spec, opencontainers+runc
#   OUT_DIR  receives src/ (the extracted trees) and bin/crun-1.27.1, bin/runc-1.3.6
#   --install-deps  installs the build dependencies with apt first (crun's autotools and libraries; Go 1.23 from the
#            release's backports suite, whose apt entry is added for the install only and removed afterwards).
#
# What it does, per tree (no network besides apt; nothing is written into the repository):
#   git --git-dir=SRC_DIR/containers+crun/repo archive 1.27.1 | tar -x -C OUT_DIR/src/crun-1.27.1
#   the libocispec commit crun 1.27.1 pins (git ls-tree 1.27.1 libocispec) into crun-1.27.1/libocispec, and the
#   runtime-spec, image-spec and yajl commits libocispec pins into its subdirectories. yajl's pinned commit is
#   missing from the snapshot: its newest commit serves (the build links the system libyajl; yajl's tree only has to
#   exist for autoreconf). Then `autoreconf -fi && ./configure --disable-criu && make`.
#   git --git-dir=SRC_DIR/opencontainers+runc/repo archive v1.3.6 | tar -x -C OUT_DIR/src/runc-1.3.6, then
#   `GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local make runc` with Go 1.23 (runc 1.3 needs Go >= 1.23).
# The "fatal: not a git repository" lines in the output are the builds asking git for a commit: harmless.
# Both builds run under `nice -n 19`: the machine is shared.
set -euo pipefail

CRUN_TAG=1.27.1
RUNC_TAG=v1.3.6
GO_PACKAGE=golang-1.23-go
GO_BIN=/usr/lib/go-1.23/bin
BACKPORTS_ENTRY=/etc/apt/sources.list.d/berth-reference-runtimes-backports.sources

install_deps=0
if [ "${1:-}" = "--install-deps" ]; then
  install_deps=1
  shift
fi
if [ $# -ne 2 ]; then
  echo "usage: $0 [--install-deps] SRC_DIR OUT_DIR" >&2
  exit 2
fi
src_dir=$(realpath "$1")
out_dir=$(realpath -m "$2")
repo_dir=$(realpath "$(dirname "$0")/..")
case "$out_dir/" in
  "$repo_dir"/*) echo "OUT_DIR must be outside the repository ($repo_dir)" >&2; exit 2 ;;
esac

# The bare git directory of OWNER+NAME in SRC_DIR.
git_dir() {
  local candidate
  for candidate in "$src_dir/$1/repo" "$src_dir/$1"; do
    if git --git-dir="$candidate" rev-parse --git-dir >/dev/null 2>&1; then
      echo "$candidate"
      return
    fi
  done
  echo "SRC_DIR has no snapshot of $1 (looked for $src_dir/$1/repo and $src_dir/$1)" >&2
  exit 1
}

# extract OWNER+NAME COMMIT DEST: the tree of COMMIT, written to DEST (which must not exist yet or be empty).
extract() {
  local dir
  dir=$(git_dir "$1")
  mkdir -p "$3"
  git --git-dir="$dir" archive --format=tar "$2" | tar -x -C "$3"
}

# pinned OWNER+NAME COMMIT PATH: the commit of the submodule at PATH in COMMIT.
pinned() {
  git --git-dir="$(git_dir "$1")" ls-tree "$2" "$3" | awk '$2 == "commit" { print $3 }'
}

# The URI (and the Signed-By keyring, when there is one) of the configured apt source for the release itself, from a
# deb822 .sources or a one-line .list file, so that the backports entry uses the same mirror without this script
# naming any host.
release_mirror() {
  local codename=$1 file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v suite="$codename" '
      function found() { if (uri != "" && match_suite) { print uri, key; exit } }
      /^[ \t]*$/ { found(); uri = ""; key = ""; match_suite = 0 }
      /^URIs:/ { uri = $2 }
      /^Signed-By:/ { key = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) match_suite = 1 }
      END { found() }' "$file"
  done | head -1
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk -v suite="$codename" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $(i+1) == suite) { print $i; exit } }' "$file"
  done | head -1
}

install_build_deps() {
  local codename mirror key
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq autoconf automake libtool pkg-config make gcc python3 \
    libsystemd-dev libcap-dev libseccomp-dev libyajl-dev go-md2man >/dev/null
  [ -x "$GO_BIN/go" ] && return
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  read -r mirror key < <(release_mirror "$codename" | head -1) || true
  if [ -z "$mirror" ]; then
    echo "no apt source for $codename found in /etc/apt: cannot add $codename-backports for $GO_PACKAGE" >&2
    exit 1
  fi
  trap 'rm -f "$BACKPORTS_ENTRY"' EXIT
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\n' "$mirror" "$codename"
    if [ -n "$key" ]; then echo "Signed-By: $key"; fi
  } >"$BACKPORTS_ENTRY"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t "$codename-backports" "$GO_PACKAGE" >/dev/null
  rm -f "$BACKPORTS_ENTRY"
  trap - EXIT
  apt-get update -qq
}

build_crun() {
  local tree=$out_dir/src/crun-$CRUN_TAG libocispec yajl
  rm -rf "$tree" "$out_dir/bin/crun-$CRUN_TAG"
  extract containers+crun "$CRUN_TAG" "$tree"
  libocispec=$(pinned containers+crun "$CRUN_TAG" libocispec)
  extract containers+libocispec "$libocispec" "$tree/libocispec"
  extract opencontainers+runtime-spec "$(pinned containers+libocispec "$libocispec" runtime-spec)" "$tree/libocispec/runtime-spec"
  extract opencontainers+image-spec "$(pinned containers+libocispec "$libocispec" image-spec)" "$tree/libocispec/image-spec"
  yajl=$(pinned containers+libocispec "$libocispec" yajl)
  if ! git --git-dir="$(git_dir containers+yajl)" cat-file -e "$yajl^{commit}" 2>/dev/null; then
    echo "yajl's pinned commit $yajl is not in the snapshot: using its newest commit (the build links the system libyajl)"
    yajl=HEAD
  fi
  extract containers+yajl "$yajl" "$tree/libocispec/yajl"
  # Without .git, the version and commit come from the files a release tarball carries.
  echo "$CRUN_TAG" >"$tree/.tarball-version"
  printf '/* autogenerated.  */\n#ifndef GIT_VERSION\n# define GIT_VERSION "%s"\n#endif\n' \
    "$(git --git-dir="$(git_dir containers+crun)" rev-parse "$CRUN_TAG^{commit}")" >"$tree/.tarball-git-version.h"
  (
    cd "$tree"
    mkdir -p m4 libocispec/m4
    nice -n 19 autoreconf -fi
    nice -n 19 ./configure --disable-criu >configure.log
    nice -n 19 make -j"$(nproc)" >make.log
  )
  install -m 0755 "$tree/crun" "$out_dir/bin/crun-$CRUN_TAG"
}

build_runc() {
  local tree=$out_dir/src/runc-${RUNC_TAG#v}
  rm -rf "$tree" "$out_dir/bin/runc-${RUNC_TAG#v}"
  extract opencontainers+runc "$RUNC_TAG" "$tree"
  if [ ! -x "$GO_BIN/go" ]; then
    echo "runc $RUNC_TAG needs Go >= 1.23 at $GO_BIN (run with --install-deps)" >&2
    exit 1
  fi
  (
    cd "$tree"
    # COMMIT is given because the tree has no .git for `git describe`.
    PATH=$GO_BIN:$PATH GOCACHE=$out_dir/go-cache GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local \
      nice -n 19 make runc COMMIT="$RUNC_TAG" >make.log
  )
  install -m 0755 "$tree/runc" "$out_dir/bin/runc-${RUNC_TAG#v}"
}

[ "$install_deps" = 1 ] && install_build_deps
mkdir -p "$out_dir/src" "$out_dir/bin"
# One build failing does not stop the other; each stops at its first error (errexit holds inside the subshell, which
# is why it is not written as a condition).
failed=()
for runtime in crun runc; do
  set +e
  (set -e; "build_$runtime")
  status=$?
  set -e
  if [ "$status" -ne 0 ]; then
    failed+=("$runtime (its logs: $out_dir/src/$runtime-*/*.log)")
  fi
done
for binary in "$out_dir/bin/crun-$CRUN_TAG" "$out_dir/bin/runc-${RUNC_TAG#v}"; do
  [ -x "$binary" ] && echo "built: $binary ($("$binary" --version | head -1))"
done
if [ ${#failed[@]} -gt 0 ]; then
  printf 'failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
