#!/usr/bin/env bash
# Throughput from a Hercules 3.13 guest: Hercules' own 3490 next to ChannelTape through the bridge
# module (hercules/hdtctape.so -> ctape serve), same guest, same machine, same run. Uses the
# reference runner's bench.py (../shared/oracle), which times inside the guest with STCK:
# 32760- and 65535-byte blocks and 80-byte blocks, write then read, as one SSCH with chained CCWs
# and as one SSCH per block.
#
#   bench/hercules/bridge-bench.sh [--runs N] [--oracle DIR] [--metrics] [--cpu] [--ctape BIN]
#
# Prints both tables; raw figures go to bench/hercules/results/{native,bridge}.json.
# --metrics: ctape serve with its management API on, /metrics and /api/drives read every second
# during the bridge runs (the cost of the operations plane, docs/performance.md); figures go to
# bridge-metrics.json.
# --cpu: instead of the throughput tables, CPU seconds per GB (user + system) of the Hercules process
# and of ctape serve, written and read, by cpu-per-gb.py (4000 chained 65535-byte blocks and a tape
# mark, then read back chained; one warm-up run each): native, through the bridge to a pool with
# `sync tape-mark` (the default) and to one with `sync none` (what Hercules' own drive does), native
# again; figures go to cpu.json.
# The server gets one uncounted warm-up pass before it is measured (tiered compilation).
# --ctape BIN: measure this ctape instead of the one built here (a build of another commit, for
# before and after in one window).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
runs=5
metrics=0
cpu=0
ctape=""
oracle="${CTAPE_ORACLE_DIR:-$repo/../shared/oracle}"
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --oracle) oracle="$2"; shift 2 ;;
        --metrics) metrics=1; shift ;;
        --cpu) cpu=1; shift ;;
        --ctape) ctape="$(realpath "$2")"; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--oracle DIR] [--metrics] [--cpu] [--ctape BIN]"; exit 2 ;;
    esac
done
out="$repo/bench/hercules/results"
mkdir -p "$out"
work="$(mktemp -d /tmp/ctape-bridge-bench.XXXXXX)"
server_pid=""
scraper_pid=""
trap '[ -n "$scraper_pid" ] && kill "$scraper_pid" 2>/dev/null; [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT

herc_src="$("$repo/scripts/hercules-headers.sh" | tail -n 1)"
make -s -C "$repo/hercules" HERC_SRC="$herc_src" HERC_FLAVOR=313 >/dev/null
if [ -z "$ctape" ]; then
    dotnet build "$repo/src/ChannelTape.Cli" -c Release --nologo -v q >/dev/null
    ctape="$repo/src/ChannelTape.Cli/bin/Release/net10.0/ctape"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ "$cpu" = 1 ]; then
    # Library volumes, so that each pool's sync applies (an image mounted by path is synchronised at
    # tape marks always); uncompressed AWS images, as Hercules' own drive writes them.
    cat >"$work/cpu.conf" <<EOF
storage { root "$work/data"; format aws; }
drive 0580 { model 3490; media 3490E; pool SYNCED; }
drive 0581 { model 3490; media 3490E; pool UNSYNCED; }
pool SYNCED { volumes S00000-S00099; media 3490E; capacity 800M; labels NL; scratch; sync tape-mark; }
pool UNSYNCED { volumes U00000-U00099; media 3490E; capacity 800M; labels NL; scratch; sync none; }
EOF
    port="$(free_port)"
    "$ctape" serve --listen "127.0.0.1:$port" --no-http --config "$work/cpu.conf" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
    rm -f "$out/cpu.json"
    measure() {
        python3 "$repo/bench/hercules/cpu-per-gb.py" --oracle "$oracle" --runs "$runs" --workdir "$work/cpu" \
            --json "$out/cpu.json" "$@"
    }
    measure --label native
    measure --label "bridge, sync tape-mark" --devnum 0580 --device-line "CTAPE 127.0.0.1:$port SCRTCH" \
        --module-dir "$repo/hercules" --server-pid "$server_pid"
    measure --label "bridge, sync none" --devnum 0581 --device-line "CTAPE 127.0.0.1:$port SCRTCH" \
        --module-dir "$repo/hercules" --server-pid "$server_pid"
    measure --label "native again"
    exit 0
fi

echo "== Hercules 3.13 native 3490"
python3 "$oracle/bench.py" --runs "$runs" --workdir "$work/native" --json "$out/native.json"

port="$(free_port)"
http=(--no-http)
result="$out/bridge.json"
if [ "$metrics" = 1 ]; then
    http_port="$(free_port)"
    http=(--http "127.0.0.1:$http_port")
    result="$out/bridge-metrics.json"
fi
# The bridge checks' drives, with the folder bench.py keeps its images in as an image folder: a
# server mounts images by path only inside image folders (docs/security.md).
mkdir -p "$work/bridge"
cat >"$work/bench.conf" <<EOF
include "$repo/tests/bridge/bridge.conf";
image-folder "$work/bridge";
EOF
"$ctape" serve --listen "127.0.0.1:$port" "${http[@]}" --config "$work/bench.conf" --data "$work/data" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
if [ "$metrics" = 1 ]; then
    # What a Prometheus scrape and an open status page ask, every second, for the whole run.
    (while kill -0 "$server_pid" 2>/dev/null; do
        curl -sf "http://127.0.0.1:$http_port/metrics" >/dev/null
        curl -sf "http://127.0.0.1:$http_port/api/drives" >/dev/null
        sleep 1
    done) &
    scraper_pid=$!
fi

# A warm-up pass that is not counted: a server just started compiles its hot paths again at tier 1
# (.NET tiered compilation) during its first runs, which would land on the first rows only; a server
# that has served for minutes does not (docs/performance.md, "CPU per gigabyte").
python3 "$oracle/bench.py" --runs 1 --blocks 500 --small 2000 --workdir "$work/bridge/warm-up" \
    --device-line "CTAPE 127.0.0.1:$port {tape} {options}" --module-dir "$repo/hercules" >/dev/null
echo "== ChannelTape through hercules/hdtctape.so (ctape serve on 127.0.0.1:$port)"
python3 "$oracle/bench.py" --runs "$runs" --workdir "$work/bridge" --json "$result" \
    --device-line "CTAPE 127.0.0.1:$port {tape} {options}" --module-dir "$repo/hercules"
