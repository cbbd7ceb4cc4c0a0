#!/usr/bin/env bash
# Run fuzz targets one after another, each for SECONDS, one process at a time (the machine has
# two cores shared with everyone):
#
#   fuzz/run.sh 120 record reparse volume      # or: fuzz/run.sh 120 all
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); stable Rust works with RUSTC_BOOTSTRAP=1.
# Crashers land in fuzz/artifacts/<target>/; each line "#N DONE cov: ..." of the log gives the
# executions (full logs: fuzz/artifacts/logs/, git-ignored). Seeds come from fuzz/seed.sh (run it first).
#
# Environment:
#   RUNS=N          stop after N executions instead of SECONDS (pass 0 as SECONDS): a fuzzer
#                   paused with SIGSTOP (say, while a benchmark runs) then loses nothing
#   SANITIZER=none  cargo fuzz's -s (default address); `none` with debug assertions (-a, always
#                   on here) still catches panics and arithmetic overflow at 2-4x the speed
#   NICE=19         run at this niceness so that builds and benchmarks keep the cores
#   TIMEOUT=S       libFuzzer's per-input timeout (default 10 s). A process paused with SIGSTOP
#                   reports its current input as a timeout when it resumes: raise this (600)
#                   before pausing fuzzers for a benchmark
#   JOB=name        a second process on the same target and corpus logs to <target>-<name>.log
#   MAX_LEN=N       override the input size limit (volume: 131072 still holds the $MFT of the
#                   fixtures up to record ~110 and runs twice as fast as 262144)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SECONDS_EACH=${1:?usage: run.sh SECONDS target... | all}
shift
ALL="boot_sector record data_runs attribute_list reparse volume vhd vhdx mbr_gpt"
TARGETS=("$@")
[ "${TARGETS[0]:-all}" = all ] && read -r -a TARGETS <<<"$ALL"
cd "$HERE"
export RUSTC_BOOTSTRAP=1
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t" artifacts/logs
    max_len=65536
    case "$t" in
        volume | vhd | vhdx | mbr_gpt) max_len=262144 ;;
        boot_sector | data_runs | attribute_list | reparse) max_len=16384 ;;
        record) max_len=4097 ;;
    esac
    max_len=${MAX_LEN:-$max_len}
    echo "== $t: ${SECONDS_EACH}s, -max_len=$max_len"
    limit=(-max_total_time="$SECONDS_EACH")
    [ -n "${RUNS:-}" ] && limit=(-runs="$RUNS")
    nice -n "${NICE:-0}" cargo fuzz run -O -a -s "${SANITIZER:-address}" "$t" "corpus/$t" -- \
        "${limit[@]}" -max_len="$max_len" \
        -rss_limit_mb=2048 -timeout="${TIMEOUT:-10}" -print_final_stats=1 2>&1 | tee "artifacts/logs/$t${JOB:+-$JOB}.log" |
        grep -E '^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|Test unit written|ERROR' || true
done
