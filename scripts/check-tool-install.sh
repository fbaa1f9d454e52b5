#!/usr/bin/env bash
# Packs ctape as a .NET tool and installs it the way a user would (dotnet tool install --tool-path DIR
# --add-source PKGDIR ChannelTape.Cli), then runs the installed `ctape --version` and `ctape --help`.
# .ci/run calls it after the tests; it needs nothing but the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet pack src/ChannelTape.Cli -c Release -o "$work/packages" --nologo -v q
dotnet tool install --tool-path "$work/tools" --add-source "$work/packages" ChannelTape.Cli --prerelease
version="$("$work/tools/ctape" --version)"
"$work/tools/ctape" --help > "$work/help.txt"
grep -q "serve" "$work/help.txt"
echo "tool install: ctape $version installed from $(ls "$work/packages") and runs"
