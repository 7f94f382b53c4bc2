#!/usr/bin/env bash
# The LienThong demo, as far as the project has come: one commune node's counter, offline.
# A clerk receives a dossier (the Vietnamese receipt is printed), hands it to an officer and
# forwards it to the district; two processes receive 100 dossiers each with their histories at the
# same time; the log proves itself, projections rebuild identically, a backup taken while writing
# is restored and verified, and a one-byte change is caught. (Hub, sync and link cuts come with
# the hub issue; this script grows with them.)
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
"$bin" node init --config Config/node.example.json --data-dir "$node"

step "dossier receive: a citizen applies for the monthly social allowance (trợ cấp xã hội)"
"$bin" dossier receive --data-dir "$node" --actor cb-tiepnhan-01 --procedure 1.001776 \
  --applicant "Trần Thị Bích" --id-number 060185004321 --phone "0987 654 321" \
  --address "thôn Lâm Hòa, thị trấn Ma Lâm" --document "Tờ khai đề nghị trợ cấp xã hội" | tee "$work/receipt.txt"
code="$(sed -n 's/.*Mã hồ sơ: //p' "$work/receipt.txt" | tr -d ' ')"
[ -n "$code" ] || fail "no dossier code on the receipt"

step "hand it to the officer, then forward it to the district (597); a forbidden step is refused"
"$bin" dossier process "$code" --data-dir "$node" --actor cb-tiepnhan-01 --to cb-tuphap-01
"$bin" dossier forward "$code" --data-dir "$node" --actor cb-tuphap-01 --to 597 --reason "Thẩm quyền quyết định của UBND huyện"
if "$bin" dossier return "$code" --data-dir "$node" --actor cb-tiepnhan-01; then fail "returned a dossier the district owns"; fi
"$bin" dossier show "$code" --data-dir "$node"

step "two clerks' processes receive 100 dossiers each, with their histories, at the same time"
"$bin" demo load --dossiers 100 --seed 1 --data-dir "$node" &
first=$!
"$bin" demo load --dossiers 100 --seed 2 --data-dir "$node" &
second=$!
wait "$first" || fail "first writer"
wait "$second" || fail "second writer"
"$bin" dossier list --data-dir "$node" --limit 8
"$bin" dossier list --data-dir "$node" --due-within 2 --limit 3

step "node rebuild: projections are a pure function of the events"
"$bin" node rebuild --data-dir "$node"

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
  UPDATE event SET canonical = CAST(replace(CAST(canonical AS TEXT), 'dossier.', 'dossieR.') AS BLOB) WHERE seq = 123;"
if "$bin" node log verify --data-dir "$work/tampered"; then fail "the altered log verified"; fi

printf '\ndemo: OK\n'
[ "${1:-}" = "--keep" ] && echo "files kept in $work"
exit 0
