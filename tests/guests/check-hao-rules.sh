#!/usr/bin/env bash
# The automatic operator rules of `ctape hercules-config --commands` in Debian's Hercules 3.13 itself:
# the rules go in through the rc script (as an installation loads them), console lines of MVS 3.8j,
# OS/VS1 and z/OS are logged with `msgnoh`, and the commands HAO fires (HHCAO003I) must be the
# expected ones. Needs only hercules (no guest, no server: the devinit commands find no device).
#
#   tests/guests/check-hao-rules.sh CTAPE_BINARY
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
ctape="${1:?usage: check-hao-rules.sh CTAPE_BINARY}"
command -v hercules >/dev/null || { echo "check-hao-rules: hercules is not installed"; exit 2; }
work="$(mktemp -d /tmp/ctape-hao.XXXXXX)"
cat >"$work/hao.cnf" <<'CNF'
CPUSERIAL 000001
CPUMODEL  3090
MAINSIZE  2
NUMCPU    1
ARCHMODE  S/370
001F      3215-C  / noprompt
CNF
"$ctape" hercules-config --config "$repo/tests/guests/osvs1.conf" --commands >"$work/rc" \
    || { echo "check-hao-rules: ctape hercules-config failed"; exit 2; }
# console line | the commands it must fire, in order ('' for none). (No administrative serials here:
# the rc script cuts a line at '#', so `msgnoh` cannot log one; tests/guests/run-osvs1.sh mounts
# #DRIVE and #CMD from OS/VS1's own messages.)
cases=(
    "*IEF233A M 480,T00100,,TAPEW,WRITE  P00|sh sleep 1;devinit 480 \"T00100\" "
    "*IEC001A M 480,M00101,SL,MULTIVOL,WRITE P00|sh sleep 1;devinit 480 \"M00101\" SL"
    "IEF233A M 480,SCRTCH,SL,JOB,STEP|sh sleep 1;devinit 480 \"SCRTCH\" SL"
    "*IEF233A M 480,SCRTCH,NL,NLSCR,WRITE  P00|sh sleep 1;devinit 480 \"SCRTCH\" NL"
    "*IEF233A M 0480,T00100,SL,TAPEW,WRITE,CTAPE.PROOF.DATA|sh sleep 1;devinit 0480 \"T00100\" SL"
    "*IEC501A M /0481,PRIVAT,AL,NOCOMP,TAPEW,WRITE,CTAPE.PROOF.DATA|sh sleep 1;devinit 0481 \"PRIVAT\" AL"
    "IEF234E K 480,T00100,PVT,TAPEW|devinit 480 *"
    "IEC502E RK 0480,T00100,SL,TAPEW,WRITE|devinit 0480 *"
    "IEF234E R 480,,TAPEW  P00|"
    "*IEF233A M 482,T00100,,TAPEW,WRITE  P00|"
)
expected=()
for c in "${cases[@]}"; do
    echo "msgnoh ${c%%|*}" >>"$work/rc"
    echo "pause 2" >>"$work/rc"              # lets a rule's sleep end before the next line
    want="${c#*|}"
    IFS=';' read -r -a cmds <<<"$want"
    for w in "${cmds[@]}"; do [ -n "$w" ] && expected+=("$w"); done
done
echo "quit" >>"$work/rc"
(cd "$work" && HERCULES_RC=rc timeout 120 hercules -d -f hao.cnf </dev/null >hercules.log 2>&1)
grep -q "HHCAO016I Target placed" "$work/hercules.log" || { echo "FAIL the rules were not accepted (log in $work)"; exit 1; }
mapfile -t fired < <(sed -n "s/^HHCAO003I Firing command: '\(.*\)'$/\1/p" "$work/hercules.log")
if [ "${fired[*]}" = "${expected[*]}" ]; then
    echo "PASS Hercules 3.13 fired ${#fired[@]} commands for ${#cases[@]} console lines, as expected"
    exit 0
fi
echo "FAIL the automatic operator fired:"; printf '    %s\n' "${fired[@]}"
echo "  expected:"; printf '    %s\n' "${expected[@]}"
echo "(log in $work)"
exit 1
