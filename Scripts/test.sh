#!/usr/bin/env bash
# Runs every LienThong test that needs no other build: one debug build of the package and its tests,
# then the Swift tests (unit, property, store, end-to-end with real `lienthong` processes) and the
# independent Python check of the event vectors.
#
#   Scripts/test.sh                 # everything
#   Scripts/test.sh --filter NAME   # only Swift tests matching NAME (the vector check still runs)
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-deps.sh

echo "== build (debug, with tests)"
swift build --build-tests

echo "== event vectors, independent Python implementation"
python3 Scripts/vectors.py check

echo "== swift tests"
swift test --skip-build "$@"

echo "== demo"
Scripts/demo.sh
