#!/usr/bin/env bash
# LienThong benchmarks (issue 9), not run in CI: a release build of `lienthong-bench`, which
# measures the hub against the machine's own limit in the same run (only ratios hold on noisy
# machines) and prints a table; the figures also go to a JSON file.
#
#   Scripts/bench.sh [--quick] [--json FILE] [--only breakdown,ingest,catch-up,latency,scale,replay]
#
# Measures: the ceiling (the same event rows straight into SQLite, WAL, synchronous=FULL, 2,000 a
# transaction); a push's stages on one thread; hub ingest with 1, 10 and 50 communes pushing
# 1,000,000 events over HTTP (every check on), its ratio to the ceiling, the projector's catch-up
# and bytes on the wire per event; a commune's catch-up after a month offline; latency with the
# link up (commune → hub, district decision → commune) and the local API's write, p50/p99; 1,000
# communes long-polling a hub in its own process (resident memory, errors); a province-year
# (1,600,000 events) replayed into a fresh hub; and growth (ingest, catch-up and replay at two
# sizes). --quick scales it all down. The README's Performance section has the last full figures.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh >/dev/null
echo "== release build of lienthong-bench (its own build directory, .build/release)"
swift build -c release --product lienthong-bench
bin="$(swift build -c release --show-bin-path)/lienthong-bench"
json=bench-results.json
args=()
while (($#)); do
  case "$1" in
    --json) json="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
"$bin" --json "$json" "${args[@]}"
