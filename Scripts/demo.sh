#!/usr/bin/env bash
# The LienThong demo, as far as the project has come. A commune node's counter: a clerk receives a
# dossier (the Vietnamese receipt is printed), hands it to an officer and forwards it to the
# district; two processes receive 100 dossiers each with their histories at the same time; the log
# proves itself, projections rebuild identically, a backup taken while writing is restored and
# verified, and a one-byte change is caught. Then the district hub on loopback: the commune's
# daemon pushes its log, the link drops (the hub stops) while the counter goes on offline, the link
# comes back and what was saved offline arrives, a second commune forwards a dossier to the first,
# the district decides, the decision comes back down, and both sides' state hashes agree.
#
#   Scripts/demo.sh [--keep]     # --keep leaves the demo's files in place and prints where
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh >/dev/null
swift build --product lienthong >/dev/null
bin="$(swift build --show-bin-path)/lienthong"

work="$(mktemp -d "${TMPDIR:-/tmp}/lienthong-demo.XXXXXX")"
hubpid=""
daemon=""
cleanup() {
  # Stop only what this script started and has not stopped yet, each by its own pid.
  for pid in $hubpid $daemon; do
    kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  if [ "${keep:-}" != 1 ]; then rm -rf "$work"; fi
}
keep=0
[ "${1:-}" = "--keep" ] && keep=1
trap cleanup EXIT
node="$work/xa-23059"
step() { printf '\n== %s\n' "$*"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }
# wait_for SECONDS WHAT COMMAND…: waits on a condition (polling), never a fixed sleep.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${limit}s waiting for $what"
    sleep 0.1
  done
}

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
mid_run() { [ "$(wc -l <"$work/c.out")" -ge 50 ]; }
wait_for 60 "the writer to be mid-run" mid_run
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

hub="$work/hub"
node2="$work/xa-23062"
start_hub() {
  "$bin" hub run --port "$1" --data-dir "$hub" >"$work/hub.out" 2>>"$work/hub.err" &
  hubpid=$!
  wait_for 30 "the hub to listen" grep -q "^listening on" "$work/hub.out"
  url="$(sed -n 's/^listening on \(http[^ ]*\) .*/\1/p' "$work/hub.out")"
}
stop_hub() {
  kill -TERM "$hubpid"
  wait "$hubpid" || fail "the hub did not stop gracefully"
  hubpid=""
}
hub_has() { "$bin" hub dossier show "$1" --data-dir "$hub"; }
# grep without -q reads all its input, so the writer never dies of SIGPIPE under pipefail.
node_shows() { "$bin" dossier show "$2" --data-dir "$1" | grep "$3" >/dev/null; }

step "hub init: the district (UBND huyện Hàm Thuận Bắc, hub-597); a second commune, Phú Long (23062)"
"$bin" hub init --config Config/hub.example.json --data-dir "$hub"
"$bin" node init --config Config/node.example.json --node-id xa-23062 --agency 23062 \
  --office "UBND thị trấn Phú Long" --data-dir "$node2" >/dev/null
start_hub 0
echo "hub listening on $url"

step "hub enroll + node enroll: one-time tokens; each node keeps a 0600 credential and pins the hub's key"
for dir in "$node" "$node2"; do
  id="$(basename "$dir")"
  token="$("$bin" hub enroll "$id" --data-dir "$hub" 2>/dev/null)"
  "$bin" node enroll --hub "$url" --token "$token" --data-dir "$dir" | sed -n 1p
done

step "node run: Ma Lâm's daemon pushes its whole log; the forwarded dossier reaches the district"
"$bin" node run --api-port 0 --data-dir "$node" >"$work/node.out" 2>"$work/node.err" &
daemon=$!
wait_for 120 "the district to hold $code" hub_has "$code"
hub_lists() { "$bin" hub dossier list --data-dir "$hub" --status forwarded --limit 1000 | grep "$code" >/dev/null; }
wait_for 60 "the hub's projector to list $code" hub_lists
"$bin" hub dossier list --data-dir "$hub" --limit 5

step "the link drops (the hub stops); the counter goes on offline"
stop_hub
offline="$("$bin" dossier receive --data-dir "$node" --actor cb-tiepnhan-01 --procedure 1.001776 \
  --applicant "Phạm Văn Long" --id-number 060190007788 --phone "0912 000 111" \
  --address "thôn Đại Thiện, thị trấn Ma Lâm" --document "Tờ khai" | sed -n 's/.*Mã hồ sơ: //p' | tr -d ' ')"
[ -n "$offline" ] || fail "no receipt while offline"
"$bin" dossier process "$offline" --data-dir "$node" --actor cb-tiepnhan-01 --to cb-tuphap-01 >/dev/null
"$bin" dossier forward "$offline" --data-dir "$node" --actor cb-tuphap-01 --to 597 >/dev/null
echo "received and forwarded $offline while the hub was down"
hub_has "$offline" >/dev/null 2>&1 && fail "the hub has $offline although it was down"

step "the link comes back: what was saved offline arrives"
start_hub "${url##*:}"
wait_for 120 "the district to hold $offline" hub_has "$offline"
echo "the district holds $offline"

step "Phú Long forwards a dossier to Ma Lâm (commune to commune); Ma Lâm's daemon pulls its whole history"
other="$("$bin" dossier receive --data-dir "$node2" --actor cb-tiepnhan-01 --procedure 1.001776 \
  --applicant "Võ Thị Hạnh" --id-number 060192003344 --phone "0913 222 333" \
  --address "khu phố 2, thị trấn Phú Long" --document "Tờ khai" | sed -n 's/.*Mã hồ sơ: //p' | tr -d ' ')"
"$bin" dossier forward "$other" --data-dir "$node2" --actor cb-tuphap-01 --to 23059 --reason "Công dân cư trú tại Ma Lâm" >/dev/null
"$bin" node sync --data-dir "$node2"
wait_for 60 "Ma Lâm to hold $other" node_shows "$node" "$other" "Owner       xa-23059"
"$bin" dossier show "$other" --data-dir "$node" | sed -n 1,12p

step "the district decides on $code; the decision comes back down to Ma Lâm"
"$bin" hub dossier accept "$code" --actor pb-tiepnhan-01 --data-dir "$hub" >/dev/null
"$bin" hub dossier resolve "$code" --approve --actor ld-ubnd-huyen --data-dir "$hub" >/dev/null
"$bin" hub dossier send-result "$code" --actor pb-tiepnhan-01 --data-dir "$hub" >/dev/null
wait_for 60 "the decision on $code at Ma Lâm" node_shows "$node" "$code" "Đã có kết quả"
"$bin" dossier show "$code" --data-dir "$node" | sed -n 1,8p

step "convergence: the commune's and the district's state hashes of $code agree; pulled events verify"
here="$("$bin" dossier show "$code" --data-dir "$node" | sed -n 's/^State hash *//p')"
there="$("$bin" hub dossier show "$code" --data-dir "$hub" | sed -n 's/^State hash *//p')"
echo "Ma Lâm:   $here"
echo "district: $there"
[ -n "$here" ] && [ "$here" = "$there" ] || fail "the state hashes differ"
kill -TERM "$daemon"
wait "$daemon" || fail "node run did not stop gracefully"
daemon=""
stop_hub
for dir in "$node" "$hub"; do
  verified="$("$bin" node log verify --data-dir "$dir")" || fail "the log in $dir did not verify"
  echo "${verified%%$'\n'*}"
done

printf '\ndemo: OK\n'
[ "$keep" = 1 ] && echo "files kept in $work"
exit 0
