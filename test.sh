#!/usr/bin/env bash
# Runs every test: the code's format, then generator, spec, config front-end and runtime integration tests (real
# containers; needs root).
# `./test.sh --unit` runs only the unit projects: no root, no installed packages, no published binary.
set -euo pipefail
cd "$(dirname "$0")"
summary() { # one plain summary line over all test assemblies in the log $1
  awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
       END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$1"
}
case "${1:-}" in
  "") ;;
  --unit)
    log=$(mktemp)
    status=0
    for project in Berth.Generator.Tests Berth.Spec.Tests Berth.Config.Tests Berth.Cgroups.Tests Berth.Seccomp.Tests \
        Berth.Plan.Tests Berth.Runtime.UnitTests; do
      dotnet test "tests/$project" -c Release --nologo 2>&1 | tee -a "$log" || status=$?
    done
    summary "$log"
    rm -f "$log"
    exit $status ;;
  *) echo "usage: ./test.sh [--unit]" >&2; exit 2 ;;
esac
scripts/install-deps.sh
log=$(mktemp)
status=0
# The code is in the shape .editorconfig describes (whitespace, usings, style rules): checked, not changed.
scripts/format.sh --check || { echo "format: run scripts/format.sh to apply the changes listed above" >&2; status=1; }
scripts/publish.sh
dotnet test Compiler.sln -c Release --nologo 2>&1 | tee "$log" || status=$?
# The container-boundary attacks once more with paths resolved by the O_NOFOLLOW walk, the way kernels without
# openat2 take (berth falls back to it by itself there; this switch makes this kernel take it too).
BERTH_TEST_FORCE_WALK=1 dotnet test tests/Berth.Runtime.Tests -c Release --nologo --no-build \
  --filter "FullyQualifiedName~BoundaryAttackTests|FullyQualifiedName~IsolationTests" 2>&1 | tee -a "$log" || status=$?
summary "$log"
rm -f "$log"
exit $status
