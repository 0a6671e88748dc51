#!/usr/bin/env bash
# Runs the OCI conformance suite (opencontainers/runtime-tools, its validation/*/*.t programs) against a runtime.
#
# Usage (as root):  scripts/runtime-tools.sh SUITE_DIR RUNTIME [PROGRAM ...]
#   SUITE_DIR  an extracted runtime-tools source tree, kept OUTSIDE this repository, e.g. /work/yardsticks/runtime-tools,
#              with its programs built there:
#                cd SUITE_DIR && PATH=/usr/lib/go-1.23/bin:$PATH GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local \
#                  make runtimetest validation-executables
#              (Go >= 1.21; Debian 12 has it as golang-1.23-go in bookworm-backports). If runtimetest or the .t programs
#              are missing and that Go is there, this script runs that make itself, offline.
#   RUNTIME    the runtime binary to test, e.g. /usr/sbin/runc, /usr/bin/crun or artifacts/bin/berth
#   PROGRAM    optional: only these programs (names of validation/ folders, e.g. linux_sysctl)
# Environment:
#   YARD_OUT             where each program's TAP output goes (default /tmp/yard-rt/<runtime name>)
#   YARD_PROGRAM_TIMEOUT seconds allowed for one program (default 120)
#   YARD_OCI_VERSION     if set (e.g. 1.1.0), RUNTIME is called through a wrapper that rewrites the bundle's
#                        config.json "ociVersion" to this value before `create`/`run`. The suite writes the version of
#                        the runtime-spec it vendors (1.3.0 at the time of writing); Debian 12's crun 1.8.1 refuses
#                        anything above 1.1.x ("unknown version specified") and so fails every program without it.
#                        Nothing else in the bundle changes. Leave it unset for runc and berth.
#
# Every program runs from SUITE_DIR (it untars rootfs-<arch>.tar.gz and copies runtimetest from there) with
# RUNTIME=<binary>, inside a private mount namespace in which /sys/fs/cgroup/unified is unmounted: on a hybrid-cgroup
# host Debian's crun refuses to run at all otherwise, and every runtime is run the same way so their counts compare.
# Bundles go to a scratch TMPDIR; containers whose bundle is there are deleted after each program, so the script can
# be run again at once.
#
# Output: one line per program (assertions passed/failed/skipped, exit status), every failing assertion with its
# diagnostics, then a last line
#   NAME: N clean programs of P, N failing assertions (N passed, N failed, N skipped)
# where a clean program is one that exited 0, reported every assertion it planned (a program may plan none), failed
# none, and printed no failure report outside an assertion (a YAML block with no ok/not ok line, which is how the
# hooks, poststart and *_fail programs report a failure; each such block counts as one failing assertion).
set -uo pipefail

usage() { echo "usage: $0 SUITE_DIR RUNTIME [PROGRAM ...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
suite=$(readlink -f "$1") || usage
runtime=$(readlink -f "$2") || usage
shift 2
[ -d "$suite/validation" ] && [ -f "$suite/Makefile" ] || { echo "$suite is not a runtime-tools source tree" >&2; exit 2; }
[ -x "$runtime" ] || { echo "$runtime is not executable" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 2; }

name=$(basename "$runtime")
out=${YARD_OUT:-/tmp/yard-rt/$name}
program_timeout=${YARD_PROGRAM_TIMEOUT:-120}
mkdir -p "$out"

cd "$suite" || exit 2
if [ ! -x runtimetest ] || ! ls validation/*/*.t >/dev/null 2>&1; then
  go=/usr/lib/go-1.23/bin
  [ -x $go/go ] || { echo "runtimetest and validation/*/*.t are not built and there is no Go at $go" >&2; exit 2; }
  echo "# building runtimetest and the validation programs"
  PATH=$go:$PATH GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local make runtimetest validation-executables >"$out/build.log" 2>&1 \
    || { echo "build failed, see $out/build.log" >&2; exit 2; }
fi

if [ $# -gt 0 ]; then
  programs=()
  for p in "$@"; do p=$(basename "$p" .t); programs+=("validation/$p/$p.t"); done
else
  programs=(validation/*/*.t)
fi

scratch=$(mktemp -d /tmp/yard-rt-run.XXXXXX)
tools=$(mktemp -d /tmp/yard-rt-tools.XXXXXX)
real_runtime=$runtime
if [ -n "${YARD_OCI_VERSION:-}" ]; then
  command -v jq >/dev/null || { echo "YARD_OCI_VERSION needs jq" >&2; exit 2; }
  {
    echo '#!/bin/bash'
    echo "# rewrites the bundle's ociVersion, then runs the runtime (made by scripts/runtime-tools.sh)"
    printf 'real=%q\nversion=%q\n' "$real_runtime" "$YARD_OCI_VERSION"
    cat <<'WRAPPER'
bundle=. sub=
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --bundle | -b) bundle=${args[i + 1]} ;;
    --bundle=*) bundle=${args[i]#--bundle=} ;;
    -*) ;;
    *) [ -z "$sub" ] && sub=${args[i]} ;;
  esac
done
if { [ "$sub" = create ] || [ "$sub" = run ]; } && [ -f "$bundle/config.json" ]; then
  jq -c --arg v "$version" '.ociVersion = $v' "$bundle/config.json" > "$bundle/config.json.yard" &&
    cat "$bundle/config.json.yard" > "$bundle/config.json" && rm -f "$bundle/config.json.yard"
fi
exec "$real" "$@"
WRAPPER
  } > "$tools/$name"
  chmod 755 "$tools/$name"
  runtime=$tools/$name
fi

# Deletes every container of this runtime (default state root) whose bundle lies in the scratch folder.
cleanup_leftovers() {
  local ids id bundle
  ids=$("$real_runtime" list -q 2>/dev/null)
  for id in $ids; do
    bundle=$("$real_runtime" state "$id" 2>/dev/null | jq -r '.bundle // empty' 2>/dev/null)
    case $bundle in
      "$scratch"/*) timeout 20 "$real_runtime" delete -f "$id" >/dev/null 2>&1 ;;
    esac
  done
  rm -rf "${scratch:?}"/* 2>/dev/null
}

clean=0 nprog=0 tpass=0 tfail=0 tskip=0
failures=$out/failures.txt
: > "$failures"
echo "# runtime-tools $(cat VERSION 2>/dev/null) against $real_runtime ($("$real_runtime" --version 2>/dev/null | head -1))"
echo "# $(date -u +%Y-%m-%dT%H:%MZ); TAP output in $out"
[ -n "${YARD_OCI_VERSION:-}" ] && echo "# ociVersion of every bundle rewritten to $YARD_OCI_VERSION before create/run"
for prog in "${programs[@]}"; do
  base=$(basename "$prog" .t)
  log=$out/$base.tap
  [ -x "$prog" ] || { echo "$base: not built"; continue; }
  nprog=$((nprog + 1))
  TMPDIR=$scratch RUNTIME=$runtime timeout -k 10 "$program_timeout" \
    unshare -m --propagation private sh -c \
      'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified || exit 99; fi; exec "$0"' "./$prog" \
    < /dev/null > "$log" 2> "$log.stderr"
  rc=$?
  cleanup_leftovers
  planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log" | head -1)
  pass=$(grep -E '^ok [0-9]+' "$log" | grep -vic '# skip')
  skip=$(grep -E '^ok [0-9]+' "$log" | grep -ic '# skip')
  fail=$(grep -cE '^not ok [0-9]+' "$log")
  # A YAML block with an "error" key and no ok/not ok line before it is how several programs (hooks, poststart,
  # *_fail) report a failure: each counts as one failing assertion.
  stray=$(awk '/^(ok|not ok) [0-9]+/ { att = 1; next }
               /^  ---$/ { inb = 1; err = 0; next }
               /^  \.\.\.$/ { if (!att && err) n++; inb = 0; att = 0; next }
               inb && /^ *"error":/ { err = 1 }
               END { print n + 0 }' "$log")
  ran=$((pass + skip + fail))
  planned=${planned:-$ran}
  status=ok
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status="timed out after ${program_timeout}s"
  elif [ $rc -ne 0 ]; then status="exit $rc"
  fi
  [ "$ran" -ne "$planned" ] && status="$status, reported $ran of $planned planned"
  [ "$stray" -gt 0 ] && status="$status, $stray failure report(s) outside an assertion"
  fail=$((fail + stray))
  if [ $rc -eq 0 ] && [ "$fail" -eq 0 ] && [ "$ran" -eq "$planned" ]; then
    clean=$((clean + 1)); verdict=CLEAN
  else
    verdict=FAIL
  fi
  printf '%-5s %-40s %3d passed, %3d failed, %3d skipped  (%s)\n' "$verdict" "$base" "$pass" "$fail" "$skip" "$status"
  if [ "$verdict" = FAIL ]; then
    # each failing assertion (or stray failure report) with its YAML diagnostics, and what the program said on stderr
    awk -v p="$base" '
      function flush() { if (nb && (!att && err)) { print "  " p ": (failure report outside an assertion)"; for (i = 1; i <= nb; i++) print "  " p ":   " blk[i] } nb = 0 }
      /^not ok [0-9]+/ { show = 1; att = 1; print "  " p ": " $0; next }
      /^ok [0-9]+/ { show = 0; att = 1; next }
      /^  ---$/ { inb = 1; err = 0; nb = 0 }
      inb { blk[++nb] = $0; if ($0 ~ /^ *"error":/) err = 1 }
      /^1\.\./ || /^TAP version/ { show = 0 }
      show { print "  " p ":   " $0 }
      /^  \.\.\.$/ { if (!show) flush(); inb = 0; nb = 0; att = 0; show = 0 }' "$log" | tee -a "$failures"
    if [ -s "$log.stderr" ] && { [ "$rc" -ne 0 ] || [ "$fail" -eq 0 ]; }; then
      sed -n '1,5s/^/  '"$base"': stderr: /p' "$log.stderr" | tee -a "$failures"
    fi
  fi
  tpass=$((tpass + pass)); tfail=$((tfail + fail)); tskip=$((tskip + skip))
done
rm -rf "$scratch" "$tools"
echo "$name: $clean clean programs of $nprog, $tfail failing assertions ($tpass passed, $tfail failed, $tskip skipped)"
