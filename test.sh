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
if [ "$status" -ne 0 ]; then
    # dotnet test also fails when a project does not build or a test host crashes: those
    # leave no test results, so say it here rather than let the counts look clean.
    echo "dotnet test failed (exit $status): see the build errors or crashed test runs above" >&2
fi
exit "$status"
