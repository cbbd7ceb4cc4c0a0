#!/usr/bin/env bash
# Times ntfs-inspect against its peers on the same volume, warm page cache, medians of RUNS runs,
# peak RSS from /usr/bin/time, and checks that every tool finds the same number of paths.
#
#   benches/run.sh bench-data/vol-1m.raw [RUNS]
#
# Peers (built or installed here, outside the project's build, under bench-data/tools):
#   fls -r -p (The Sleuth Kit), fsntfsinfo -H (libfsntfs), mft_dump -o csv (`cargo install mft`,
#   on the $MFT extracted with icat), and benches/peers/ntfs-reader-paths (the ntfs-reader crate).
# Results go to stdout as a Markdown table; docs/performance.md keeps the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
vol=${1:?usage: benches/run.sh VOLUME [RUNS]}
runs=${2:-5}
tools=bench-data/tools
mkdir -p "$tools"
for pkg in sleuthkit libfsntfs-utils time; do
    dpkg -s "$pkg" >/dev/null 2>&1 || apt-get install -y -qq "$pkg" >/dev/null
done
cargo build --release --quiet
[ -x "$tools/bin/mft_dump" ] || cargo install --quiet --root "$tools" mft
# ntfs-reader 0.6 builds for Windows only (compile_error! elsewhere): cross-build it and run it
# under Wine, which reads the image file through its own file I/O (docs/performance.md).
win=x86_64-pc-windows-gnu
[ -f "$tools/ntfs-reader-paths.exe" ] || {
    cargo build --release --quiet --manifest-path benches/peers/ntfs-reader-paths/Cargo.toml \
        --target-dir bench-data/target --target "$win"
    cp "bench-data/target/$win/release/ntfs-reader-paths.exe" "$tools/"
    scripts/windows/build.sh "$PWD/target" >/dev/null
    cp "target/$win/debug/bcryptprimitives.dll" "$tools/"
}
export WINEPREFIX=$PWD/bench-data/wine WINEDEBUG=-all
mkdir -p "$WINEPREFIX"
mft="bench-data/$(basename "$vol").mft"
[ -f "$mft" ] || icat "$vol" 0 > "$mft"

# name | command (output to a file so that the terminal is not timed)
declare -a names cmds
add() { names+=("$1"); cmds+=("$2"); }
add "ntfs-inspect mft --format jsonl" "target/release/ntfs-inspect mft $vol --format jsonl"
add "ntfs-inspect mft --format csv" "target/release/ntfs-inspect mft $vol --format csv"
add "ntfs-reader 0.6 (every path, under Wine)" "/usr/lib/wine/wine64 $tools/ntfs-reader-paths.exe $vol"
add "mft_dump -o csv" "$tools/bin/mft_dump -o csv $mft"
add "fsntfsinfo -H" "fsntfsinfo -H $vol"
add "fls -r -p" "fls -r -p $vol"

cat "$vol" > /dev/null # warm the page cache
echo "| tool | median wall (s) | runs (s) | peak RSS (MiB) | output lines |"
echo "|---|---|---|---|---|"
for i in "${!names[@]}"; do
    times=()
    rss=0
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" -o bench-data/time.txt bash -c "${cmds[$i]} > bench-data/out.txt 2>/dev/null" || true
        read -r t m < bench-data/time.txt
        times+=("$t")
        (( m > rss )) && rss=$m
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    lines=$(wc -l < bench-data/out.txt)
    echo "| ${names[$i]} | $median | ${times[*]} | $((rss / 1024)) | $lines |"
done
