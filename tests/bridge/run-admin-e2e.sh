#!/usr/bin/env bash
# A real guest program in Debian's Hercules 3.13, through hercules/hdtctape.so, asks ChannelTape
# for the administrative volume #DRIVE with Load Display and reads its labelled data set with
# plain Read CCWs (issue 5). The reference runner (../shared/oracle/run.py) runs the guest;
# tests/bridge/check_admin_volume.py checks what it read.
#
#   tests/bridge/run-admin-e2e.sh CTAPE_BINARY [--oracle DIR]
#
# Needs what run-e2e.sh needs (hercules, binutils-s390x-linux-gnu, gcc, the Hercules headers).
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
. "$repo/tests/bridge/lib.sh"
ctape="${1:?usage: run-admin-e2e.sh CTAPE_BINARY [--oracle DIR]}"
shift
oracle="${CTAPE_ORACLE_DIR:-$repo/../shared/oracle}"
[ "${1:-}" = "--oracle" ] && oracle="$2"
[ -f "$oracle/run.py" ] || { echo "run-admin-e2e: no reference runner at $oracle"; exit 2; }

work="$(mktemp -d /tmp/ctape-admin-e2e.XXXXXX)"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null' EXIT

bridge_build_module run-admin-e2e "$work" || exit 2
bridge_start_server run-admin-e2e "$work" "$ctape" || exit 2

python3 "$oracle/run.py" "$repo/tests/bridge/cases/admin_drive_volume.json" --sanitize --timeout 60 --full-data \
    --device-line "CTAPE 127.0.0.1:$port {tape} {options}" \
    --module-dir "$repo/hercules" --workdir "$work/guest" >"$work/result.json" 2>"$work/run.err" \
    || { cat "$work/run.err"; echo "run-admin-e2e: the reference runner failed (logs in $work)"; exit 1; }
python3 "$repo/tests/bridge/check_admin_volume.py" "$work/result.json" 8 || { echo "(result and logs in $work)"; exit 1; }
