#!/usr/bin/env bash
# Checks that the peers find the same paths as ntfs-inspect on a benchmark volume: not only
# as many, the same ones. Every tool's paths are put in one form (`/dir/name`, no stream
# suffix, no symlink target), sorted, and compared with ours (`mft --format bodyfile`, one
# line per hard link). A difference is allowed only where a tool is known to differ:
#
#   - `/`, the root directory's own path, which only ntfs-inspect prints;
#   - `/$OrphanFiles/OrphanFile-N`: records in use that hold no name (12-15 after mkntfs), to
#     which ntfs-inspect's bodyfile gives The Sleuth Kit's orphan paths;
#   - records 0-15 for ntfs-reader, which starts its walk at record 16;
#   - records with an $ATTRIBUTE_LIST for the minimal pass, which reads none (a name that
#     only an extension record holds is not seen: `$Extend\$Reparse` at 1M records).
#
# fls's deleted names (`*`) and its own $OrphanFiles (records not in use) are left out of that
# comparison; a second one holds fls's deleted names (but for records taken again, `realloc`)
# against `mft --deleted`'s deleted records, record number and path; a third, every line of
# fls's own body file (`fls -r -m /`) against our bodyfile's times, sizes and modes
# (benches/body_vs_fls.py). mft_dump prints one row per record, not per hard link, and is not
# compared.
#
#   benches/paths.sh bench-data/vol-100k.raw       (benches/run.sh builds the peers first)
#
# Prints a Markdown table; exits 1 if any other difference is found, listing a few.
set -euo pipefail
cd "$(dirname "$0")/.."
vol=${1:?usage: benches/paths.sh VOLUME}
tools=bench-data/tools
mft="bench-data/$(basename "$vol").mft"
[ -f "$mft" ] || icat "$vol" 0 > "$mft"
export WINEPREFIX=$PWD/bench-data/wine WINEDEBUG=-all LC_ALL=C
dir=$(mktemp -d "${TMPDIR:-/dev/shm}/paths.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Our bodyfile, once, with the deleted records (whose lines end in " (deleted)"; the other
# lines are the same without --deleted). Ours: path and record number of every line that is
# not a $FILE_NAME line nor deleted.
target/release/ntfs-inspect mft "$vol" --format bodyfile --deleted > "$dir/ours.body"
awk -F'|' '$2 !~ / \(\$FILE_NAME\)$/ && $2 !~ / \(deleted\)$/ { split($3, r, "-"); print $2 "\t" r[1] }' \
    "$dir/ours.body" > "$dir/ours.rec"
cut -f1 "$dir/ours.rec" | sort > "$dir/ours"
# The differences each tool may have, beside the root and our orphan paths.
awk -F'\t' '$1 == "/" || $1 ~ /^\/\$OrphanFiles\// { print $1 }' "$dir/ours.rec" | sort > "$dir/allowed"
awk -F'\t' '$2 < 16 { print $1 }' "$dir/ours.rec" | cat - "$dir/allowed" | sort -u > "$dir/allowed.ntfs-reader"
target/release/ntfs-inspect mft "$vol" --format jsonl | grep -v '"extension_records":\[\]' |
    sed 's/^{"record":\([0-9]*\),.*/\1/' > "$dir/listed"
awk -F'\t' 'NR == FNR { listed[$1] = 1; next } $2 in listed { print $1 }' "$dir/listed" "$dir/ours.rec" |
    cat - "$dir/allowed" | sort -u > "$dir/allowed.minimal pass"

# (Each `peer` runs in its pipeline's subshell: the list of names is fixed here.)
names=("minimal pass" "ntfs-reader" "fsntfsinfo -H" "fls -r -p")
peer() { sort > "$dir/$1"; } # NAME: the tool's paths, one per line, on stdin
"$tools/minimal-pass" "$mft" | sed 's/ -> .*$//' | peer "minimal pass"
/usr/lib/wine/wine64 "$tools/ntfs-reader-paths.exe" "$vol" |
    awk -v p="$vol" '{ sub(/\r$/, ""); if (index($0, p) == 1) $0 = substr($0, length(p) + 1); gsub(/\\/, "/"); print }' |
    peer "ntfs-reader"
fsntfsinfo -H "$vol" |
    awk 'f && NF { sub(/:[^\\]*$/, ""); gsub(/\\/, "/"); print } /^File system hierarchy:/ { f = 1 }' |
    sort -u | peer "fsntfsinfo -H"
fls -r -p "$vol" > "$dir/fls.raw"
awk -F'\t' '$1 !~ / \* / && $2 !~ /^\$OrphanFiles(\/|$)/ { sub(/:[^\/]*$/, "", $2); print "/" $2 }' \
    "$dir/fls.raw" | sort -u | peer "fls -r -p"

echo "| tool | paths | also ours | ours only (allowed) | ours only (other) | the tool's only |"
echo "|---|---|---|---|---|---|"
printf '| ntfs-inspect mft --format bodyfile | %s | | | | |\n' "$(wc -l < "$dir/ours")"
fail=0
for n in "${names[@]}"; do
    allowed="$dir/allowed"
    [ -f "$dir/allowed.$n" ] && allowed="$dir/allowed.$n"
    comm -23 "$dir/ours" "$dir/$n" > "$dir/only-ours"
    comm -13 "$dir/ours" "$dir/$n" > "$dir/only-peer"
    comm -23 "$dir/only-ours" "$allowed" > "$dir/unexplained"
    printf '| %s | %s | %s | %s | %s | %s |\n' "$n" "$(wc -l < "$dir/$n")" \
        "$(comm -12 "$dir/ours" "$dir/$n" | wc -l)" \
        "$(comm -12 "$dir/only-ours" "$allowed" | wc -l)" \
        "$(wc -l < "$dir/unexplained")" "$(wc -l < "$dir/only-peer")"
    if [ -s "$dir/unexplained" ] || [ -s "$dir/only-peer" ]; then
        fail=1
        { echo "$n: paths only ntfs-inspect printed:"; head -5 "$dir/unexplained"
          echo "$n: paths only $n printed:"; head -5 "$dir/only-peer"; } >&2
    fi
done

# Deleted records: ours with --deleted (the record's own lines, marked " (deleted)") against
# the deleted names fls lists (`*`) whose record was not taken again, as "record<TAB>path".
awk -F'|' '$2 ~ / \(deleted\)$/ && $2 !~ / \(\$FILE_NAME\)/ {
        sub(/ \(deleted\)$/, "", $2); split($3, r, "-"); print r[1] "\t" $2 }' "$dir/ours.body" |
    sort > "$dir/deleted.ours"
awk -F'\t' '$1 ~ / \* / && $1 !~ /realloc/ && $2 !~ /^\$OrphanFiles(\/|$)/ {
        n = split($1, w, " "); split(w[n], r, "-"); sub(/:$/, "", r[1]); print r[1] "\t/" $2 }' \
    "$dir/fls.raw" | grep -v -P ':[^/]*$' | sort > "$dir/deleted.fls" || true
echo
echo "| deleted records (\`--deleted\`) | names | also the other's | only this one's |"
echo "|---|---|---|---|"
printf '| ntfs-inspect | %s | %s | %s |\n' "$(wc -l < "$dir/deleted.ours")" \
    "$(comm -12 "$dir/deleted.ours" "$dir/deleted.fls" | wc -l)" \
    "$(comm -23 "$dir/deleted.ours" "$dir/deleted.fls" | wc -l)"
printf '| fls -r -p (`*`, not realloc) | %s | %s | %s |\n' "$(wc -l < "$dir/deleted.fls")" \
    "$(comm -12 "$dir/deleted.ours" "$dir/deleted.fls" | wc -l)" \
    "$(comm -13 "$dir/deleted.ours" "$dir/deleted.fls" | wc -l)"
if ! cmp -s "$dir/deleted.ours" "$dir/deleted.fls"; then
    fail=1
    { echo "deleted records, ours (<) against fls (>):"; diff "$dir/deleted.ours" "$dir/deleted.fls" | head -10; } >&2
fi

# Times, sizes and modes: our bodyfile (with --deleted) against The Sleuth Kit's own.
fls -r -m / "$vol" > "$dir/fls.body"
echo
echo "| check | fls lines compared | equal | differ |"
echo "|---|---|---|---|"
benches/body_vs_fls.py "$dir/ours.body" "$dir/fls.body" || fail=1
exit "$fail"
