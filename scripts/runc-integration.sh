#!/usr/bin/env bash
# Runs runc's own integration suite (bats) against any runc-compatible runtime binary, offline.
#
# Usage (as root):  scripts/runc-integration.sh SUITE_DIR RUNTIME [FILE.bats ...]
#   SUITE_DIR  an extracted runc source tree of the same version as the reference runc (Debian 12: v1.1.5),
#              kept OUTSIDE this repository, e.g. /work/yardsticks/runc-1.1.5
#   RUNTIME    the runtime binary to test, e.g. /usr/sbin/runc or artifacts/bin/berth
#   FILE.bats  optional: only these files of tests/integration (default: all)
# Environment:
#   YARD_OUT          where the per-file TAP logs go (default /tmp/yard-runc/<runtime name>)
#   YARD_FILE_TIMEOUT seconds allowed for one .bats file (default 300); YARD_TEST_TIMEOUT for one test (default 120)
#
# Needs: Debian packages bats, jq, gcc, util-linux (script, unshare), busybox-static, xz-utils, and the suite's Go test
# helpers contrib/cmd/{recvtty,sd-helper,seccompagent} built inside SUITE_DIR. If they are missing and a Go >= 1.21
# is at /usr/lib/go-1.23/bin (or on PATH) they are built from the suite's vendored sources, offline
# (GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local; seccompagent needs libseccomp-dev).
# The suite's image helper would download two root filesystems; instead this script writes them into
# SUITE_DIR/tests/integration/testdata before the run: busybox-<arch>.tar.xz from Debian's busybox-static (the way
# scripts/make-rootfs.sh builds a rootfs) and debian-<arch>.tar.xz, the same plus the host's static ldconfig (the only
# Debian piece hooks.bats uses). Nothing is fetched.
#
# Each .bats file runs in its own private mount namespace (unshare -m --propagation private) under `script` for a
# tty, bounded by a per-file timeout. When a file times out, each test it never reported is run alone (bats -f) with
# a per-test timeout and reported as hung if it hangs again. (bats' own BATS_TEST_TIMEOUT is not used: its watchdog is
# a child of the test shell, and the tests that call a bare `wait`, events.bats, would wait for it.) A file whose
# tests have all reported but whose bats does not exit within 20 s (a failed test left its own recvtty holding bats'
# output, as update.bats does when a runtime fails its "update devices" test) is stopped and noted, not counted hung.
# Terminal control sequences a runtime writes to the tty are stripped from the TAP logs.
# Containers, cgroups and temporary files left behind are removed after each file, so the script can be run again
# at once. It prints every file's counts and failing tests, then a last line
#   NAME: N passed, N failed, N skipped of T
set -uo pipefail

usage() { echo "usage: $0 SUITE_DIR RUNTIME [FILE.bats ...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
suite=$(readlink -f "$1") || usage
runtime=$(readlink -f "$2") || usage
shift 2
[ -f "$suite/tests/integration/helpers.bash" ] || { echo "$suite is not a runc source tree" >&2; exit 2; }
[ -x "$runtime" ] || { echo "$runtime is not executable" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 2; }
for tool in bats jq gcc script unshare timeout xz; do
  command -v "$tool" >/dev/null || { echo "missing $tool (Debian packages: bats jq gcc util-linux coreutils xz-utils)" >&2; exit 2; }
done

name=$(basename "$runtime")
out=${YARD_OUT:-/tmp/yard-runc/$name}
test_timeout=${YARD_TEST_TIMEOUT:-120}
file_timeout=${YARD_FILE_TIMEOUT:-300}
linger=20
integ=$suite/tests/integration
here=$(cd "$(dirname "$0")" && pwd)

# A scratch folder for bats' temporary files and a PATH where `go env GOARCH` answers (the image helper asks it).
scratch=$(mktemp -d /tmp/yard-runc-run.XXXXXX)
mkdir -p "$scratch/bin" "$scratch/tmp" "$out"
# tests run processes as other users (uid 42, 1000, a user namespace's root) that must reach the bundle
chmod 755 "$scratch" "$scratch/tmp"
if [ -x /usr/lib/go-1.23/bin/go ]; then
  export PATH=/usr/lib/go-1.23/bin:$PATH
elif ! command -v go >/dev/null; then
  printf '#!/bin/sh\n[ "$1 $2" = "env GOARCH" ] && { echo amd64; exit 0; }\nexit 1\n' > "$scratch/bin/go"
  chmod +x "$scratch/bin/go"
  export PATH=$scratch/bin:$PATH
fi

# Go test helpers.
for helper in recvtty sd-helper seccompagent; do
  [ -x "$suite/contrib/cmd/$helper/$helper" ] && continue
  command -v go >/dev/null && [ -x "$(command -v go)" ] && go version >/dev/null 2>&1 || {
    echo "missing $suite/contrib/cmd/$helper/$helper and no Go to build it" >&2; exit 2; }
  echo "building $helper"
  (cd "$suite" && GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local \
     go build -trimpath -buildmode=pie -tags seccomp -o "contrib/cmd/$helper/$helper" "./contrib/cmd/$helper") || exit 2
done

# Offline images where get-images.sh looks for them.
arch=amd64
case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
make_image() { # DEST [debian]
  local dest=$1 tmp
  [ -s "$dest" ] && return 0
  tmp=$(mktemp -d "$scratch/img.XXXXXX") && chmod 755 "$tmp"
  "$here/make-rootfs.sh" "$tmp" || exit 2
  echo "nobody:x:65534:" >> "$tmp/etc/group"
  # like the image the suite was written for: no /proc or /sys folder (mask.bats puts symlinks there)
  rmdir "$tmp/proc" "$tmp/sys"
  if [ "${2:-}" = debian ]; then
    # hooks.bats runs ldconfig in the container: the host's (static) ldconfig, its config and library folders
    mkdir -p "$tmp/sbin" "$tmp/lib" "$tmp/usr/lib" "$tmp/etc/ld.so.conf.d"
    cp -L /sbin/ldconfig "$tmp/sbin/ldconfig"
    echo "include /etc/ld.so.conf.d/*.conf" > "$tmp/etc/ld.so.conf"
  fi
  tar -C "$tmp" -cJf "$dest.tmp" . && mv "$dest.tmp" "$dest"
  rm -rf "$tmp"
}
recipe=3 # bump when the images' recipe changes: older ones are rebuilt
if [ "$(cat "$integ/testdata/.yard-images" 2>/dev/null)" != "$recipe" ]; then
  rm -f "$integ/testdata/busybox-$arch.tar.xz" "$integ/testdata/debian-$arch.tar.xz"
fi
make_image "$integ/testdata/busybox-$arch.tar.xz"
make_image "$integ/testdata/debian-$arch.tar.xz" debian
echo "$recipe" > "$integ/testdata/.yard-images"

# Removes what a file left behind: containers in any state root under the scratch folder, processes still running
# with the scratch folder in their command line (a hung runtime, recvtty), the suite's cgroups (thawed first, their
# processes killed: a runtime that joined a frozen cgroup is stuck until it is thawed).
cleanup_leftovers() {
  local state ct p cg
  for state in "$scratch"/tmp/bats-run-*/runc.*/state; do
    [ -d "$state" ] || continue
    for ct in $(timeout 20 "$runtime" --root "$state" list -q 2>/dev/null); do
      timeout 20 "$runtime" --root "$state" delete -f "$ct" >/dev/null 2>&1
    done
  done
  for cg in $(find /sys/fs/cgroup -type d -name 'runc-cgroups-integration-test*' 2>/dev/null); do
    find "$cg" -name freezer.state -exec sh -c 'echo THAWED > "$1"' _ {} \; 2>/dev/null
    find "$cg" -name cgroup.freeze -exec sh -c 'echo 0 > "$1"' _ {} \; 2>/dev/null
    for p in $(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  done
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = $$ ] && continue
    tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -qF -- "$scratch/" && kill -9 "${p#/proc/}" 2>/dev/null
  done
  sleep 0.2
  for cg in $(find /sys/fs/cgroup -type d -name 'runc-cgroups-integration-test*' 2>/dev/null); do
    find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf "${scratch:?}"/tmp/* 2>/dev/null
}

if [ $# -gt 0 ]; then
  files=()
  for f in "$@"; do files+=("$integ/$(basename "$f")"); done
else
  files=("$integ"/*.bats)
fi

# plain text: no carriage returns, no terminal control sequences (a runtime may write some to the tty)
plain() { sed -E $'s/\r//g; s/\x1b\\[[0-9;?]*[a-zA-Z]//g; s/\x1b[=>]//g' "$1"; }

# run_bats LOG TIMEOUT FILE [FILTER]: one bats run in a private mount namespace with a tty, TAP to LOG.
# Returns 124 when it timed out, 125 when every planned test was reported but bats did not exit within $linger s
# (a process a failed test left behind, e.g. its own recvtty, still holds bats' output).
run_bats() {
  local log=$1 limit=$2 file=$3 filter=${4:-} rc pid planned got since="" lingered=0
  mkdir -p "$scratch/tmp" && chmod 755 "$scratch/tmp"
  pushd "$suite" >/dev/null || return 2
  TMPDIR=$scratch/tmp RUNC=$runtime YARD_FILTER=$filter \
    timeout -k 10 "$limit" unshare -m --propagation private \
      script -qec 'exec bats -t ${YARD_FILTER:+-f "$YARD_FILTER"} "tests/integration/'"$file"'"' /dev/null \
    < /dev/null > "$log" 2>&1 &
  pid=$!
  popd >/dev/null || return 2
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    planned=$(plain "$log" | sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' | head -1)
    got=$(plain "$log" | grep -cE '^(not )?ok [0-9]+ ')
    if [ -n "$planned" ] && [ "$planned" -gt 0 ] && [ "$got" -ge "$planned" ]; then
      [ -z "$since" ] && since=$SECONDS
      if [ $((SECONDS - since)) -ge "$linger" ]; then lingered=1; kill -TERM "$pid" 2>/dev/null; break; fi
    fi
  done
  wait "$pid"
  rc=$?
  [ $lingered -eq 1 ] && rc=125
  plain "$log" > "$log.tmp" && mv "$log.tmp" "$log"
  cleanup_leftovers
  return $rc
}
timed_out() { [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; }
result_names() { sed -nE 's/^(not )?ok [0-9]+ (.*)$/\2/p' "$1" | sed -E 's/ # (skip|timeout).*$//'; }

total_pass=0 total_fail=0 total_skip=0 total=0
hangs=()
echo "# runc integration suite $(cat "$suite/VERSION" 2>/dev/null) against $runtime ($("$runtime" --version 2>/dev/null | head -1))"
echo "# $(date -u +%Y-%m-%dT%H:%MZ); TAP logs in $out"
for f in "${files[@]}"; do
  base=$(basename "$f" .bats)
  log=$out/$base.tap
  start=$(date +%s)
  run_bats "$log" "$file_timeout" "$base.bats"
  rc=$?
  planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$log" | head -1)
  note=""
  [ $rc -eq 125 ] && note=" (all tests reported, but bats did not exit: stopped after ${linger}s; a left-over process held its output)"
  if timed_out $rc; then
    # The file hung. Run every test it never reported on its own, each with its own timeout.
    note=" (file timed out after ${file_timeout}s; unreported tests run alone)"
    reported=$(result_names "$log")
    n=$(grep -cE '^(not )?ok [0-9]+ ' "$log")
    while IFS= read -r tname; do
      [ -n "$tname" ] || continue
      grep -qxF -- "$tname" <<<"$reported" && continue
      n=$((n + 1))
      one=$out/$base.alone.$n.tap
      pattern="^$(printf '%s' "$tname" | sed 's/[][\.*^$(){}+?|/]/\\&/g')\$"
      run_bats "$one" "$test_timeout" "$base.bats" "$pattern"
      orc=$?
      line=$(grep -m1 -E '^(not )?ok 1 ' "$one")
      if timed_out $orc || [ -z "$line" ]; then
        echo "not ok $n $tname # hung: no result within ${test_timeout}s when run alone" >> "$log"
        hangs+=("$base.bats: $tname")
      else
        echo "${line/ok 1 /ok $n } # (run alone)" | sed -E 's/^not ok [0-9]+/not ok '"$n"'/; s/^ok [0-9]+/ok '"$n"'/' >> "$log"
        grep -E '^#' "$one" >> "$log"
      fi
    done < <(sed -nE 's/^@test "(.*)" \{$/\1/p' "$f")
  fi
  pass=$(grep -E '^ok [0-9]+ ' "$log" | grep -vc ' # skip')
  skip=$(grep -cE '^ok [0-9]+ .* # skip' "$log")
  fail=$(grep -cE '^not ok [0-9]+ ' "$log")
  ran=$((pass + skip + fail))
  planned=${planned:-$ran}
  missing=$((planned - ran))
  [ $missing -lt 0 ] && missing=0
  [ $missing -gt 0 ] && note="$note ($missing tests never reported, counted failed)"
  fail=$((fail + missing))
  printf '%-28s %3d passed, %3d failed, %3d skipped of %3d  [%ss]%s\n' "$base.bats" "$pass" "$fail" "$skip" "$planned" "$(( $(date +%s) - start ))" "$note"
  grep -E '^not ok [0-9]+ ' "$log" | sed 's/^/    /'
  total_pass=$((total_pass + pass)); total_fail=$((total_fail + fail)); total_skip=$((total_skip + skip))
  total=$((total + planned))
done
rm -rf "$scratch"
if [ ${#hangs[@]} -gt 0 ]; then
  echo "# hung tests:"; printf '#   %s\n' "${hangs[@]}"
fi
echo "$name: $total_pass passed, $total_fail failed, $total_skip skipped of $total"
