#!/usr/bin/env bash
# A guest channel program through the bridge module for any Hercules binary, without the
# reference runner (whose log parsing is Hercules 3.13's): a tiny S/370 guest placed with `r`
# commands issues SIO to 0580 with WRITE, REWIND, READ, SENSE ID; the storage the channel filled
# is displayed and checked. With --halt (SDL Hyperion 4.x only) a second run leaves a CCW
# hanging on a server that stops answering and checks that `sysreset` (the module's halt
# entry) ends it with unit check instead of waiting for the reply timeout.
#
#   tests/bridge/sio-test.sh HERCULES-BINARY MODULE-DIR [--halt]
# e.g. tests/bridge/sio-test.sh /usr/bin/hercules hercules
#      tests/bridge/sio-test.sh /opt/hyperion/bin/hercules build-4x --halt
set -uo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
herc="${1:?Hercules binary}"
moddir="$(cd "${2:?module directory}" && pwd)"
halt="${3:-}"
work="$(mktemp -d /tmp/ctape-sio.XXXXXX)"
server_pid=""
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
    fi
    server_pid=""
}
trap stop_server EXIT
fail=0

start_server() {   # start_server LOG [ARGS...]
    local log="$1"; shift
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    python3 "$repo/tests/bridge/fake_server.py" --listen "127.0.0.1:$port" --log "$log" "$@" >/dev/null 2>&1 &
    server_pid=$!
    for _ in $(seq 1 50); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2).close()" 2>/dev/null && break
        sleep 0.1
    done
    : >"$work/tape.aws"
    printf 'CPUSERIAL 000611\nCPUMODEL  3090\nMAINSIZE  2\nNUMCPU    1\nARCHMODE  S/370\n0580 CTAPE 127.0.0.1:%s %s\n' \
        "$port" "$work/tape.aws" >"$work/hercules.cnf"
}

run_hercules() {   # run_hercules RC LOG
    local opt=-d
    "$herc" --help 2>&1 | grep -q -- '-n' && opt=-n      # 4.x: -d is deprecated
    (cd "$work" && LD_LIBRARY_PATH="$moddir" HERCULES_RC="$1" timeout 60 "$herc" -f hercules.cnf $opt \
        </dev/null >"$2" 2>&1)
}

expect() {   # expect LOG PATTERN DESCRIPTION
    if grep -Eq "$2" "$1"; then echo "  ok: $3"; else echo "  MISSING: $3 ($2)"; fail=1; fi
}

# restart PSW -> 0x200: SIO X'580'; LPSW disabled wait. CAW -> CCWs at 0x100 (format 0):
# WRITE 8 from 0x400 CC+SLI, REWIND CC+SLI, READ 16 into 0x500 CC+SLI, SENSE ID 7 into 0x600
cat >"$work/basic.rc" <<'EOF'
r 0=0000000000000200
r 48=00000100
r 100=0100040060000008
r 108=0700000060000001
r 110=0200050060000010
r 118=E400060020000007
r 400=C8C5D3D3D6F4E7F1
r 200=9C00058082000218
r 218=0002000000000BAD
restart
pause 2
r 500.10
r 600.8
devlist 0580
quit
EOF
echo "basic: $herc with $moddir/hdtctape.so"
start_server "$work/server.log"
run_hercules basic.rc "$work/basic.log"
stop_server
expect "$work/basic.log" 'CTAPE002I 0580: attached to 127\.0\.0\.1' "module loaded, drive attached"
expect "$work/basic.log" 'R:0*500.*C8C5D3D3 D6F4E7F1 00000000' "READ stored the block written before (HELLO4X1)"
expect "$work/basic.log" 'R:0*600.*FF349050 34905000' "SENSE ID stored FF 3490 50 3490 50"
expect "$work/basic.log" '0580 (3490|CTAPE) 127\.0\.0\.1:[0-9]+ tape\.aws' "devlist shows the server's text"
expect "$work/server.log" 'CCW op=E4 .*seq=3 count=7' "server saw the chain (SENSE ID is CCW 3)"

if [ "$halt" = "--halt" ]; then
    # NOP chained to WRITE; the server answers the NOP and never the WRITE; sysreset halts it
    cat >"$work/halt.rc" <<'EOF'
r 0=0000000000000200
r 48=00000100
r 100=03000000600000010100040020000008
r 400=C8C5D3D3D6F4E7F1
r 200=9C00058082000218
r 218=0002000000000BAD
restart
pause 3
sysreset
pause 2
devlist 0580
quit
EOF
    echo "halt: sysreset while the server does not answer"
    start_server "$work/server-halt.log" --mute-after 1
    run_hercules halt.rc "$work/halt.log"
    stop_server
    expect "$work/halt.log" 'CTAPE040W 0580: halt' "halt entry called, connection shut down"
    expect "$work/halt.log" 'CTAPE006E 0580: CCW 01: connection lost' "the hanging WRITE ended with unit check"
    expect "$work/server-halt.log" 'Halt' "server received Halt"
fi
[ "$fail" -eq 0 ] && echo "sio-test: passed (files in $work)" || echo "sio-test: FAILED (files in $work)"
exit "$fail"
