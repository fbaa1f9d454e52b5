# Sourced by the checks that run a guest through hercules/hdtctape.so (the scripts in tests/bridge,
# tests/guests/run-osvs1.sh); they set $repo first. Each function prints why it failed, names the
# calling check, and returns 2 (a set-up failure).

# bridge_build_module NAME WORK: hercules/hdtctape.so for Debian's Hercules 3.13 (log in WORK/make.log)
bridge_build_module() {
    local name="$1" work="$2" herc_src
    herc_src="$("$repo/scripts/hercules-headers.sh" | tail -n 1)" || { echo "$name: no Hercules headers"; return 2; }
    make -s -C "$repo/hercules" HERC_SRC="$herc_src" HERC_FLAVOR=313 >"$work/make.log" 2>&1 \
        || { cat "$work/make.log"; echo "$name: module build failed"; return 2; }
}

# bridge_start_server NAME WORK CTAPE [SERVE ARGUMENTS...]: `ctape serve` on a free port of 127.0.0.1
# with its data in WORK/data and no management API, its log in WORK/server.log; sets $port and
# $server_pid (the caller's EXIT trap stops it) once it listens.
bridge_start_server() {
    local name="$1" work="$2" ctape="$3"
    shift 3
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    "$ctape" serve --listen "127.0.0.1:$port" --no-http --data "$work/data" "$@" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        grep -q "listening on" "$work/server.log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q "listening on" "$work/server.log" || { cat "$work/server.log"; echo "$name: server did not start"; return 2; }
}
