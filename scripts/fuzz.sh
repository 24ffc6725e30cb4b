#!/bin/sh
# `make fuzz`: run every libFuzzer target for SECONDS each, starting from the
# seeds fuzz/seeds.sh generated and the corpus earlier runs grew, and fail on
# the first crash, leak, sanitizer report or timeout.
#   scripts/fuzz.sh SECONDS build/fuzz/fuzz_NAME ...
# Target fuzz_NAME takes its seeds from build/fuzz/seeds/NAME; a crashing
# input is kept as build/fuzz/artifacts/NAME-crash-<sha1> and can be replayed
# with `build/fuzz/fuzz_NAME FILE`.
set -eu
SECONDS_EACH=$1
shift
mkdir -p build/fuzz/artifacts build/fuzz/logs
failed=0
for bin in "$@"; do
    name=${bin##*/fuzz_}
    corpus=build/fuzz/corpus/$name
    seeds=build/fuzz/seeds/$name
    log=build/fuzz/logs/$name.log
    mkdir -p "$corpus" "$seeds"
    # One worker, bounded in time, memory and per-input time, so that the
    # whole run costs targets x SECONDS.
    if "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$name-" \
        "$corpus" "$seeds" >"$log" 2>&1; then
        runs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$log" | tail -n 1)
        cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
        printf 'fuzz %-12s %10s executions, coverage %s, no crash\n' \
            "$name:" "${runs:-?}" "${cov:-?}"
    else
        failed=$((failed + 1))
        printf 'fuzz %-12s FAILED (log: %s)\n' "$name:" "$log"
        grep -E 'ERROR|runtime error|SUMMARY|Test unit written|^ +#[0-9]+ ' \
            "$log" | head -n 30 >&2 || true
    fi
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz: $failed target(s) failed" >&2
    exit 1
fi
echo "fuzz: $# targets, ${SECONDS_EACH}s each, no crash"
