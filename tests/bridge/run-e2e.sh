#!/usr/bin/env bash
# End to end through real Hercules: Debian's /usr/bin/hercules 3.13 runs the reference runner's
# guest program, whose channel programs go through hercules/hdtctape.so over TCP to a
# ChannelTape server; each sample's result must equal the native Hercules result.
#
#   tests/bridge/run-e2e.sh [--server 'COMMAND'] [--oracle DIR] [--expected DIR] [SAMPLE...]
#
#   --server   command that starts a server (also $CTAPE_E2E_SERVER); "{port}" in it is
#              replaced by a free port, "{log}" by a log file path, "{dir}" by the run's work
#              directory. It runs in that directory (a server's data stays there), so give
#              programs with absolute paths. Default: the Python test peer,
#              'python3 tests/bridge/fake_server.py --listen 127.0.0.1:{port} --log {log}'.
#              For the .NET server, e.g. --server '/abs/path/ctape serve --listen 127.0.0.1:{port}'.
#   --oracle   the reference runner (default ../shared/oracle next to the repository, or
#              $CTAPE_ORACLE_DIR).
#   --expected native results to compare with (default: <oracle>/samples/results).
#   --golden   the repository's golden tests instead: tests/golden/samples and tests/golden/cases
#              of device 3490, compared with tests/golden/results (still run by <oracle>/run.py).
#   SAMPLE     test names (looked up in those folders) or JSON paths (default: every one of device
#              3490, except 11_timeout, an endless channel program that hangs Hercules' CPU).
#
# Prints one "PASS name" / "FAIL name" line per sample (with the differing fields) and a
# summary line; exit status 1 when any sample fails, 2 when the set-up fails.
# Needs: hercules, binutils-s390x-linux-gnu, gcc, python3; root or sudo the first time (the
# Hercules 3.13 headers, see scripts/hercules-headers.sh). Not part of `dotnet test`.
set -uo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
default_server="python3 $repo/tests/bridge/fake_server.py --listen 127.0.0.1:{port} --log {log}"
server_cmd="${CTAPE_E2E_SERVER:-$default_server}"
oracle="${CTAPE_ORACLE_DIR:-$repo/../shared/oracle}"
expected=""
samples=()
golden=0
while [ $# -gt 0 ]; do
    case "$1" in
        --server) server_cmd="$2"; shift 2 ;;
        --oracle) oracle="$2"; shift 2 ;;
        --expected) expected="$2"; shift 2 ;;
        --golden) golden=1; shift ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        *) samples+=("$1"); shift ;;
    esac
done
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
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
}
trap cleanup EXIT

# 1. module: headers of Debian's Hercules 3.13, then hdtctape.so
herc_src="$("$repo/scripts/hercules-headers.sh" | tail -n 1)" || { echo "run-e2e: no Hercules headers"; exit 2; }
make -s -C "$repo/hercules" HERC_SRC="$herc_src" HERC_FLAVOR=313 >"$work/make.log" 2>&1 \
    || { cat "$work/make.log"; echo "run-e2e: module build failed"; exit 2; }

# 2. server on a free port (the kernel picks one; a short race with other programs is harmless
#    for a test, and a bind failure shows in the server's log)
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cmd="${server_cmd//\{port\}/$port}"
cmd="${cmd//\{log\}/$work/server.log}"
cmd="${cmd//\{dir\}/$work}"
(cd "$work" && exec bash -c "exec $cmd") >"$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2).close()" 2>/dev/null; then
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.out"; echo "run-e2e: server exited"; exit 2; }
    sleep 0.1
done
echo "server: $cmd (pid $server_pid), work dir $work"

# 3. samples
if [ ${#samples[@]} -eq 0 ]; then
    for t in $(for d in "${sample_dirs[@]}"; do ls "$d"/*.json; done); do
        name="$(basename "$t" .json)"
        [ "$name" = "11_timeout" ] && continue
        dev="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("device",""))' "$t")"
        [ "$dev" = "3490" ] && samples+=("$t")
    done
fi
pass=0; fail=0
for t in "${samples[@]}"; do
    if [ ! -f "$t" ]; then
        for d in "${sample_dirs[@]}"; do [ -f "$d/$t.json" ] && { t="$d/$t.json"; break; }; done
    fi
    name="$(basename "$t" .json)"
    if [ ! -f "$t" ] || [ ! -f "$expected/$name.json" ]; then
        echo "FAIL $name: test or expected result missing"; fail=$((fail+1)); continue
    fi
    python3 "$oracle/run.py" "$t" --sanitize --timeout 60 \
        --device-line "CTAPE 127.0.0.1:$port {tape} {options}" \
        --module-dir "$repo/hercules" --workdir "$work/$name" >"$work/$name.json" 2>"$work/$name.err"
    if diffs="$(python3 "$repo/tests/bridge/compare_results.py" "$expected/$name.json" "$work/$name.json" \
                --known "$repo/tests/bridge/known-deviations.txt")"; then
        nknown="$(printf '%s\n' "$diffs" | grep -c '^known:')"
        echo "PASS $name${nknown:+$([ "$nknown" -gt 0 ] && echo " ($nknown known deviations, tests/bridge/known-deviations.txt)")}"
        pass=$((pass+1))
    else
        echo "FAIL $name"; printf '%s\n' "$diffs" | sed 's/^/    /'; fail=$((fail+1))
    fi
done
echo "bridge e2e: $pass passed, $fail failed (results and Hercules logs in $work)"
[ "$fail" -eq 0 ]
