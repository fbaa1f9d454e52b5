#!/usr/bin/env bash
# Fuzzes ChannelTape's parsers with AFL (Debian afl++) through SharpFuzz, for a bounded time per target:
# frames and messages of the wire protocol, AWS / HET / FakeTape images, the configuration language and
# the CCW script language (fuzz/README.md). Starts from the committed corpus in fuzz/corpus/TARGET.
#
#   fuzz/run.sh [SECONDS-PER-TARGET] [TARGET...]      default 30 s, every target
#
# Exit 1 when afl-fuzz found a crash (an exception no parser may throw), or an input that still
# takes longer than 30 s when run again on its own; the findings are printed and kept in the work
# folder. .ci/run runs it with 20 s per target. Needs: afl++ (installed here when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frames messages aws het faketape config ccwscript)

if ! command -v afl-fuzz >/dev/null 2>&1; then
    echo "fuzz: installing afl++" >&2
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq afl++ >/dev/null
fi

work="$(mktemp -d /tmp/ctape-fuzz.XXXXXX)"
dotnet tool restore >/dev/null
dotnet publish fuzz/ChannelTape.Fuzz -c Release -o "$work/bin" --nologo -v q >"$work/publish.log" 2>&1 \
    || { cat "$work/publish.log"; echo "fuzz: the harness did not build"; exit 2; }
# SharpFuzz instruments our assemblies (not the framework's) so that AFL sees which branches an input takes.
for assembly in ChannelTape.Core ChannelTape.Protocol ChannelTape.Runtime ChannelTape.Library ChannelTape.Scripts; do
    dotnet sharpfuzz "$work/bin/$assembly.dll" >/dev/null
done

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
       AFL_QUIET=1 AFL_NO_CRASH_README=1 AFL_SKIP_CRASHES=1
status=0
total_execs=0
for target in "${targets[@]}"; do
    afl-fuzz -V "$seconds" -i "fuzz/corpus/$target" -o "$work/$target" -t 10000 -m none \
        -- dotnet "$work/bin/ctape-fuzz.dll" "$target" >"$work/$target.log" 2>&1 || true
    stats="$work/$target/default/fuzzer_stats"
    if [ ! -f "$stats" ]; then
        tail -n 20 "$work/$target.log"
        echo "fuzz $target: afl-fuzz did not run"; status=1; continue
    fi
    execs="$(sed -n 's/^execs_done *: *//p' "$stats")"
    paths="$(sed -n 's/^corpus_count *: *//p' "$stats")"
    total_execs=$((total_execs + execs))
    crashes=("$work/$target/default/crashes"/id*)
    hangs=("$work/$target/default/hangs"/id*)
    found=0
    for input in "${crashes[@]}"; do
        [ -e "$input" ] || continue
        echo "fuzz $target: crash on $input:"
        dotnet "$work/bin/ctape-fuzz.dll" "$target" "$input" 2>&1 | head -n 20 | sed 's/^/    /'
        found=1
    done
    for input in "${hangs[@]}"; do
        [ -e "$input" ] || continue
        # afl-fuzz's timer runs on a busy machine: a hang counts when it still hangs alone
        if ! timeout 30 dotnet "$work/bin/ctape-fuzz.dll" "$target" "$input" >/dev/null 2>&1; then
            echo "fuzz $target: hang on $input (over 30 s alone)"; found=1
        fi
    done
    echo "fuzz $target: $execs inputs in ${seconds} s, $paths in the queue, $([ "$found" = 0 ] && echo "no finding" || echo "FINDINGS")"
    [ "$found" = 0 ] || status=1
done
echo "fuzz: ${#targets[@]} targets, $total_execs inputs, $([ "$status" = 0 ] && echo "no crash or hang" || echo "findings in $work")"
exit "$status"
