#!/usr/bin/env bash
# One command for the whole-process benchmark: installs runc and crun, publishes berth, runs bench.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh runc crun
scripts/publish.sh >/dev/null
python3 benchmarks/process/bench.py "${1:-100}"
