#!/usr/bin/env bash
# Publishes the berth binary with Native AOT to artifacts/bin/berth.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet publish runtime/Berth.Cli -c Release -o artifacts/bin --nologo -v quiet -p:DebugType=none "$@"
ls -l artifacts/bin/berth
