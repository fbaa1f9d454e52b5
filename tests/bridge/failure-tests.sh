#!/usr/bin/env bash
# Failure paths of the Hercules bridge module, in real Hercules 3.13 against the Python test
# peer (tests/bridge/fake_server.py), with the reference runner's guest program:
#   server_down_then_up     unreachable at start: device defined, Sense ID local, unit check
#                           with intervention required, local Sense; reconnect when it is up
#   server_stops_answering  reply timeout (HDTCTAPE_TIMEOUT=2) -> unit check; reconnect
#   connection_dropped      server drops the connection: reconnect with take-over, the drive
#                           keeps volume and position (blocks written before are read back)
#   malformed_reply         a CcwReply with residual > count: connection dropped, unit check,
#                           reconnect
#   unsolicited_status      a device end the server sends on its own while the drive is idle
#                           reaches the guest as an unsolicited interrupt
#   devinit_and_devlist     devinit mounts and unloads through the server (one device end
#                           each), devlist shows the server's Query text
#   buffered_writes_lost    write-behind: the server drops the connection with three
#                           acknowledged blocks unrun; the next CCW ends with a deferred unit
#                           check (sense 42 ...), Sense returns it, the reconnected drive has
#                           only the confirmed block
#   read_ahead_across_reconnect
#                           the connection drops while the module holds a read-ahead batch: it
#                           answers a Read from it, reconnects and gives the unused blocks back,
#                           so Read Block ID and the next Read are where the guest left off
#   read_ahead_refused_mount
#                           a devinit the server refuses while the module holds a read-ahead
#                           batch: the unused blocks go back before the Mount, so the volume
#                           stays where the guest left it
#   references_unreadable   read-ahead by reference into an image the module cannot open: it
#                           gives the blocks back, reads through the server, and the server
#                           sends blocks inline from then on
#
#   tests/bridge/failure-tests.sh [--oracle DIR]
# Prints PASS/FAIL per case; exit status 1 when any fails, 2 when the set-up fails.
set -uo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
. "$repo/tests/bridge/lib.sh"
oracle="${CTAPE_ORACLE_DIR:-$repo/../shared/oracle}"
[ "${1:-}" = "--oracle" ] && oracle="$2"
[ -f "$oracle/run.py" ] || { echo "failure-tests: no reference runner at $oracle (use --oracle)"; exit 2; }
cases="$repo/tests/bridge/cases"
work="$(mktemp -d /tmp/ctape-failures.XXXXXX)"
server_pid=""
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    server_pid=""
}
trap stop_server EXIT

bridge_build_module failure-tests "$work" || exit 2

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server PORT DELAY ARGS...: the test peer on PORT, after DELAY seconds
start_server() {
    local port="$1" delay="$2"; shift 2
    (sleep "$delay"; exec python3 "$repo/tests/bridge/fake_server.py" --listen "127.0.0.1:$port" \
        --log "$work/$name.server.log" "$@") >"$work/$name.server.out" 2>&1 &
    server_pid=$!
    if [ "$delay" = 0 ]; then
        for _ in $(seq 1 50); do
            python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2).close()" 2>/dev/null && break
            sleep 0.1
        done
    fi
}

run_case() {   # run_case NAME PORT [ENV=VALUE ...]
    local port="$2"; shift 2
    env "$@" python3 "$oracle/run.py" "$cases/$name.json" --timeout 60 \
        --device-line "CTAPE 127.0.0.1:$port {tape} {options}" \
        --module-dir "$repo/hercules" --workdir "$work/$name" >"$work/$name.json" 2>"$work/$name.err"
}

# check NAME PYTHON-ASSERTIONS: r = result, p = programs, log = Hercules log text
check() {
    if python3 - "$work/$name.json" "$work/$name/hercules.log" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
p = r.get("programs", [])
log = open(sys.argv[2], errors="replace").read()
failures = []
for line in sys.argv[3].strip().splitlines():
    line = line.strip()
    try:
        ok = eval(line)
    except Exception as e:
        ok = False
        line += "  (%s: %s)" % (type(e).__name__, e)
    if not ok:
        failures.append(line)
if "error" in r:
    failures.append("runner error: %s" % r["error"])
for f in failures:
    print("    not true: " + f)
sys.exit(1 if failures else 0)
EOF
    then echo "PASS $1"; pass=$((pass+1)); else echo "FAIL $1 (files in $work)"; fail=$((fail+1)); fi
}
pass=0; fail=0

name=server_down_then_up
port="$(free_port)"
start_server "$port" 3
run_case "$name" "$port"
stop_server
check "$name" '
p[0]["unit_status"] == "0C" and p[0]["data"][0]["data_hex"] == "FF349050349050"
p[1]["unit_status"] == "02" and p[1]["sense_hex"].startswith("40422043")
p[2]["unit_status"] == "0C" and p[2]["data"][0]["data_hex"].startswith("40422043")
p[3]["unit_status"] == "0C" and p[3]["residual"] == 0
p[5]["unit_status"] == "0C" and p[5]["data"][0]["data_hex"] == "C1C2C3C4C5C6C7C8"
"CTAPE003W" in log and "CTAPE004I" in log
'

name=server_stops_answering
port="$(free_port)"
start_server "$port" 0 --mute-after 1
run_case "$name" "$port" HDTCTAPE_TIMEOUT=2
stop_server
check "$name" '
p[0]["unit_status"] == "0C"
p[1]["unit_status"] == "02" and p[1]["sense_hex"].startswith("40422043")
p[2]["unit_status"] == "0C" and p[2]["data"][0]["data_hex"] == "FF349050349050"
"CTAPE006E 0580: CCW 01: no reply from the server in time" in log
'

name=connection_dropped
port="$(free_port)"
start_server "$port" 0 --drop-after 3
run_case "$name" "$port"
stop_server
check "$name" '
all(x["unit_status"] == "0C" and x["channel_status"] == "00" for x in p)
[x["data"][0]["data_hex"] for x in p[4:7]] == ["C2D3D6C3D240F100", "C2D3D6C3D240F200", "C2D3D6C3D240F300"]
log.count("CTAPE004I 0580: reconnected") == 2
'

name=malformed_reply
port="$(free_port)"
start_server "$port" 0 --malformed-after 1
run_case "$name" "$port"
stop_server
check "$name" '
p[0]["unit_status"] == "0C"
p[1]["unit_status"] == "02" and p[1]["sense_hex"].startswith("40422043")
p[2]["unit_status"] == "0C"
p[3]["unit_status"] == "0C" and p[3]["data"][0]["data_hex"] == "C2D3D6C3D240F100"
"CTAPE007E 0580: malformed CcwReply" in log and "CTAPE004I 0580: reconnected" in log
'

name=unsolicited_status
port="$(free_port)"
start_server "$port" 0 --unsolicited-after 1.5
run_case "$name" "$port"
stop_server
check "$name" '
p[0]["unit_status"] == "0C" and p[0].get("pending_before") is None
p[1]["pending_before"]["count"] == 1 and p[1]["pending_before"]["statuses"][0]["unit_status"] == "04"
p[1]["unit_status"] == "0C"
'

name=devinit_and_devlist
port="$(free_port)"
start_server "$port" 0
run_case "$name" "$port"
stop_server
check "$name" "
any('127.0.0.1:$port * (unloaded)' in l for l in p[0]['host_log'])
p[0]['unit_status'] == '02' and p[0]['sense_hex'].startswith('40422043')
p[1]['pending_before']['count'] == 1 and p[1]['pending_before']['statuses'][0]['unit_status'] == '04'
p[1]['unit_status'] == '0C'
any('IBM 3490 R/W' in l for l in p[1]['host_log'])
p[2]['pending_before']['count'] == 1 and p[2]['unit_status'] == '02'
"

name=buffered_writes_lost
port="$(free_port)"
start_server "$port" 0 --write-behind --lose-buffered 3
run_case "$name" "$port"
stop_server
check "$name" '
p[0]["unit_status"] == "0C" and p[1]["unit_status"] == "0C"
p[2]["unit_status"] == "0E" and p[2]["residual"] == 8
p[3]["unit_status"] == "0C" and p[3]["data"][0]["data_hex"].startswith("42422043")
p[4]["unit_status"] == "0C" and p[4]["data"][0]["data_hex"] == "0100000101000001"
"CTAPE008E 0580: connection lost with 3 written blocks" in log
'

name=references_unreadable
port="$(free_port)"
start_server "$port" 0 --bogus-references
run_case "$name" "$port"
stop_server
check "$name" '
all(x["unit_status"] == "0C" and x["channel_status"] == "00" for x in p)
[x["data"][0]["data_hex"] for x in p[1:4]] == ["C2D3D6C3D240F100", "C2D3D6C3D240F200", "C2D3D6C3D240F300"]
p[4]["data"][0]["data_hex"] == "0100000301000003"
p[5]["data"][0]["data_hex"] == "C2D3D6C3D240F400"
"CTAPE016W 0580: cannot open the volume image" in log and "CTAPE015W 0580: cannot read the volume image" in log
'

name=read_ahead_across_reconnect
port="$(free_port)"
start_server "$port" 0 --read-ahead --drop-after 8
run_case "$name" "$port"
stop_server
check "$name" '
all(x["unit_status"] == "0C" and x["channel_status"] == "00" for x in p)
[p[1]["data"][0]["data_hex"], p[2]["data"][0]["data_hex"], p[4]["data"][0]["data_hex"]] == ["C2D3D6C3D240F100", "C2D3D6C3D240F200", "C2D3D6C3D240F300"]
p[3]["data"][0]["data_hex"] == "0100000201000002"
"CTAPE004I 0580: reconnected" in log
'

name=read_ahead_refused_mount
port="$(free_port)"
start_server "$port" 0 --read-ahead
run_case "$name" "$port"
stop_server
check "$name" '
p[1]["data"][0]["data_hex"] == "C2D3D6C3D240F100"
p[2]["unit_status"] == "0C" and p[2]["data"][0]["data_hex"] == "C2D3D6C3D240F200"
p[3]["data"][0]["data_hex"] == "0100000201000002"
"CTAPE032E 0580: mount of" in log
'

echo "bridge failure tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
