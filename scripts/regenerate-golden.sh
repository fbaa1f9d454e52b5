#!/usr/bin/env bash
# Reruns every golden test (tests/golden/cases/*.json and tests/golden/samples/*.json) through the
# Hercules 3.13 reference runner and rewrites tests/golden/results/<name>.json.
# Needs the reference runner (../shared/oracle, or ORACLE_DIR=...) and Hercules 3.13 installed.
# Not used by the tests: they compare against the committed results.
# Usage: scripts/regenerate-golden.sh [NAME ...]   (default: all)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
oracle_dir=${ORACLE_DIR:-$root/../shared/oracle}
runner=$oracle_dir/run.py
if [[ ! -f $runner ]]; then
    echo "regenerate-golden: reference runner not found at $runner (set ORACLE_DIR)" >&2
    exit 2
fi
workroot=${GOLDEN_WORKDIR:-${TMPDIR:-/tmp}/ctape-golden}
results=$root/tests/golden/results
mkdir -p "$results" "$workroot"

tests=()
if [[ $# -gt 0 ]]; then
    for name in "$@"; do
        for dir in cases samples; do
            [[ -f $root/tests/golden/$dir/$name.json ]] && tests+=("$root/tests/golden/$dir/$name.json")
        done
    done
else
    tests=("$root"/tests/golden/cases/*.json "$root"/tests/golden/samples/*.json)
fi

failed=0
for test in "${tests[@]}"; do
    name=$(basename "$test" .json)
    if python3 "$runner" "$test" --sanitize --workdir "$workroot/$name" > "$results/$name.json.new"; then
        mv "$results/$name.json.new" "$results/$name.json"
        echo "ok      $name"
    else
        echo "FAILED  $name (output kept in $results/$name.json.new)" >&2
        failed=$((failed + 1))
    fi
done
echo "regenerate-golden: ${#tests[@]} tests, $failed failed"
[[ $failed -eq 0 ]]
