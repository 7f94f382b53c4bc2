#!/usr/bin/env bash
# Issue 8, item 9: libFuzzer with AddressSanitizer on the code that reads outside bytes — the event
# decoder, the canonical encoder, the chain verifier, push request parsing and gzip inflation (each
# a FuzzTarget, with property checks: Sources/LienThongFuzz). Not run by CI: it needs a build of its
# own (.build-fuzz: -sanitize=fuzzer,address, optimised, with the debug-build planted bugs) and
# minutes per target. CI replays what it leaves behind: `swift test` runs FuzzCorpusTests over
# Tests/Fixtures/fuzz in the ordinary debug build.
#
#   Scripts/fuzz.sh                       # every target for 600 s, then the control run
#   Scripts/fuzz.sh --seconds 60 --only gzip-inflation,push-request
#   Scripts/fuzz.sh --jobs 2              # two targets at a time (these machines have 2 cores)
#   Scripts/fuzz.sh --no-control
#
# For each target: the committed corpus and the seeds go into a work folder, libFuzzer runs for the
# given time, and the corpus is merged back (-merge=1: only inputs that add coverage) into
# Tests/Fixtures/fuzz/TARGET, to be committed; if the merge fails, the committed corpus is left as it
# was and the work folder is kept. A crash, sanitizer report or broken property (libFuzzer's
# crash-* files) is copied to Tests/Fixtures/fuzz/crashers/TARGET, which `swift test` replays in the
# ordinary build: a broken property or a trap stays red there until fixed; a report only
# AddressSanitizer makes does not, so replay it with this build (`lienthong-fuzz TARGET FILE`).
# Timeouts and out-of-memory inputs fail the run too and stay in the work folder, which is kept.
#
# The control run proves the harness finds a bug: with the planted bug canonical-raw-control the
# canonical encoder writes control characters raw, and libFuzzer must report it within 300 s,
# starting from the receipt seed alone (an event without a control character: it has to make one).
set -euo pipefail
cd "$(dirname "$0")/.."
# Set only for the processes libFuzzer starts again (see Sources/lienthong-fuzz/main.swift).
unset LIENTHONG_FUZZ_TARGET

seconds=600
only=""
jobs=1
control=1
while (($#)); do
  case "$1" in
    --seconds) seconds="${2:-}"; shift $(($# > 1 ? 2 : 1)) ;;
    --only) only="${2:-}"; shift $(($# > 1 ? 2 : 1)) ;;
    --jobs) jobs="${2:-}"; shift $(($# > 1 ? 2 : 1)) ;;
    --no-control) control=0; shift ;;
    *) echo "fuzz.sh: unknown argument $1 (expected --seconds N, --only T1,T2, --jobs N, --no-control)" >&2; exit 64 ;;
  esac
done
# Not 0: libFuzzer takes -max_total_time=0 for "no limit".
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --seconds: expected a whole number of seconds from 1, found '$seconds'" >&2; exit 64; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --jobs: expected 1 or more, found '$jobs'" >&2; exit 64; }

Scripts/install-deps.sh >/dev/null
all=(event-decoder canonical-encoder chain-verifier push-request gzip-inflation)
if [[ -n "$only" ]]; then IFS=, read -r -a named <<<"$only"; else named=("${all[@]}"); fi
targets=()
for target in "${named[@]}"; do
  [[ " ${all[*]} " == *" $target "* ]] || { echo "fuzz.sh: no target $target; expected one of ${all[*]}" >&2; exit 64; }
  [[ " ${targets[*]-} " == *" $target "* ]] || targets+=("$target")
done

scratch="${FUZZ_SCRATCH:-.build-fuzz}"
echo "== build ($scratch: -sanitize=fuzzer,address -O, linked with lld)"
start=$SECONDS
# -O after SwiftPM's -Onone: optimised, while the debug configuration keeps DEBUG (planted bugs).
swift build --product lienthong-fuzz --scratch-path "$scratch" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DLIENTHONG_LIBFUZZER -Xswiftc -use-ld=lld -Xswiftc -O
echo "built in $((SECONDS - start)) s"
fuzzer="$scratch/debug/lienthong-fuzz"
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

work="$(mktemp -d)"
status=0
# The work folder goes only after a clean run; otherwise it holds the logs, the grown corpora and
# any timeout or out-of-memory input.
trap 'if ((status == 0)); then rm -rf "$work"; else echo "work folder kept: $work"; fi' EXIT
"$fuzzer" seeds "$work/seeds" >/dev/null

# Fuzzes one target; writes its summary line to $work/TARGET.summary and its status to .status.
fuzz_one() {
  set +e
  local target="$1" corpus="$work/$1.corpus" artifacts="$work/$1.artifacts" log="$work/$1.log"
  mkdir -p "$corpus" "$artifacts" "Tests/Fixtures/fuzz/$target"
  cp "$work/seeds/$target/"* "$corpus/"
  cp "Tests/Fixtures/fuzz/$target/"* "$corpus/" 2>/dev/null || true
  local before
  before=$(ls "Tests/Fixtures/fuzz/$target" | wc -l)
  local status=0
  "$fuzzer" "$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" >"$log" 2>&1 || status=$?
  local runs rate cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  local crashes
  crashes=$(find "$artifacts" -type f | wc -l)
  if ((crashes > 0)) || ((status != 0)); then
    if compgen -G "$artifacts/crash-*" >/dev/null; then
      mkdir -p "Tests/Fixtures/fuzz/crashers/$target"
      cp "$artifacts/"crash-* "Tests/Fixtures/fuzz/crashers/$target/"
    fi
    echo "$target: FAILED (exit $status; $crashes files in $artifacts, crash-* copied to Tests/Fixtures/fuzz/crashers/$target); log $log:" >"$work/$target.summary"
    grep -E "FUZZ FINDING|ERROR: AddressSanitizer|Fatal error|deadly signal|SUMMARY" "$log" | head -5 >>"$work/$target.summary" || true
    echo 1 >"$work/$target.status"
    return
  fi
  # Keep only the inputs that add coverage, replacing the committed corpus with the merged one.
  local merged="$work/$target.merged"
  mkdir -p "$merged"
  if ! "$fuzzer" "$target" -merge=1 -max_len=8192 -timeout=10 -artifact_prefix="$artifacts/" "$merged" "$corpus" \
    >"$work/$target.merge.log" 2>&1 || ! compgen -G "$merged/*" >/dev/null; then
    echo "$target: FAILED: the merge failed; the committed corpus is unchanged (log $work/$target.merge.log)" >"$work/$target.summary"
    tail -5 "$work/$target.merge.log" >>"$work/$target.summary"
    echo 1 >"$work/$target.status"
    return
  fi
  # Swap the folders only once the merged corpus is complete.
  local committed="Tests/Fixtures/fuzz/$target"
  rm -rf "$committed.new" "$committed.old"
  cp -r "$merged" "$committed.new"
  if ! { mv "$committed" "$committed.old" && mv "$committed.new" "$committed" && rm -rf "$committed.old"; }; then
    echo "$target: FAILED: could not swap the merged corpus in; see $committed.old and $committed.new" >"$work/$target.summary"
    echo 1 >"$work/$target.status"
    return
  fi
  local after
  after=$(ls "Tests/Fixtures/fuzz/$target" | wc -l)
  printf '%s: %s s, %s runs (%s a second), coverage %s edges, 0 crashes; corpus %s -> %s inputs\n' \
    "$target" "$seconds" "$runs" "$rate" "$cov" "$before" "$after" >"$work/$target.summary"
  echo 0 >"$work/$target.status"
}

echo "== fuzz ${targets[*]}: $seconds s each, $jobs at a time"
running=0
for target in "${targets[@]}"; do
  fuzz_one "$target" &
  running=$((running + 1))
  if ((running >= jobs)); then wait -n || true; running=$((running - 1)); fi
done
wait
for target in "${targets[@]}"; do
  cat "$work/$target.summary" 2>/dev/null || echo "$target: FAILED: its job ended without a summary"
  [[ "$(cat "$work/$target.status" 2>/dev/null)" == 0 ]] || status=1
done

if ((control)); then
  echo "== control: planted bug canonical-raw-control; the canonical-encoder target must find it within 300 s"
  mkdir -p "$work/control" "$work/control.artifacts"
  cp "$work/seeds/canonical-encoder/seed-1" "$work/control/"
  start=$SECONDS
  expected="the canonical form holds a raw control character"
  if LIENTHONG_PLANTED_BUG=canonical-raw-control "$fuzzer" canonical-encoder -max_total_time=300 -max_len=8192 \
    -artifact_prefix="$work/control.artifacts/" "$work/control" >"$work/control.log" 2>&1; then
    echo "FAIL: 300 s with the planted bug and no finding: the harness does not catch this bug"; status=1
  elif ! grep -q "FUZZ FINDING: canonical-encoder: $expected" "$work/control.log"; then
    echo "FAIL: the control run stopped, but not on the planted bug ($expected):"; grep -m3 -E "FUZZ FINDING|ERROR|deadly" "$work/control.log"; status=1
  elif ! "$fuzzer" replay canonical-encoder "$work/control.artifacts/" >/dev/null; then
    echo "FAIL: the control run's input is a finding without the planted bug too"; status=1
  else
    echo "control failed, as it must, after $((SECONDS - start)) s: $expected (its input passes without the planted bug)"
  fi
fi
echo "== fuzz: $([[ $status == 0 ]] && echo ok || echo FAILED)"
exit $status
