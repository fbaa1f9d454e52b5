#!/usr/bin/env bash
# A real IBM operating system uses ChannelTape with nobody at its console (docs/guests.md): the
# OS/VS1 Release 6.0 starter system of the guest kit (${CTAPE_GUESTS_DIR:-../shared/guests}/osvs1,
# its README) IPLs under Debian's Hercules 3.13 with the drives and the automatic operator rules
# that `ctape hercules-config` prints (NO_OPERATOR=1: the kit's driver answers no mount message),
# and runs jobs through hercules/hdtctape.so to `ctape serve` (tests/guests/osvs1.conf):
#   tapetest   the kit's job: IEBGENER writes an SL data set to T00100, a second step reads it
#   lmsread    the kit's library management job: VOL=SER=#DRIVE, prints CTAPE.STATUS.DRIVES
#   twods      two data sets on one volume (LABEL=(2,SL)), both read back
#   multivol   a data set larger than a volume: end of volume asks for the second, reading spans both
#   scratch    a non-specific volume (no VOL=SER): a scratch volume of the drive's pool
#   nlscratch  a non-specific unlabelled volume (LABEL=(1,NL)): a scratch volume given no labels
#   nl         an unlabelled tape (LABEL=(1,NL))
#   command    IEBGENER writes requests to the command volume #CMD, a second step reads the response
# then checks the catalog (`ctape volume list --json`): the volumes private with their data set
# names, the scratch pool one volume smaller, the command's change applied. Once per run the kit's
# job runs on Hercules' own 3420 and on a CTAPE drive with CCWTRACE=1, and the two CCW traces of
# drive 480, addresses normalised, must be equal line for line.
#
#   tests/guests/run-osvs1.sh CTAPE_BINARY [--kit DIR] [JOB...]
#
# HDTCTAPE_FEATURES (hercules/README.md) applies to the jobs; the traced job always asks for every
# streaming feature. Exit status 0 when every job and check passed, 1 when one failed, 2 when the set-up failed (no
# kit: nothing runs). One work folder holds everything (the kit restores its system volume once).
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
. "$repo/tests/bridge/lib.sh"
ctape="${1:?usage: run-osvs1.sh CTAPE_BINARY [--kit DIR] [JOB...]}"; shift
kit="${CTAPE_GUESTS_DIR:-$repo/../shared/guests}/osvs1"
if [ "${1:-}" = --kit ]; then kit="$2"; shift 2; fi
jobs=("$@")
[ ${#jobs[@]} -gt 0 ] || jobs=(tapetest lmsread twods multivol scratch nlscratch nl command trace)
[ -x "$kit/run.sh" ] || { echo "run-osvs1: no OS/VS1 kit at $kit"; exit 2; }
kit="$(cd "$kit" && pwd)"
ctape="$(cd "$(dirname "$ctape")" && pwd)/$(basename "$ctape")"
conf="$repo/tests/guests/osvs1.conf"
jcl="$repo/tests/guests/osvs1"

work="$(mktemp -d /tmp/ctape-osvs1.XXXXXX)"
vs1="$work/vs1"
server_pid=""
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid"; wait "$server_pid" 2>/dev/null
    fi
    server_pid=""
}
trap stop_server EXIT

bridge_build_module run-osvs1 "$work" || exit 2
bridge_start_server run-osvs1 "$work" "$ctape" --config "$conf" || exit 2

# what an installation puts into its Hercules configuration and rc script
"$ctape" hercules-config --config "$conf" --server "127.0.0.1:$port" --module-dir "$repo/hercules" >"$work/devices.cnf" \
    && "$ctape" hercules-config --config "$conf" --commands >"$work/automation.rc" \
    || { echo "run-osvs1: ctape hercules-config failed"; exit 2; }

# multivol's card deck: 3000 records of 80 bytes
{
    sed -n '1,/^\/\/SYSUT1/p' "$jcl/multivol.jcl"
    for i in $(seq -w 1 3000); do printf 'CTAPE MULTI-VOLUME RECORD %s\n' "$i"; done
    sed -n '/^\/\*$/,$p' "$jcl/multivol.jcl"
} >"$work/multivol.jcl"

pass=0; fail=0
result() {  # NAME OK [WHY]
    if [ "$2" = 0 ]; then echo "PASS $1"; pass=$((pass+1)); else echo "FAIL $1${3:+: $3} (logs in $work/$1)"; fail=$((fail+1)); fi
}

# run_job NAME JCL VOLSER [ENV...]: the job through ctape serve, nobody at the console; keeps
# the Hercules log and the printout in $work/NAME
run_job() {
    local name="$1" job="$2" volser="$3"; shift 3
    mkdir -p "$work/$name"
    env "$@" NO_OPERATOR=1 JOB="$job" DEVICE_LINES="$work/devices.cnf" RC_LINES="$work/automation.rc" \
        "$kit/run.sh" "$vs1" --ctape "$repo/hercules" "127.0.0.1:$port" "$volser" >"$work/$name/run.out" 2>&1
    local rc=$?
    cp "$vs1/vs1.log" "$work/$name/vs1.log" 2>/dev/null
    cp "$vs1/prt/prt00e.txt" "$work/$name/prt00e.txt" 2>/dev/null
    return $rc
}
printed() { grep -q -- "$2" "$work/$1/prt00e.txt" 2>/dev/null; }

for job in "${jobs[@]}"; do
    case "$job" in
    tapetest)
        run_job tapetest "$kit/tapetest.jcl" T00100 && printed tapetest "CTAPE PROOF RECORD 0005 - LAST RECORD"
        result tapetest $? "both steps COND CODE 0000 and the records read back" ;;
    lmsread)
        run_job lmsread "$kit/lmsread.jcl" - && printed lmsread "H CTAPE-STATUS DRIVES" && printed lmsread "^ *D 0480 "
        result lmsread $? "#DRIVE mounted and CTAPE.STATUS.DRIVES printed with drive 0480" ;;
    twods)
        run_job twods "$jcl/twods.jcl" T00101 && printed twods "CTAPE FIRST DATA SET RECORD 0002" \
            && printed twods "CTAPE SECOND DATA SET RECORD 0003"
        result twods $? "both data sets written and read back" ;;
    multivol)
        run_job multivol "$work/multivol.jcl" - && printed multivol "CTAPE MULTI-VOLUME RECORD 3000" \
            && grep -q "M00101 mounted" "$work/server.log"
        result multivol $? "the data set spans M00100 and M00101 and reads back to record 3000" ;;
    scratch)
        run_job scratch "$jcl/scratch.jcl" - && printed scratch "CTAPE SCRATCH VOLUME RECORD 0002" \
            && grep -q "scratch volume S001.. of pool VS1SCR allocated" "$work/server.log"
        result scratch $? "a scratch volume of VS1SCR mounted for the non-specific request and read back" ;;
    nlscratch)
        run_job nlscratch "$jcl/nlscratch.jcl" - && printed nlscratch "CTAPE NL SCRATCH RECORD 0002" \
            && grep -q "Firing command: 'devinit 480 \"SCRTCH\" NL'" "$work/nlscratch/vs1.log"
        result nlscratch $? "a scratch volume of VS1SCR mounted without labels for the NL request and read back" ;;
    nl)
        run_job nl "$jcl/nl.jcl" N00100 && printed nl "CTAPE UNLABELLED TAPE RECORD 0002"
        result nl $? "the unlabelled tape written and read back" ;;
    command)
        run_job command "$jcl/command.jcl" - && printed command "T00108"
        result command $? "requests written to #CMD and the response read" ;;
    trace)
        # the kit's job on Hercules' own 3420 (an AWS file, T00001) and on CTAPE (library volume T00001)
        mkdir -p "$work/trace"
        CCWTRACE=1 "$kit/run.sh" "$vs1" >"$work/trace/native.out" 2>&1; native=$?
        cp "$vs1/vs1.log" "$work/trace/native.log" 2>/dev/null
        # (with write-behind and read-ahead on, whatever HDTCTAPE_FEATURES the jobs ran with: they must not
        # change what the guest sees)
        run_job trace-ctape "$kit/tapetest.jcl" T00001 CCWTRACE=1 HDTCTAPE_FEATURES=write-behind,read-ahead,read-by-reference; bridged=$?
        if [ $native -ne 0 ] || [ $bridged -ne 0 ]; then
            result trace 1 "the job failed (native $native, ctape $bridged)"
        else
            python3 "$repo/tests/guests/compare_ccw_traces.py" 480 "$work/trace/native.log" "$work/trace-ctape/vs1.log" >"$work/trace/diff.txt" 2>&1
            rc=$?; cat "$work/trace/diff.txt" | head -20
            result trace $rc "CCW traces of drive 480 differ"
        fi ;;
    *) echo "run-osvs1: unknown job $job"; exit 2 ;;
    esac
done

# the catalog after the jobs (the server stopped: ctape volume list reads the data folder itself)
stop_server
"$ctape" volume list --json --data "$work/data" >"$work/volumes.json" 2>"$work/volumes.err" \
    || { cat "$work/volumes.err"; result catalog 1 "ctape volume list failed"; }
if [ -s "$work/volumes.json" ]; then
    python3 - "$work/volumes.json" "${jobs[@]}" <<'PY'
import json, sys
volumes = {v["volser"]: v for v in json.load(open(sys.argv[1]))}
jobs = set(sys.argv[2:])
checks = []
def private_with(volser, dsn):
    v = volumes.get(volser, {})
    return v.get("status") == "private" and (v.get("dataSetName") or "").endswith(dsn)
if "tapetest" in jobs:
    checks.append(("T00100 private with CTAPE.PROOF.DATA", private_with("T00100", "PROOF.DATA")))
if "twods" in jobs:
    checks.append(("T00101 private, holding the data sets of twods", volumes.get("T00101", {}).get("status") == "private"
                   and volumes["T00101"].get("dataSetName") is not None))
if "multivol" in jobs:
    checks.append(("M00100 and M00101 private with CTAPE.MULTI.DATA",
                   private_with("M00100", "MULTI.DATA") and private_with("M00101", "MULTI.DATA")))
scratch_jobs = {"scratch", "nlscratch"}
if jobs & scratch_jobs:
    pool = [v for v in volumes.values() if v["pool"] == "VS1SCR"]
    taken = [v for v in pool if v["status"] != "scratch"]
    wanted = len(jobs & scratch_jobs)
    checks.append((f"pool VS1SCR has {wanted} scratch volume(s) fewer ({5 - wanted} of 5)", len(pool) == 5 and len(taken) == wanted))
    if "scratch" in jobs:
        mine = [v for v in taken if (v.get("dataSetName") or "").endswith("SCRATCH.DATA")]
        checks.append(("the scratch volume of scratch is private, SL, with CTAPE.SCRATCH.DATA",
                       len(mine) == 1 and mine[0]["status"] == "private" and mine[0].get("labels") == "SL"))
    if "nlscratch" in jobs:
        mine = [v for v in taken if v.get("labels") == "NL"]
        checks.append(("the scratch volume of nlscratch is private, NL (an SL pool's volume given no labels), written",
                       len(mine) == 1 and mine[0]["status"] == "private" and mine[0].get("blocks", 0) > 0))
if "nl" in jobs:
    checks.append(("N00100 private, written", volumes.get("N00100", {}).get("status") == "private"
                   and volumes["N00100"].get("blocks", 0) > 0))
if "command" in jobs:
    checks.append(("the command volume's READONLY T00108 applied", volumes.get("T00108", {}).get("readOnly") is True))
failed = 0
for name, ok in checks:
    print(("PASS " if ok else "FAIL ") + "catalog: " + name)
    failed += not ok
sys.exit(1 if failed else 0)
PY
    rc=$?; [ $rc -eq 0 ] && pass=$((pass+1)) || fail=$((fail+1))
fi
echo "OS/VS1 guest: $pass passed, $fail failed (work folder $work)"
[ "$fail" -eq 0 ]
