#!/usr/bin/env bash
# Runs the end-to-end tests with the tests' clock (LIENTHONG_TEST_DATE, Docs/testing.md) at hard
# dates: New Year's Eve at 23:59 (the run crosses midnight into the new year), New Year's Day at
# 00:01, the eve of Tết, a Sunday, the hour after midnight, and 1 July 2025 (the reform). Every run
# must pass. Needs the debug build with tests (Scripts/test.sh makes it); builds it when missing.
#
#   Scripts/date-sweep.sh                       # every end-to-end test at every date
#   Scripts/date-sweep.sh --filter REGEX        # only the tests matching REGEX (what CI runs)
#   Scripts/date-sweep.sh --dates "2026-02-16T10:00 2026-11-22T10:00"
set -euo pipefail
cd "$(dirname "$0")/.."

filter=EndToEndTests
dates=(
  "2025-12-31T23:59"  # New Year's Eve, a minute before midnight: receipts on one side, status on the other
  "2026-01-01T00:01"  # New Year's Day (a holiday), just past midnight
  "2026-02-16T10:00"  # the eve of Tết Bính Ngọ (a holiday inside the Tết break)
  "2026-11-22T10:00"  # a Sunday
  "2026-11-19T00:30"  # the hour after midnight, before office hours
  "2025-07-01T08:00"  # 1 July 2025: the reform's first day
)
while (($#)); do
  case "$1" in
    --filter) filter="$2"; shift 2 ;;
    --dates) read -r -a dates <<<"$2"; shift 2 ;;
    *) echo "date-sweep: unknown option $1 (expected --filter REGEX or --dates \"D1 D2\")" >&2; exit 64 ;;
  esac
done

command -v faketime >/dev/null || Scripts/install-deps.sh  # the clock-skew tests' machines a day off
[[ -x .build/debug/lienthong ]] || swift build --build-tests

failed=()
for date in "${dates[@]}"; do
  echo "== date sweep: tests at $date Vietnam time (LIENTHONG_TEST_DATE=$date), --filter '$filter'"
  start=$SECONDS
  if LIENTHONG_TEST_DATE="$date" swift test --skip-build --filter "$filter"; then
    echo "date sweep: $date passed in $((SECONDS - start)) s"
  else
    echo "date sweep: $date FAILED (replay: LIENTHONG_TEST_DATE=$date swift test --skip-build --filter '$filter')"
    failed+=("$date")
  fi
done
echo "date sweep: $((${#dates[@]} - ${#failed[@]})) of ${#dates[@]} dates passed${failed:+; failed: ${failed[*]}}"
((${#failed[@]} == 0))
