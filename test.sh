#!/usr/bin/env bash
# Runs ChannelTape's whole test suite on a fresh Debian machine with the .NET SDK.
# Installs the Debian packages the interop and end-to-end tests use (Hercules 3.13 and its tools)
# when they are missing, then runs every test project and prints one summary line
# "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install-prereqs.sh
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0
dotnet test ChannelTape.sln --nologo -v q --logger "trx" --results-directory "$results" "$@" || status=$?
python3 scripts/trx-summary.py "$results"
exit "$status"
