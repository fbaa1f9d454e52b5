#!/usr/bin/env bash
# End to end through real Hercules: Debian's /usr/bin/hercules 3.13 runs the reference runner's
# guest program, whose channel programs go through hercules/hdtctape.so over TCP to a
# ChannelTape server; each sample's result must equal the native Hercules result, except where
# the deviation registry tests/golden/deviations.json lists a difference (compare_results.py;
# a registered difference that no longer shows fails too).
#
#   tests/bridge/run-e2e.sh [--server 'COMMAND'] [--oracle DIR] [--expected DIR] [--golden]
#                           [--streaming-check [--expect-references]] [--device MODEL] [SAMPLE...]
#
#   --server   command that starts a server (also $CTAPE_E2E_SERVER); "{port}" in it is
#              replaced by a free port, "{log}" by a log file path, "{dir}" by the run's work
#              directory, "{config}" by a ctape configuration written there: the base
#              configuration (--base-config) and the run's work folder as an image folder, where
#              the reference runner writes the images the device statements mount by path
#              (docs/security.md: ctape serve mounts images by path only inside image folders).
#              It runs in that directory (a server's data stays there), so give programs with
#              absolute paths. Default: the Python test peer,
#              'python3 tests/bridge/fake_server.py --listen 127.0.0.1:{port} --log {log}'.
#              For the .NET server, e.g. --server '/abs/path/ctape serve --listen 127.0.0.1:{port} --config {config}'.
#   --base-config
#              the configuration {config} includes (default tests/bridge/bridge.conf: the
#              embedded default's drives and scratch pool).
#   --extra-config FILE
#              a second file {config} includes (tests/bridge/secure-e2e.sh: a secret and TLS).
#   --device-options 'WORDS'
#              the module's own options added to every device statement (secret=FILE, tls ...).
#   --oracle   the reference runner (default ../shared/oracle next to the repository, or
#              $CTAPE_ORACLE_DIR).
#   --expected native results to compare with (default: <oracle>/samples/results).
#   --golden   the repository's golden tests instead: tests/golden/samples and tests/golden/cases
#              of device 3490, compared with tests/golden/results (still run by <oracle>/run.py).
#   --streaming-check
#              run every test twice through the bridge, first with write-behind and read-ahead
#              off (HDTCTAPE_FEATURES=none), then on (docs/protocol.md §5), and require the two
#              results to be equal up to the registry's bridge-timing entries: streaming must not
#              change anything the guest sees. (The native comparison is the default mode; there
#              the registry's device, bridge, bridge-channel and bridge-timing entries apply.)
#              stream_write_read must show, in the server's log, blocks written behind and read
#              ahead, and with --expect-references also blocks read ahead by reference (§5.3).
#   --device   the model whose tests run: 3490 (default), 3480 or 3420; the server's drive 0580 is
#              then that model (base configuration tests/bridge/bridge-MODEL.conf, unless
#              --base-config names one). A 3420 has no Sense ID: the module attaches it by model.
#   SAMPLE     test names (looked up in those folders) or JSON paths (default: every one of the
#              device, except 11_timeout, an endless channel program that hangs Hercules' CPU).
#
# Prints one "PASS name" / "FAIL name" line per sample (with the differing fields) and a
# summary line; exit status 1 when any sample fails, 2 when the set-up fails.
# Needs: hercules, binutils-s390x-linux-gnu, gcc, python3; root or sudo the first time (the
# Hercules 3.13 headers, see scripts/hercules-headers.sh). Not part of `dotnet test`.
set -uo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
. "$repo/tests/bridge/lib.sh"
default_server="python3 $repo/tests/bridge/fake_server.py --listen 127.0.0.1:{port} --log {log}"
server_cmd="${CTAPE_E2E_SERVER:-$default_server}"
oracle="${CTAPE_ORACLE_DIR:-$repo/../shared/oracle}"
registry="$repo/tests/golden/deviations.json"
expected=""
samples=()
golden=0
streaming=0
expect_references=0
base_config=""
device=3490
extra_config=""
device_options=""
while [ $# -gt 0 ]; do
    case "$1" in
        --server) server_cmd="$2"; shift 2 ;;
        --base-config) base_config="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
        --extra-config) extra_config="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
        --device-options) device_options="$2"; shift 2 ;;
        --oracle) oracle="$2"; shift 2 ;;
        --expected) expected="$2"; shift 2 ;;
        --golden) golden=1; shift ;;
        --streaming-check) streaming=1; shift ;;
        --expect-references) expect_references=1; shift ;;
        --device) device="$2"; shift 2 ;;
        -h|--help) sed -n '2,50p' "$0"; exit 0 ;;
        *) samples+=("$1"); shift ;;
    esac
done
case "$device" in
    3490) base_config="${base_config:-$repo/tests/bridge/bridge.conf}" ;;
    3480|3420) base_config="${base_config:-$repo/tests/bridge/bridge-$device.conf}" ;;
    *) echo "run-e2e: --device must be 3490, 3480 or 3420"; exit 2 ;;
esac
[ -f "$oracle/run.py" ] || { echo "run-e2e: no reference runner at $oracle (use --oracle)"; exit 2; }
oracle="$(cd "$oracle" && pwd)"
sample_dirs=("$oracle/samples")
if [ "$golden" = 1 ]; then
    [ -d "$repo/tests/golden/results" ] || { echo "run-e2e: no tests/golden in this checkout"; exit 2; }
    sample_dirs=("$repo/tests/golden/samples" "$repo/tests/golden/cases")
    expected="${expected:-$repo/tests/golden/results}"
fi
expected="${expected:-$oracle/samples/results}"
command -v hercules >/dev/null || { echo "run-e2e: hercules is not installed"; exit 2; }

work="$(mktemp -d /tmp/ctape-e2e.XXXXXX)"
server_pids=()
cleanup() {
    for pid in "${server_pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
}
trap cleanup EXIT

# 1. module: headers of Debian's Hercules 3.13, then hdtctape.so
bridge_build_module run-e2e "$work" || exit 2

# 2. server on a free port (the kernel picks one; a short race with other programs is harmless
#    for a test, and a bind failure shows in the server's log). start_server DIR -> $port.
#    Compared with native Hercules, every test gets a server of its own, started before it and
#    stopped after it: natively each test starts a new Hercules with a drive nobody has used, and
#    drive state a server keeps between tests (a path group id, the zero sense an operator
#    unload leaves pending) would otherwise show in the next test. With --streaming-check one
#    server takes every run with the features on and a second one, in its own directory, every
#    run with them off, so that the state kept between tests evolves alike in both.
start_server() {
    local dir="$1" cmd pid
    mkdir -p "$dir"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    cmd="${server_cmd//\{port\}/$port}"
    cmd="${cmd//\{log\}/$dir/server.log}"
    cmd="${cmd//\{dir\}/$dir}"
    printf '# written by tests/bridge/run-e2e.sh\ninclude "%s";\nimage-folder "%s";\n' "$base_config" "$work" >"$dir/ctape.conf"
    [ -z "$extra_config" ] || printf 'include "%s";\n' "$extra_config" >>"$dir/ctape.conf"
    cmd="${cmd//\{config\}/$dir/ctape.conf}"
    (cd "$dir" && exec bash -c "exec $cmd") >"$dir/server.out" 2>&1 &
    pid=$!
    server_pids+=("$pid")
    for _ in $(seq 1 100); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2).close()" 2>/dev/null; then
            break
        fi
        kill -0 "$pid" 2>/dev/null || { cat "$dir/server.out" >&2; echo "run-e2e: server exited" >&2; exit 2; }
        sleep 0.1
    done
    echo "server: $cmd (pid $pid), work dir $dir"
}
stop_last_server() {
    local pid="${server_pids[-1]}"
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    unset 'server_pids[-1]'
}
if [ "$streaming" = 1 ]; then
    start_server "$work/plain-server"
    plain_port="$port"
    start_server "$work"
fi

# 3. samples
if [ ${#samples[@]} -eq 0 ]; then
    for t in $(for d in "${sample_dirs[@]}"; do ls "$d"/*.json; done); do
        name="$(basename "$t" .json)"
        [ "$name" = "11_timeout" ] && continue
        dev="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("device",""))' "$t")"
        [ "$dev" = "$device" ] && samples+=("$t")
    done
fi
# exercised LINE: the server's detach line for the connection that ended after LINE of its log
# counts blocks written behind and read ahead, and referred with --expect-references
# (Connection.StreamingSummary)
referred='[0-9]+'
[ "$expect_references" = 1 ] && referred='[1-9][0-9]*'
exercised() {
    for _ in $(seq 1 20); do
        tail -n +"$(($1 + 1))" "$work/server.out" \
            | grep -Eq "write-behind: [1-9][0-9]* blocks; read-ahead: [1-9][0-9]* blocks sent \\($referred by reference\\)" \
            && return 0
        sleep 0.1
    done
    return 1
}
pass=0; fail=0
for t in "${samples[@]}"; do
    if [ ! -f "$t" ]; then
        for d in "${sample_dirs[@]}"; do [ -f "$d/$t.json" ] && { t="$d/$t.json"; break; }; done
    fi
    name="$(basename "$t" .json)"
    reference="$expected/$name.json"
    against=native
    if [ "$streaming" = 1 ]; then
        mkdir -p "$work/plain"; reference="$work/plain/$name.json"
        against=bridge
        HDTCTAPE_FEATURES=none python3 "$oracle/run.py" "$t" --sanitize --timeout 60 \
            --device-line "CTAPE 127.0.0.1:$plain_port {tape} {options}${device_options:+ $device_options}" \
            --module-dir "$repo/hercules" --workdir "$work/$name.plain" >"$reference" 2>"$work/$name.plain.err"
    fi
    if [ ! -f "$t" ] || [ ! -f "$reference" ]; then
        echo "FAIL $name: test or expected result missing"; fail=$((fail+1)); continue
    fi
    if [ "$streaming" = 1 ]; then
        log_mark="$(wc -l <"$work/server.out")"
    else
        start_server "$work/$name.server" >>"$work/servers.log"
    fi
    python3 "$oracle/run.py" "$t" --sanitize --timeout 60 \
        --device-line "CTAPE 127.0.0.1:$port {tape} {options}${device_options:+ $device_options}" \
        --module-dir "$repo/hercules" --workdir "$work/$name" >"$work/$name.json" 2>"$work/$name.err"
    [ "$streaming" = 1 ] || stop_last_server
    if [ "$streaming" = 1 ] && [ "$name" = stream_write_read ] && ! exercised "$log_mark"; then
        # equal results prove nothing if the features did not run: this test must use them
        echo "FAIL $name: the server's log shows no blocks written behind and read ahead$([ "$expect_references" = 1 ] && echo " by reference")"
        fail=$((fail+1)); continue
    fi
    if diffs="$(python3 "$repo/tests/bridge/compare_results.py" "$reference" "$work/$name.json" \
                --deviations "$registry" --against "$against" --test "$name")"; then
        nknown="$(printf '%s\n' "$diffs" | grep -c '^known:')"
        echo "PASS $name${nknown:+$([ "$nknown" -gt 0 ] && echo " ($nknown fields differ as registered in tests/golden/deviations.json)")}"
        pass=$((pass+1))
    else
        echo "FAIL $name"; printf '%s\n' "$diffs" | sed 's/^/    /'; fail=$((fail+1))
    fi
done
echo "bridge e2e: $pass passed, $fail failed (results and Hercules logs in $work)"
[ "$fail" -eq 0 ]
