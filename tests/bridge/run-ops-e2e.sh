#!/usr/bin/env bash
# The operations plane while real Hercules 3.13 holds all eight default drives through
# hercules/hdtctape.so (issue 10): a guest started by the reference runner (../shared/oracle/run.py)
# has drive 0580 from its configuration and attaches 0581-0587 with the console's attach command,
# mounts T00001 on 0580 by Load Display, then waits; meanwhile this script checks that
#   /api/drives lists all eight drives, each with its host connection, T00001 on 0580,
#   /metrics serves the ctape_ series (per drive, library, server), /healthz and /readyz answer,
#   and headless Chromium renders the status page showing every drive with its host
#   (tests/bridge/check_status_page.py; screenshot in the work folder).
#
#   tests/bridge/run-ops-e2e.sh CTAPE_BINARY [--oracle DIR]
#
# Needs what run-admin-e2e.sh needs, and Debian's chromium and chromium-driver.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
. "$repo/tests/bridge/lib.sh"
ctape="${1:?usage: run-ops-e2e.sh CTAPE_BINARY [--oracle DIR]}"
shift
oracle="${CTAPE_ORACLE_DIR:-$repo/../shared/oracle}"
[ "${1:-}" = "--oracle" ] && oracle="$2"
[ -f "$oracle/run.py" ] || { echo "run-ops-e2e: no reference runner at $oracle"; exit 2; }

work="$(mktemp -d /tmp/ctape-ops-e2e.XXXXXX)"
server_pid=""
guest_pid=""
cleanup() {
    [ -n "$guest_pid" ] && kill "$guest_pid" 2>/dev/null
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT

bridge_build_module run-ops-e2e "$work" || exit 2

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"
http_port="$(free_port)"
api="http://127.0.0.1:$http_port"
"$ctape" serve --listen "127.0.0.1:$port" --http "127.0.0.1:$http_port" --data "$work/data" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    grep -q "management API" "$work/server.log" 2>/dev/null && break
    sleep 0.1
done
grep -q "management API" "$work/server.log" || { cat "$work/server.log"; echo "run-ops-e2e: server did not start"; exit 2; }

# The guest: 0580 from the device line, 0581-0587 attached from the console; Load Display mounts
# T00001 on 0580; then the guest waits (settle_s) while the checks below run.
python3 - "$port" >"$work/ops_all_drives.json" <<'PY'
import json, sys
port = sys.argv[1]
print(json.dumps({
    "name": "ops_all_drives",
    "device": "3490",
    "tape": "none",
    "hercules_timeout_s": 150,
    "programs": [
        {"name": "attach 0581-0587, Load Display mount T00001",
         "host_before": [f"attach {0x581 + i:04X} CTAPE 127.0.0.1:{port} *" for i in range(7)],
         "settle_s": 2.0,
         "ccws": [{"op": "9F", "count": 17, "data_hex": "48", "data_ebcdic": "MT00001SMT00001S"}]},
        {"name": "wait while the operations plane is checked",
         "settle_s": 45.0,
         "ccws": [{"op": "04", "flags": ["SLI"], "count": 32}]},
    ]}))
PY
python3 "$oracle/run.py" "$work/ops_all_drives.json" --sanitize --timeout 150 \
    --device-line "CTAPE 127.0.0.1:$port {tape} {options}" \
    --module-dir "$repo/hercules" --workdir "$work/guest" >"$work/result.json" 2>"$work/run.err" &
guest_pid=$!

fail() { echo "run-ops-e2e: $*"; echo "(server log, guest result and screenshot in $work)"; exit 1; }
drives='0580 0581 0582 0583 0584 0585 0586 0587'

# /api/drives: all eight, each held by a host connection, T00001 on 0580.
attached=""
for _ in $(seq 1 120); do
    curl -sf "$api/api/drives" >"$work/drives.json" 2>/dev/null && attached="$(python3 - "$work/drives.json" <<'PY'
import json, sys
drives = json.load(open(sys.argv[1]))
held = [d["device"] for d in drives if d["host"]]
loaded = {d["device"]: (d["volume"] or {}).get("volser") for d in drives}
print(" ".join(held) + (" T00001" if loaded.get("0580") == "T00001" else ""))
PY
)"
    [ "$attached" = "$drives T00001" ] && break
    kill -0 "$guest_pid" 2>/dev/null || break
    sleep 0.5
done
[ "$attached" = "$drives T00001" ] || fail "/api/drives: expected every drive held by a host and T00001 on 0580, got '$attached'"
python3 - "$work/drives.json" <<'PY'
import json, sys
for d in json.load(open(sys.argv[1])):
    h = d["host"]
    print(f"  {d['device']} {d['state']:7} {(d['volume'] or {}).get('volser') or '-':6}  held by {h['connection']} ({h['name']})")
PY
echo "run-ops-e2e: /api/drives lists all eight drives with their hosts, T00001 on 0580"

# /metrics: the ctape_ series.
curl -sf "$api/metrics" >"$work/metrics.txt" || fail "/metrics did not answer"
for series in 'ctape_drive_attached{drive="0587"} 1' 'ctape_drive_mounts_total{drive="0580"} 1' 'ctape_drive_loaded{drive="0580"} 1' \
              'ctape_server_connections 8' 'ctape_library_volumes{pool="SCRATCH",status="mounted"} 1' 'ctape_mount_duration_seconds_count{drive="0580"} 1'; do
    grep -qF "$series" "$work/metrics.txt" || fail "/metrics lacks '$series'"
done
echo "run-ops-e2e: /metrics serves $(grep -c '^# TYPE ctape_' "$work/metrics.txt") ctape_ series ($(grep -c '^ctape_' "$work/metrics.txt") samples)"

# Health.
curl -sf "$api/healthz" >/dev/null || fail "/healthz did not answer"
curl -sf "$api/readyz" >/dev/null || fail "/readyz did not answer"
echo "run-ops-e2e: /healthz and /readyz answer"

# The CLI through the API the tape server announces in its HelloReply: one JSON document with every
# drive while Hercules holds them all, and a mount and an unload on a drive the guest holds.
"$ctape" status --server "127.0.0.1:$port" --json >"$work/status.json" 2>"$work/status.err" \
    || { cat "$work/status.err"; fail "ctape status --server failed while Hercules holds every drive"; }
python3 - "$work/status.json" <<'PY' || fail "ctape status --server does not list all eight drives with T00001 on 0580"
import json, sys
status = json.load(open(sys.argv[1]))
drives = {d["device"]: d for d in status["drives"]}
assert sorted(drives) == [f"{0x580 + i:04X}" for i in range(8)], sorted(drives)
assert drives["0580"]["state"] == "loaded" and drives["0580"]["volser"] == "T00001", drives["0580"]
assert any(p["pool"] == "SCRATCH" and p["mounted"] == 1 for p in status["pools"]), status["pools"]
PY
"$ctape" mount 0587 T00002 --server "127.0.0.1:$port" >"$work/mount.out" 2>&1 || { cat "$work/mount.out"; fail "ctape mount --server on a drive the guest holds failed"; }
"$ctape" volume show T00002 --server "127.0.0.1:$port" --json | grep -q '"mountedOn": *"0587"' || fail "ctape volume show --server does not see T00002 on 0587"
"$ctape" unload 0587 --server "127.0.0.1:$port" >"$work/unload.out" 2>&1 || { cat "$work/unload.out"; fail "ctape unload --server failed"; }
echo "run-ops-e2e: ctape status, volume show, mount and unload --server work while Hercules holds every drive"

# The page in headless Chromium.
# shellcheck disable=SC2086
python3 "$repo/tests/bridge/check_status_page.py" "$api/" "$work/status-page.png" $drives --volume=0580=T00001 \
    || fail "the status page does not show every drive"

# The guest goes on and ends; its result must be clean.
wait "$guest_pid"
status=$?
guest_pid=""
[ "$status" -eq 0 ] || { cat "$work/run.err"; fail "the reference runner failed (exit $status)"; }
python3 - "$work/result.json" <<'PY' || fail "the guest's Load Display did not end cleanly"
import json, sys
result = json.load(open(sys.argv[1]))
first = result["programs"][0]
assert first["completion"] == "ok" and first["unit_status"] == "0C", first
PY
grep -q "T00001 mounted" "$work/server.log" || fail "the server log has no line for the guest's mount of T00001"
echo "run-ops-e2e: passed (screenshot $work/status-page.png)"
