#!/usr/bin/env bash
# Formats the C# code to the style .editorconfig describes: whitespace, then the code-style rules set to :warning
# (usings placement and order, file-scoped namespaces, keywords for types, no `this.`).
# `scripts/format.sh --check` changes nothing: it lists what would change and fails if anything would.
set -euo pipefail
cd "$(dirname "$0")/.."
verify=()
case "${1:-}" in
  "") ;;
  --check) verify=(--verify-no-changes) ;;
  *) echo "usage: scripts/format.sh [--check]" >&2; exit 2 ;;
esac
status=0
dotnet format whitespace Compiler.sln "${verify[@]}" || status=$?
dotnet format style Compiler.sln --severity warn "${verify[@]}" || status=$?
exit $status
