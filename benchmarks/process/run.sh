#!/usr/bin/env bash
# One command for the whole-process benchmark: installs runc and crun, publishes berth, runs bench.py with the
# options given (bench.py --help; README.md beside this file). A lone number is taken as --runs, as before.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh runc crun
scripts/publish.sh >/dev/null
if [ $# -eq 1 ] && [[ "$1" =~ ^[0-9]+$ ]]; then
  set -- --runs "$1"
fi
exec python3 benchmarks/process/bench.py "$@"
