#!/usr/bin/env bash
# Run fuzz targets one after another, each for SECONDS, one process at a time (the machine has
# two cores shared with everyone):
#
#   fuzz/run.sh 120 record reparse volume      # or: fuzz/run.sh 120 all
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); stable Rust works with RUSTC_BOOTSTRAP=1.
# Crashers land in fuzz/artifacts/<target>/; each line "#N DONE cov: ..." of the log gives the
# executions (full logs: fuzz/artifacts/logs/, git-ignored). Seeds come from fuzz/seed.sh (run it first).
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
    echo "== $t: ${SECONDS_EACH}s, -max_len=$max_len"
    cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$SECONDS_EACH" -max_len="$max_len" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 | tee "artifacts/logs/$t.log" |
        grep -E '^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|Test unit written|ERROR' || true
done
