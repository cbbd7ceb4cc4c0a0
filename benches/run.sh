#!/usr/bin/env bash
# Times ntfs-inspect against its peers on the same volume, warm page cache, medians of RUNS runs,
# peak RSS from /usr/bin/time, and checks that every tool finds the same paths (benches/paths.sh).
#
#   [OUT=FILE] benches/run.sh bench-data/vol-1m.raw [RUNS]
#
# Peers (built or installed here, outside the project's build, under bench-data/tools):
#   fls -r -p (The Sleuth Kit), fsntfsinfo -H (libfsntfs), mft_dump -o csv (`cargo install mft`,
#   on the $MFT extracted with icat), and benches/peers/ntfs-reader-paths (the ntfs-reader crate);
#   and the yardstick the issue gives, benches/peers/minimal-pass (a minimal pass over the $MFT).
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
# The issue's yardstick, a minimal pass over the same $MFT bytes (benches/peers/minimal-pass).
[ -x "$tools/minimal-pass" ] || {
    cargo build --release --quiet --manifest-path benches/peers/minimal-pass/Cargo.toml \
        --target-dir bench-data/target
    cp bench-data/target/release/minimal-pass "$tools/"
}
[ -f "$tools/ntfs-reader-paths.exe" ] && [ -f "$tools/bcryptprimitives.dll" ] || {
    cargo build --release --quiet --manifest-path benches/peers/ntfs-reader-paths/Cargo.toml \
        --target-dir bench-data/target --target "$win"
    cp "bench-data/target/$win/release/ntfs-reader-paths.exe" "$tools/"
    scripts/windows/build.sh "$PWD/target" >/dev/null
    cp "target/$win/debug/bcryptprimitives.dll" "$tools/"
}
export WINEPREFIX=$PWD/bench-data/wine WINEDEBUG=-all
mkdir -p "$WINEPREFIX"
# Every tool writes its output to the same file. On tmpfs by default: the kernel still copies
# every byte into the page cache (a cost any file output has), but the disk's writeback of
# the last run's gigabyte does not stall the next one (on this machine's disk, it turned a
# 2.3 s run into 10 s). OUT=bench-data/out.txt puts it on the disk instead.
out=${OUT:-/dev/shm/ntfs-inspect-bench.out}
[ -d "$(dirname "$out")" ] || out=bench-data/out.txt
mft="bench-data/$(basename "$vol").mft"
[ -f "$mft" ] || icat "$vol" 0 > "$mft"

# name | command (output to a file so that the terminal is not timed)
declare -a names cmds
add() { names+=("$1"); cmds+=("$2"); }
add "ntfs-inspect mft --format jsonl" "target/release/ntfs-inspect mft $vol --format jsonl"
add "ntfs-inspect mft --format jsonl -o /dev/null (no output file)" "target/release/ntfs-inspect mft $vol --format jsonl -o /dev/null"
add "ntfs-inspect mft --format csv" "target/release/ntfs-inspect mft $vol --format csv"
add "ntfs-inspect mft --format bodyfile" "target/release/ntfs-inspect mft $vol --format bodyfile"
vhd="${vol%.raw}.vhd"
[ "$vhd" != "$vol" ] && [ -f "$vhd" ] &&
    add "ntfs-inspect mft --format jsonl (dynamic VHD)" "target/release/ntfs-inspect mft $vhd --format jsonl"
# The yardstick twice: through a map, and with read(2); the faster one is the floor.
add "minimal pass, mapped (fixups, names, reparse, every path: the yardstick)" "$tools/minimal-pass $mft"
add "minimal pass, read(2)" "$tools/minimal-pass --read $mft"
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

# CPU time (user + system) is given beside the wall time: on a virtual machine whose host takes
# cycles away (steal time), the wall time of the same run varied by 2x from minute to minute,
# its CPU time much less. (Wine's server process is not a child of the command: its CPU time
# is not counted for ntfs-reader.)
echo "| tool | median wall (s) | runs (s) | ratio to the first row | median CPU (s) | peak RSS (MiB) | peak anonymous (MiB) | output lines |"
echo "|---|---|---|---|---|---|---|---|"
first=""
for i in "${!names[@]}"; do
    times=()
    cpus=()
    rss=0
    # One discarded run first: on this machine the first run of a command that writes a
    # gigabyte into memory the process has not touched before was 2-5x slower than the next.
    bash -c "${cmds[$i]} > '$out' 2>/dev/null" || true
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M %U %S" -o bench-data/time.txt bash -c "${cmds[$i]} > '$out' 2>/dev/null" || true
        read -r t m u s < bench-data/time.txt
        times+=("$t")
        cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
        (( m > rss )) && rss=$m
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    lines=$(wc -l < "$out")
    anon="–"
    [[ ${names[$i]} == ntfs-inspect* ]] && anon=$(( $(peak_anon "${cmds[$i]}") / 1024 ))
    [ -z "$first" ] && first=$median
    ratio=$(awk -v a="$median" -v b="$first" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    echo "| ${names[$i]} | $median | ${times[*]} | $ratio | $cpu | $((rss / 1024)) | $anon | $lines |"
done

if [ "$(id -u)" = 0 ]; then
    echo
    echo "Cold page cache (caches dropped before each run; seconds):"
    echo
    echo "| what | runs (s) |"
    echo "|---|---|"
    # Interleaved (icat, then ntfs-inspect, each after dropping the caches), so that a slow
    # minute of the disk hits both alike.
    drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
    timed() {
        /usr/bin/time -f "%e" -o bench-data/time.txt bash -c "$1 > '$out' 2>/dev/null" || true
        cat bench-data/time.txt
    }
    icat_runs=() ours=()
    for _ in $(seq "$runs"); do
        drop
        icat_runs+=("$(timed "icat $vol 0")")
        drop
        ours+=("$(timed "target/release/ntfs-inspect mft $vol --format jsonl")")
    done
    echo "| read the \$MFT bytes (icat VOLUME 0) | ${icat_runs[*]} |"
    echo "| ntfs-inspect mft --format jsonl | ${ours[*]} |"
    cat "$vol" > /dev/null
fi
rm -f "$out"

echo
echo "Paths found, against ntfs-inspect's (benches/paths.sh):"
echo
benches/paths.sh "$vol" || echo "(the tools disagree: see above)"
