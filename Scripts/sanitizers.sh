#!/usr/bin/env bash
# Issue 8, item 10: the whole test suite under AddressSanitizer and under ThreadSanitizer, each in a
# build of its own (.build-address, .build-thread; never CI's build, and not run by CI), expecting
# 0 reports — from the test process and from every `lienthong` process the end-to-end tests start
# (each writes its reports to a file, ASAN_OPTIONS/TSAN_OPTIONS log_path, and the run fails if any
# file appears). Before each suite, proof that the sanitizer fires: the planted bug
# asan-heap-overflow or tsan-data-race (debug builds only) makes SanitizerProbe read past a heap
# buffer or race on a counter, and that run must stop with the sanitizer's report.
#
#   Scripts/sanitizers.sh                  # address, then thread
#   Scripts/sanitizers.sh thread           # one of them
#
# A clean build took 5 minutes (address) and 7 (thread) on these 2-core machines. LeakSanitizer is
# off (see below). Figures: README, Reliability.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh >/dev/null

sanitizers=("$@")
((${#sanitizers[@]})) || sanitizers=(address thread)
status=0
for sanitizer in "${sanitizers[@]}"; do
  case "$sanitizer" in
    # Leak checking is off: at exit every process still holds its process-lifetime objects (NIO's
    # singleton thread pool, XCTest's suite objects), which LeakSanitizer reports as leaks.
    address) bug=asan-heap-overflow; report="AddressSanitizer: heap-buffer-overflow"; options=ASAN_OPTIONS; extra=":detect_leaks=0" ;;
    thread) bug=tsan-data-race; report="ThreadSanitizer: data race"; options=TSAN_OPTIONS; extra="" ;;
    *) echo "sanitizers.sh: unknown sanitizer $sanitizer (expected address or thread)" >&2; exit 64 ;;
  esac
  # SANITIZER_SCRATCH names the build directory when one sanitizer is run (default .build-NAME).
  scratch="${SANITIZER_SCRATCH:-.build-$sanitizer}"
  echo "== $sanitizer: build ($scratch)"
  start=$SECONDS
  swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
  echo "built in $((SECONDS - start)) s"
  case "$scratch" in /*) ;; *) scratch="$PWD/$scratch" ;; esac
  export LIENTHONG_BIN="$scratch/debug/lienthong"
  reports="$(mktemp -d)"
  run() { swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "$@"; }

  echo "== $sanitizer: the planted bug $bug must be reported"
  log="$(mktemp)"
  # The report must be the probe's: its stack names SanitizerProbe.
  if LIENTHONG_PLANTED_BUG=$bug run --filter SanitizerProbeTests >"$log" 2>&1 && ! grep -q "$report" "$log"; then
    echo "FAIL: with $bug the probe ran clean: the $sanitizer sanitizer did not fire"; status=1
  elif grep -q "$report" "$log" && grep -q "SanitizerProbe" "$log"; then
    echo "OK: $(grep -m1 "$report" "$log" | sed 's/^[=0-9]* *//')"
  else
    echo "FAIL: the probe failed without the expected report ($report):"; tail -20 "$log"; status=1
  fi
  rm -f "$log"

  echo "== $sanitizer: the whole suite (reports from every process to $reports)"
  start=$SECONDS
  declare -x "$options=log_path=$reports/report:halt_on_error=0$extra"
  suite=0
  run --skip EndToEndTests || suite=1
  # Not ClockSkewEndToEndTests: under AddressSanitizer and under ThreadSanitizer a `lienthong`
  # started through faketime (libfaketime preloaded) never got past `node init` (seen 2026-11-22;
  # stopped after 15 and 7 min).
  run --filter EndToEndTests --skip ClockSkewEndToEndTests || suite=1
  unset "$options"
  found=$(find "$reports" -type f | wc -l)
  echo "$sanitizer: suite exit $suite, $found report file(s), $((SECONDS - start)) s"
  if ((found)); then
    echo "reports by kind (all kept in $reports):"
    cat "$reports"/* | grep -h -o -E "(ERROR|WARNING): [A-Za-z]+Sanitizer: [^(]*" | sort | uniq -c | sort -rn || true
    files=("$reports"/*)
    for file in "${files[@]:0:3}"; do echo "--- $file"; head -40 "$file"; done
    status=1
  else
    rm -rf "$reports"
  fi
  ((suite == 0)) || status=1
done
exit $status
