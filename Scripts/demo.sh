#!/usr/bin/env bash
# The LienThong demo, as far as the project has come: one commune node's signed event log.
# Two processes write to one node at once, the log proves itself, a backup taken while writing is
# restored and verified, and a one-byte change is caught. (Hub, sync and link cuts come with the
# hub issue; this script grows with them.)
#
#   Scripts/demo.sh [--keep]     # --keep leaves the demo's files in place and prints where
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh >/dev/null
swift build --product lienthong >/dev/null
bin="$(swift build --show-bin-path)/lienthong"

work="$(mktemp -d "${TMPDIR:-/tmp}/lienthong-demo.XXXXXX")"
if [ "${1:-}" != "--keep" ]; then trap 'rm -rf "$work"' EXIT; fi
node="$work/xa-23059"
step() { printf '\n== %s\n' "$*"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }

step "node init: thị trấn Ma Lâm (agency 23059), Hàm Thuận Bắc"
"$bin" node init --node-id xa-23059 --agency 23059 --office "UBND thị trấn Ma Lâm" \
  --staff Config/staff.example.json --data-dir "$node"

step "two clerks' processes append 200 events each, at the same time"
"$bin" dev append --count 200 --actor cb-tiepnhan-01 --data-dir "$node" >"$work/a.out" &
first=$!
"$bin" dev append --count 200 --actor cb-tiepnhan-02 --per-transaction 5 --data-dir "$node" >"$work/b.out" &
second=$!
wait "$first" || fail "first writer"
wait "$second" || fail "second writer"
echo "saved: $(wc -l <"$work/a.out") + $(wc -l <"$work/b.out") events"

step "node log show (the 5 most recent)"
"$bin" node log show --limit 5 --data-dir "$node"

step "node log verify"
"$bin" node log verify --data-dir "$node" || fail "the log did not verify"

step "node backup while a writer appends, then restore it into a new directory and verify"
"$bin" dev append --count 300 --actor cb-tuphap-01 --data-dir "$node" >"$work/c.out" &
writer=$!
while [ "$(wc -l <"$work/c.out")" -lt 50 ]; do sleep 0.05; done  # wait for the writer to be mid-run
"$bin" node backup "$work/backup.sqlite" --data-dir "$node"
wait "$writer" || fail "third writer"
mkdir -p "$work/restored"
cp "$work/backup.sqlite" "$work/restored/node.sqlite"
"$bin" node log verify --data-dir "$work/restored" || fail "the restored backup did not verify"

step "change one byte of event 123 in a copy: verify must name seq 123"
mkdir -p "$work/tampered"
cp "$work/backup.sqlite" "$work/tampered/node.sqlite"
sqlite3 "$work/tampered/node.sqlite" "DROP TRIGGER event_refuse_update;
  UPDATE event SET canonical = CAST(replace(CAST(canonical AS TEXT), 'Ghi', 'Fhi') AS BLOB) WHERE seq = 123;"
if "$bin" node log verify --data-dir "$work/tampered"; then fail "the altered log verified"; fi

printf '\ndemo: OK\n'
[ "${1:-}" = "--keep" ] && echo "files kept in $work"
exit 0
