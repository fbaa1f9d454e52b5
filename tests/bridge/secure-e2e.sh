#!/usr/bin/env bash
# The Hercules module against a ctape serve that wants a shared secret (docs/protocol.md §2.1) and
# offers TLS on the same port (§1.1), with real Hercules 3.13 (issue 13, item 2):
#   1. device statements with secret=FILE: the samples give the native Hercules results;
#   2. with secret=FILE tls tlsca=CERT (a certificate this script makes with openssl): the same,
#      and the server's log shows the connections came through TLS and authenticated;
#   3. without the secret, and with a wrong one: the server refuses the module (its log says why) and
#      the guest finds the drive not ready (its result differs from the native one).
#
#   tests/bridge/secure-e2e.sh CTAPE_BINARY [--oracle DIR]
#
# Needs what run-e2e.sh needs, and openssl.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
ctape="${1:?usage: secure-e2e.sh CTAPE_BINARY [--oracle DIR]}"
shift
oracle="${CTAPE_ORACLE_DIR:-$repo/../shared/oracle}"
[ "${1:-}" = "--oracle" ] && oracle="$2"
[ -f "$oracle/run.py" ] || { echo "secure-e2e: no reference runner at $oracle"; exit 2; }
command -v openssl >/dev/null || { echo "secure-e2e: openssl is not installed"; exit 2; }

work="$(mktemp -d /tmp/ctape-secure-e2e.XXXXXX)"
openssl rand -hex 32 >"$work/shared.secret"
openssl rand -hex 32 >"$work/wrong.secret"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$work/server.key" -out "$work/server.pem" \
    >"$work/openssl.log" 2>&1 || { cat "$work/openssl.log"; echo "secure-e2e: openssl could not make a certificate"; exit 2; }
cat >"$work/security.conf" <<CONF
security {
    secret-file "$work/shared.secret";
    certificate "$work/server.pem";
    key "$work/server.key";
    audit-log "$work/audit.log";
}
CONF
server="$ctape serve --listen 127.0.0.1:{port} --no-http --config {config} --data {dir}/data"
status=0
samples=(03_write_read 04_positioning 05_mount)

run() {   # NAME DEVICE-OPTIONS EXPECT(pass|fail)
    local name="$1" options="$2" expect="$3" out rc
    out="$("$repo/tests/bridge/run-e2e.sh" --oracle "$oracle" --extra-config "$work/security.conf" \
        --device-options "$options" --server "$server" "${samples[@]}" 2>&1)"
    rc=$?
    # (the refused runs' per-sample lines are what refusal looks like; only the passing runs' are shown)
    [ "$expect" = fail ] || printf '%s\n' "$out" | grep -E '^(PASS|FAIL) ' | sed "s/^/  [$name] /"
    # the folder run-e2e.sh left its servers' logs in
    logs="$(printf '%s\n' "$out" | sed -n 's/.*(results and Hercules logs in \(.*\))$/\1/p' | tail -n 1)"
    if [ "$expect" = pass ] && [ "$rc" -ne 0 ]; then
        echo "FAIL $name: the samples should give the native results"; status=1; return
    fi
    if [ "$expect" = fail ] && [ "$rc" -eq 0 ]; then
        echo "FAIL $name: the module should have been refused"; status=1; return
    fi
    echo "PASS $name"
}

run secret "secret=$work/shared.secret" pass
grep -q "authenticated with the shared secret" "$logs"/*.server/server.out \
    || { echo "FAIL secret: no authentication in the server's log"; status=1; }
run secret-and-tls "secret=$work/shared.secret tlsca=$work/server.pem" pass
grep -q "authenticated over TLS with the shared secret" "$logs"/*.server/server.out \
    || { echo "FAIL secret-and-tls: no authentication over TLS in the server's log"; status=1; }
run no-secret "" fail
grep -q "authentication refused" "$logs"/*.server/server.out \
    || { echo "FAIL no-secret: the server's log does not say why it refused"; status=1; }
run wrong-secret "secret=$work/wrong.secret" fail
grep -q "authentication refused.*wrong proof" "$logs"/*.server/server.out \
    || { echo "FAIL wrong-secret: the server's log does not say the proof was wrong"; status=1; }
echo "secure e2e: $([ "$status" = 0 ] && echo "every check passed" || echo "some checks failed") (work in $work)"
exit "$status"
