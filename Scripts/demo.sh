#!/usr/bin/env bash
# The LienThong demo. First one commune's counter: a clerk receives a dossier (the Vietnamese
# receipt is printed), hands it to an officer and forwards it to the district; two processes receive
# 100 dossiers each at the same time; the log proves itself, projections rebuild identically, a
# backup taken while writing is restored and verified, and a one-byte change is caught.
# Then Hàm Thuận Bắc district as real processes on free loopback ports: the hub (hub-597) and three
# communes, each daemon reaching the hub through its own link (Scripts/link.py, a TCP relay). Clerks
# receive and forward; La Dạ's link is cut and its counter goes on; the district decides; the link
# returns and everything converges (every replica's state hashes agree); a conflict arises and is
# shown at the commune and the district; the status tables; the district settles the conflict. Then the same after the 1 July 2025
# reform: the province (hub-68) and a commune-to-commune forward. Exits 0 only if all converged.
#
#   Scripts/demo.sh [--keep]     # --keep leaves the demo's files in place and prints where
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh >/dev/null
swift build --product lienthong >/dev/null
bin="$(swift build --show-bin-path)/lienthong"

work="$(mktemp -d "${TMPDIR:-/tmp}/lienthong-demo.XXXXXX")"
# Every process this script starts, by pid; the cleanup stops only these.
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
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
pids+=("$first")
"$bin" demo load --dossiers 100 --seed 2 --data-dir "$node" &
second=$!
pids+=("$second")
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
"$bin" dev append --count 300 --actor cb-tuphap-01 --dossier "$code" --data-dir "$node" >"$work/c.out" &
writer=$!
pids+=("$writer")
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

# ---------------------------------------------------------------------------------------------
# Helpers for the district part.
start() { # start NAME COMMAND…: runs COMMAND in the background, its output in $work/NAME.out
  local name=$1
  shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  eval "pid_$name=$!"
}
stop() { # stop NAME: SIGTERM to that process (its own pid), and wait for it
  local pid
  pid=$(eval echo "\$pid_$1")
  kill -TERM "$pid"
  wait "$pid" || fail "$1 did not stop gracefully"
  local kept=() other
  for other in "${pids[@]}"; do [ "$other" = "$pid" ] || kept+=("$other"); done
  pids=("${kept[@]}")
}
port_of() { sed -n "s/$2/\1/p" "$work/$1.out" | head -1; }
start_hub() { # start_hub NAME DIR PORT
  start "$1" "$bin" hub run --port "$3" --data-dir "$2"
  wait_for 30 "$1 to listen" grep -q "^listening on" "$work/$1.out"
}
start_link() { # start_link NAME LISTEN TARGET
  start "$1" python3 Scripts/link.py "$2" "$3"
  wait_for 10 "link $1" grep -q "^relaying" "$work/$1.out"
}
receive() { # receive DIR APPLICANT ADDRESS: prints the new dossier's code
  "$bin" dossier receive --data-dir "$1" --actor cb-tiepnhan-01 --procedure 1.001776 --applicant "$2" \
    --id-number 060190007788 --phone "0912 000 111" --address "$3" --document "Tờ khai đề nghị trợ cấp xã hội" |
    sed -n 's/.*Mã hồ sơ: //p' | tr -d ' '
}
forward() { # forward DIR CODE AGENCY REASON
  "$bin" dossier process "$2" --data-dir "$1" --actor cb-tiepnhan-01 --to cb-tuphap-01 >/dev/null
  "$bin" dossier forward "$2" --data-dir "$1" --actor cb-tuphap-01 --to "$3" --reason "$4" >/dev/null
}
fact() { # fact DIR KEY: one fact of `status --json`
  "$bin" status --json --skip-verify --data-dir "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['facts']['$2'])"
}
all_stored() { [ "$(fact "$1" pending)" = 0 ]; }
hub_has() { "$bin" hub dossier show "$2" --data-dir "$1" >/dev/null 2>&1; }
shows() { "$bin" dossier show "$2" --data-dir "$1" | grep "$3" >/dev/null; }
# Every dossier a commune holds has the same state hash at the hub, and the hub misses none.
converged() { # converged NODE_DIR HUB_DIR
  local differ
  differ="$(sqlite3 "$1/node.sqlite" "ATTACH '$2/hub.sqlite' AS hub;
    SELECT COUNT(*) FROM dossierView n LEFT JOIN hub.dossierView h ON h.code = n.code WHERE h.stateHash IS NOT n.stateHash;")"
  [ "$differ" = 0 ]
}

hub="$work/hub-597"
names=(xa-23059 xa-23062 xa-23065)
declare -A offices=([xa-23059]="thị trấn Ma Lâm" [xa-23062]="thị trấn Phú Long" [xa-23065]="xã La Dạ")
declare -A dirs=([xa-23059]="$node" [xa-23062]="$work/xa-23062" [xa-23065]="$work/xa-23065")

step "Hàm Thuận Bắc district before the 2025 reform: the hub (UBND huyện, hub-597) and three communes"
"$bin" hub init --config Config/hub.example.json --data-dir "$hub" >/dev/null
for id in xa-23062 xa-23065; do
  "$bin" node init --config Config/node.example.json --node-id "$id" --agency "${id#xa-}" \
    --office "UBND ${offices[$id]}" --data-dir "${dirs[$id]}" >/dev/null
done
start_hub hub "$hub" 0
hubport="$(port_of hub '^listening on http:\/\/127.0.0.1:\([0-9]*\) .*')"
echo "hub-597 listening on 127.0.0.1:$hubport"
for id in "${names[@]}"; do
  start_link "link_${id#xa-}" 0 "$hubport"
  linkport="$(port_of "link_${id#xa-}" '^relaying \([0-9]*\) .*')"
  eval "linkport_${id#xa-}=$linkport"
  token="$("$bin" hub enroll "$id" --data-dir "$hub" 2>/dev/null)"
  "$bin" node enroll --hub "http://127.0.0.1:$linkport" --token "$token" --data-dir "${dirs[$id]}" >/dev/null
  start "node_${id#xa-}" "$bin" node run --api-port 0 --heartbeat-seconds 1 --data-dir "${dirs[$id]}"
  echo "${offices[$id]} ($id): node run, reaching the hub through its link on 127.0.0.1:$linkport"
done
for id in "${names[@]}"; do wait_for 180 "$id to have everything stored at the hub" all_stored "${dirs[$id]}"; done
echo "every commune's log is stored at the district"

step "clerks receive dossiers at Phú Long and La Dạ and forward them to the district (chuyển liên thông)"
phulong="$(receive "${dirs[xa-23062]}" "Võ Thị Hạnh" "khu phố 2, thị trấn Phú Long")"
forward "${dirs[xa-23062]}" "$phulong" 597 "Thẩm quyền của UBND huyện"
lada="$(receive "${dirs[xa-23065]}" "Lê Văn Tám" "thôn Lâm Thuận, xã La Dạ")"
forward "${dirs[xa-23065]}" "$lada" 597 "Thẩm quyền của UBND huyện"
hub_owns() { "$bin" hub dossier show "$2" --data-dir "$1" 2>/dev/null | grep "^Owner *hub-597" >/dev/null; }
wait_for 60 "the district to own $phulong" hub_owns "$hub" "$phulong"
wait_for 60 "the district to own $lada" hub_owns "$hub" "$lada"
echo "Phú Long forwarded $phulong, La Dạ forwarded $lada; the district holds both"

step "La Dạ's link is cut; its counter keeps working offline"
stop link_23065
offline="$(receive "${dirs[xa-23065]}" "Nguyễn Thị Cúc" "thôn Lâm Hòa, xã La Dạ")"
forward "${dirs[xa-23065]}" "$offline" 597 "Thẩm quyền của UBND huyện"
echo "La Dạ received and forwarded $offline with no link"
wait_for 60 "La Dạ's status to report the failing link" sh -c "[ \"\$('$bin' status --json --skip-verify --data-dir '${dirs[xa-23065]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"facts\"][\"failuresSinceContact\"])')\" != 0 ]"
"$bin" status --skip-verify --data-dir "${dirs[xa-23065]}" | sed -n 1,2p || true
hub_has "$hub" "$offline" && fail "the district holds $offline although La Dạ's link is down"

step "the district decides: Phú Long's dossier approved; La Dạ's first one too, while La Dạ is offline"
for code in "$phulong" "$lada"; do
  "$bin" hub dossier accept "$code" --actor pb-tiepnhan-01 --data-dir "$hub" >/dev/null
  "$bin" hub dossier resolve "$code" --approve --actor ld-ubnd-huyen --data-dir "$hub" >/dev/null
  "$bin" hub dossier send-result "$code" --actor pb-tiepnhan-01 --data-dir "$hub" >/dev/null
done
wait_for 60 "the decision on $phulong at Phú Long" shows "${dirs[xa-23062]}" "$phulong" "Đã có kết quả"
echo "Phú Long: $phulong — Đã có kết quả (the decision came down)"
shows "${dirs[xa-23065]}" "$lada" "Đã có kết quả" && fail "La Dạ got a decision with its link down"
echo "La Dạ: $lada — still waiting (no link)"

step "La Dạ's link returns: the offline work goes up, the decision comes down"
start_link link_23065 "$linkport_23065" "$hubport"
wait_for 120 "the district to own $offline" hub_owns "$hub" "$offline"
wait_for 120 "the decision on $lada at La Dạ" shows "${dirs[xa-23065]}" "$lada" "Đã có kết quả"
echo "the district holds $offline; La Dạ shows $lada — Đã có kết quả"

step "convergence: every commune's dossiers have the same state hash at the commune and at the district"
for id in "${names[@]}"; do
  wait_for 120 "$id to converge with the district" converged "${dirs[$id]}" "$hub"
  echo "${offices[$id]}: $(sqlite3 "${dirs[$id]}/node.sqlite" 'SELECT COUNT(*) FROM dossierView') dossiers, all state hashes equal at the district"
done

step "a conflict: Phú Long's clerk hands over $phulong, which the district decided (a stale write)"
# No honest command writes this on demand: the debug driver appends the event a node restored from
# an old backup would replay. The fold keeps both facts and records a conflict for a person.
"$bin" dev append --type dossier.handedOver --dossier "$phulong" --body '{"to":"cb-tuphap-01"}' \
  --actor cb-tiepnhan-01 --data-dir "${dirs[xa-23062]}" >/dev/null
hub_conflict() { "$bin" hub dossier show "$phulong" --data-dir "$hub" | grep -qi "xung đột"; }
wait_for 60 "the district to show the conflict" hub_conflict
"$bin" hub dossier show "$phulong" --data-dir "$hub" | sed -n '/^Status/p;/^Conflicts/,/en:/p'
wait_for 60 "Phú Long to converge again" converged "${dirs[xa-23062]}" "$hub"

step "status: the district operator's table, then each commune's check (exit 0 OK, 1 WARNING, 2 CRITICAL)"
"$bin" hub nodes --data-dir "$hub"
echo
"$bin" hub status --data-dir "$hub" | head -3 || true
for id in "${names[@]}"; do "$bin" status --skip-verify --data-dir "${dirs[$id]}" | sed -n '1,2{/./p}' || true; done

step "the district settles the conflict (conflicts resolve); Phú Long sees it settled"
conflict_id="$("$bin" conflicts list --json --data-dir "$hub" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')"
"$bin" conflicts show "$conflict_id" --data-dir "$hub" | sed -n '1,5p'
"$bin" conflicts resolve "$conflict_id" --dismiss --note "Cán bộ xã thao tác nhầm trên hồ sơ đã có kết quả" \
  --actor vh-hethong --data-dir "$hub"
no_open_conflict() { "$bin" conflicts list --data-dir "$1" | grep -q "^0 conflict(s) open"; }
wait_for 60 "Phú Long to see the conflict settled" no_open_conflict "${dirs[xa-23062]}"
wait_for 60 "Phú Long to converge again" converged "${dirs[xa-23062]}" "$hub"
"$bin" status --skip-verify --data-dir "${dirs[xa-23062]}" | head -1

step "reports: Biểu II.06a for the month at the district, and the same figures, byte for byte, at Phú Long"
from="$(date -u -d '+7 hours' +%Y-%m-01)"
today="$(date -u -d '+7 hours' +%F)"
"$bin" report 06a --from "$from" --to "$today" --data-dir "$hub"
same_report() {
  "$bin" report 06a --from "$from" --to "$today" --format csv --data-dir "${dirs[xa-23062]}" >"$work/06a-commune.csv"
  "$bin" report 06a --from "$from" --to "$today" --format csv --commune 23062 --data-dir "$hub" >"$work/06a-hub.csv"
  cmp -s "$work/06a-commune.csv" "$work/06a-hub.csv"
}
wait_for 60 "Phú Long's 06a to equal the district's" same_report
echo "Phú Long's CSV (UTF-8 with BOM, for Excel) is identical at the commune and at the district: $(wc -c <"$work/06a-hub.csv") bytes"
"$bin" report due --within 30d --data-dir "${dirs[xa-23065]}" | head -6

step "documents: the control slip of $phulong at Phú Long, and its receipt as a printable A5 page"
"$bin" dossier print "$phulong" --form control --data-dir "${dirs[xa-23062]}"
"$bin" dossier print "$phulong" --form receipt --html --data-dir "${dirs[xa-23062]}" >"$work/receipt-$phulong.html"
grep -q "Mã hồ sơ: $phulong" "$work/receipt-$phulong.html" || fail "the HTML receipt lacks the code"
echo "receipt page: $work/receipt-$phulong.html ($(wc -c <"$work/receipt-$phulong.html") bytes)"

step "a citizen looks up $phulong at the district with the last four digits of the ID number"
lookup() { python3 -c 'import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1]).read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())' "http://127.0.0.1:$hubport/v1/lookup?code=$1&id=$2"; }
lookup "$phulong" 7788
lookup "$phulong" 1234
lookup "$phulong" 7788 | grep -q '"statusText":"Đã có kết quả"' || fail "the lookup did not answer the dossier's status"

step "the district publishes a calendar (a late-announced swap: version 2026.2); La Dạ's next receipt uses it"
python3 - "$work/calendar-2026.2.json" <<'PY'
import json, sys
calendar = json.load(open("Config/calendar/vn-2025-2027.json"))
calendar["version"] = "2026.2"
json.dump(calendar, open(sys.argv[1], "w"), ensure_ascii=False, indent=2)
PY
"$bin" hub publish calendar "$work/calendar-2026.2.json" --actor vh-hethong --data-dir "$hub"
has_calendar() { sqlite3 "${dirs[xa-23065]}/node.sqlite" "SELECT COUNT(*) FROM event WHERE type = 'calendar.published'" | grep -q '^1$'; }
wait_for 60 "La Dạ to pull the published calendar" has_calendar
newer="$(receive "${dirs[xa-23065]}" "Trần Văn Bảy" "thôn Lâm Thuận, xã La Dạ")"
"$bin" dossier show "$newer" --json --data-dir "${dirs[xa-23065]}" | grep -q '"calendarVersion":"2026.2"' || fail "La Dạ's receipt did not use the published calendar"
echo "La Dạ received $newer under calendar 2026.2"

step "after 1 July 2025: the province (UBND tỉnh Lâm Đồng, hub-68); xã Hàm Thuận forwards to xã La Dạ"
province="$work/hub-68"
hamthuan="$work/lamdong-xa-23059"
ladanew="$work/lamdong-xa-23065"
"$bin" hub init --config Config/hub.example.json --hub-id hub-68 --agency 68 --office "UBND tỉnh Lâm Đồng" \
  --topology Config/topology/lam-dong-2025.json --data-dir "$province" >/dev/null
"$bin" node init --config Config/node.example.json --node-id xa-23059 --agency 23059 --office "UBND xã Hàm Thuận" \
  --topology Config/topology/lam-dong-2025.json --data-dir "$hamthuan" >/dev/null
"$bin" node init --config Config/node.example.json --node-id xa-23065 --agency 23065 --office "UBND xã La Dạ" \
  --topology Config/topology/lam-dong-2025.json --data-dir "$ladanew" >/dev/null
start_hub province "$province" 0
provinceport="$(port_of province '^listening on http:\/\/127.0.0.1:\([0-9]*\) .*')"
for dir in "$hamthuan" "$ladanew"; do
  id="$(basename "$dir")"
  token="$("$bin" hub enroll "${id#lamdong-}" --data-dir "$province" 2>/dev/null)"
  "$bin" node enroll --hub "http://127.0.0.1:$provinceport" --token "$token" --data-dir "$dir" >/dev/null
done
c2c="$(receive "$hamthuan" "Trần Văn Bình" "thôn 1, xã Hàm Thuận")"
forward "$hamthuan" "$c2c" 23065 "Công dân cư trú tại xã La Dạ"
"$bin" node sync --data-dir "$hamthuan" >/dev/null
"$bin" node sync --data-dir "$ladanew" >/dev/null
echo "xã Hàm Thuận forwarded $c2c to xã La Dạ; La Dạ holds its whole history:"
"$bin" dossier show "$c2c" --data-dir "$ladanew" | sed -n 1,6p
"$bin" dossier accept "$c2c" --data-dir "$ladanew" --actor cb-tiepnhan-01 >/dev/null
"$bin" dossier resolve "$c2c" --data-dir "$ladanew" --approve --actor ct-ubnd >/dev/null
"$bin" dossier send-result "$c2c" --data-dir "$ladanew" --actor cb-tiepnhan-01 >/dev/null
"$bin" node sync --data-dir "$ladanew" >/dev/null
"$bin" node sync --data-dir "$hamthuan" >/dev/null
shows "$hamthuan" "$c2c" "Đã có kết quả" || fail "the decision on $c2c did not come back to xã Hàm Thuận"
"$bin" dossier return "$c2c" --data-dir "$hamthuan" --actor cb-tiepnhan-01 >/dev/null
"$bin" node sync --data-dir "$hamthuan" >/dev/null
"$bin" node sync --data-dir "$ladanew" >/dev/null
wait_for 60 "the province's projector" converged "$hamthuan" "$province"
for dir in "$hamthuan" "$ladanew"; do converged "$dir" "$province" || fail "$dir did not converge with the province"; done
echo "xã Hàm Thuận returned the result to the citizen; both communes and the province agree on $c2c"

step "everything stops gracefully; every log verifies"
for name in node_23059 node_23062 node_23065 hub province link_23059 link_23062 link_23065; do stop "$name"; done
for dir in "${dirs[@]}" "$hub" "$province" "$hamthuan" "$ladanew"; do
  verified="$("$bin" node log verify --data-dir "$dir")" || fail "the log in $dir did not verify"
  echo "$(basename "$dir"): ${verified%%$'\n'*}"
done

printf '\ndemo: OK\n'
[ "$keep" = 1 ] && echo "files kept in $work"
exit 0
