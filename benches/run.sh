#!/usr/bin/env bash
# Times ntfs-inspect against its peers on the same volume, warm page cache, medians of RUNS runs,
# peak RSS from /usr/bin/time, and checks that every tool finds the same number of paths.
#
#   benches/run.sh bench-data/vol-1m.raw [RUNS]
#
# Peers (built or installed here, outside the project's build, under bench-data/tools):
#   fls -r -p (The Sleuth Kit), fsntfsinfo -H (libfsntfs), mft_dump -o csv (`cargo install mft`,
#   on the $MFT extracted with icat), and benches/peers/ntfs-reader-paths (the ntfs-reader crate).
# Results go to stdout as Markdown tables; docs/performance.md keeps the figures.
#
# Also measured: a dynamic VHD of the volume (VOLUME with .vhd for .raw, when it exists: make
# it with `qemu-img convert -O vpc -o subformat=dynamic`), peak anonymous memory of
# ntfs-inspect (RssAnon sampled from /proc every 10 ms: /usr/bin/time's peak RSS counts the
# page-cache pages of the image too), and, as root, a cold page cache: `ntfs-inspect mft`
# against reading the same $MFT bytes with `icat VOLUME 0`, each after dropping the caches.
# Other processes on the machine (a fuzzer, say) should be stopped while this runs.
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
rustup target list --installed | grep -qx "$win" || rustup target add "$win"
for pkg in gcc-mingw-w64-x86-64 wine wine64; do
    dpkg -s "$pkg" >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
done
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
vhd="${vol%.raw}.vhd"
[ "$vhd" != "$vol" ] && [ -f "$vhd" ] &&
    add "ntfs-inspect mft --format jsonl (dynamic VHD)" "target/release/ntfs-inspect mft $vhd --format jsonl"
add "ntfs-reader 0.6 (every path, under Wine)" "/usr/lib/wine/wine64 $tools/ntfs-reader-paths.exe $vol"
add "mft_dump -o csv" "$tools/bin/mft_dump -o csv $mft"
add "fsntfsinfo -H" "fsntfsinfo -H $vol"
add "fls -r -p" "fls -r -p $vol"

cat "$vol" > /dev/null # warm the page cache
# Peak RssAnon (KiB) of a command, sampled every 10 ms.
peak_anon() {
    bash -c "$1 > /dev/null 2>&1" &
    local pid=$! peak=0 a
    while kill -0 "$pid" 2>/dev/null; do
        for c in $(pgrep -P "$pid") "$pid"; do
            a=$(awk '/^RssAnon/ {print $2}' "/proc/$c/status" 2>/dev/null || true)
            [ -n "$a" ] && (( a > peak )) && peak=$a
        done
        sleep 0.01
    done
    echo "$peak"
}

echo "| tool | median wall (s) | runs (s) | ratio to the first row | peak RSS (MiB) | peak anonymous (MiB) | output lines |"
echo "|---|---|---|---|---|---|---|"
first=""
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
    anon="–"
    [[ ${names[$i]} == ntfs-inspect* ]] && anon=$(( $(peak_anon "${cmds[$i]}") / 1024 ))
    [ -z "$first" ] && first=$median
    ratio=$(awk -v a="$median" -v b="$first" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    echo "| ${names[$i]} | $median | ${times[*]} | $ratio | $((rss / 1024)) | $anon | $lines |"
done

if [ "$(id -u)" = 0 ]; then
    echo
    echo "Cold page cache (caches dropped before each run; seconds):"
    echo
    echo "| what | runs (s) |"
    echo "|---|---|"
    cold() {
        local t all=()
        for _ in $(seq "$runs"); do
            sync
            echo 3 > /proc/sys/vm/drop_caches
            /usr/bin/time -f "%e" -o bench-data/time.txt bash -c "$2 > bench-data/out.txt 2>/dev/null" || true
            read -r t < bench-data/time.txt
            all+=("$t")
        done
        echo "| $1 | ${all[*]} |"
    }
    cold "read the \$MFT bytes (icat VOLUME 0)" "icat $vol 0"
    cold "ntfs-inspect mft --format jsonl" "target/release/ntfs-inspect mft $vol --format jsonl"
    cat "$vol" > /dev/null
fi
