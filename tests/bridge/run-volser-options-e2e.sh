#!/usr/bin/env bash
# A Hercules device statement naming a library volume with options, `0580 CTAPE HOST:PORT T00001 ro`
# (hercules/README.md, "Configure"), mounts that volume read-only: the guest reads its VOL1 and a
# Write is refused as file protected. Debian's Hercules 3.13, hercules/hdtctape.so, `ctape serve`
# on its built-in configuration; the guest is the repository's (tools/guest/run.py), or the reference
# runner's with --oracle DIR (or $CTAPE_ORACLE_DIR): the check compares with nothing but its own
# expectations, so it runs without ../shared.
#
#   tests/bridge/run-volser-options-e2e.sh CTAPE_BINARY [--oracle DIR]
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
. "$repo/tests/bridge/lib.sh"
ctape="${1:?usage: run-volser-options-e2e.sh CTAPE_BINARY [--oracle DIR]}"
shift
oracle="${CTAPE_ORACLE_DIR:-$repo/tools/guest}"
[ "${1:-}" = "--oracle" ] && oracle="$2"
[ -f "$oracle/run.py" ] || { echo "run-volser-options-e2e: no guest runner at $oracle"; exit 2; }

work="$(mktemp -d /tmp/ctape-volser-e2e.XXXXXX)"
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null' EXIT

bridge_build_module run-volser-options-e2e "$work" || exit 2
bridge_start_server run-volser-options-e2e "$work" "$ctape" || exit 2

python3 "$oracle/run.py" "$repo/tests/bridge/cases/volser_with_options.json" --sanitize --timeout 60 --full-data \
    --device-line "CTAPE 127.0.0.1:$port T00001 ro" \
    --module-dir "$repo/hercules" --workdir "$work/guest" >"$work/result.json" 2>"$work/run.err" \
    || { cat "$work/run.err"; echo "run-volser-options-e2e: the guest runner failed (logs in $work)"; exit 1; }
python3 - "$work/result.json" "$work/server.log" <<'PY' || { echo "(result and logs in $work)"; exit 1; }
import codecs, json, sys
result = json.load(open(sys.argv[1]))
log = open(sys.argv[2]).read()
programs = result["programs"]
checks = []
vol1 = bytes.fromhex(programs[0]["data"][0]["data_hex"]) if programs[0]["data"] else b""
checks.append(("the device statement mounted T00001 (VOL1 read)", codecs.decode(vol1, "cp037").startswith("VOL1T00001")))
checks.append(("the server mounted it read-only", "T00001 mounted R/O" in log))
write = programs[1]
sense = bytes.fromhex(write.get("sense_hex") or "")
checks.append(("a Write ends with unit check", "UC" in write["unit_status_names"]))
checks.append(("sense says file protected (byte 1 bit 02)", len(sense) > 1 and sense[1] & 0x02 != 0))
failed = 0
for name, ok in checks:
    print(("PASS " if ok else "FAIL ") + name)
    failed += not ok
print(f"volser with options through Hercules: {'PASS' if failed == 0 else 'FAIL'} ({failed} failed)")
sys.exit(1 if failed else 0)
PY
