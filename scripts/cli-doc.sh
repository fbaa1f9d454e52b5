#!/usr/bin/env bash
# Writes docs/cli.md: the help of every ctape command, as `ctape ... --help` prints it.
# Run after changing a command or an option (CommandLineTests checks that every option is in it).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/ChannelTape.Cli --nologo -v q >/dev/null
ctape=src/ChannelTape.Cli/bin/Debug/net10.0/ctape
commands=(
  "" serve config "config check" "config show" hercules-config
  volume "volume add" "volume list" "volume show" "volume scratch" "volume unscratch" "volume move" "volume import" "volume export"
  status
  lms "lms drives" "lms volumes" "lms scratch" "lms pools" "lms mounts" "lms stats" "lms config" "lms events" "lms command"
  mount unload replay
)
{
  echo "# ctape commands and options"
  echo
  echo "Every command of \`ctape\` with its options, as \`ctape COMMAND --help\` prints them (written by"
  echo "\`scripts/cli-doc.sh\`). Exit codes: 0 done, 1 failed (one line on standard error says why), 2 the"
  echo "command line is wrong (the parser's message). \`--json\` output: docs/json.md. The options \`--server\`,"
  echo "\`--drives\`, \`--prefix\` and \`--timeout\` mean the same wherever they appear: the server (HOST:PORT), the"
  echo "drives to take a free one of (hex FIRST-LAST, default 0580-0587), the administrative prefix of the"
  echo "server's configuration (default \`#\`), and the seconds a mount may take (default 30)."
  for c in "${commands[@]}"; do
    echo
    echo "## ctape${c:+ $c}"
    echo
    echo '```'
    # shellcheck disable=SC2086
    COLUMNS=110 "$ctape" $c --help | sed -e 's/[[:space:]]*$//'
    echo '```'
  done
} > docs/cli.md
echo "docs/cli.md: ${#commands[@]} commands"
