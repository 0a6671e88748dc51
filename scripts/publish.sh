#!/usr/bin/env bash
# Publishes the berth binary with Native AOT to artifacts/bin/berth (or to $BERTH_OUT/berth).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BERTH_OUT:-artifacts/bin}
dotnet publish runtime/Berth.Cli -c Release -o "$out" --nologo -v quiet -p:DebugType=none "$@"
ls -l "$out/berth"
