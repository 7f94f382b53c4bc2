#!/usr/bin/env bash
# Runs every LienThong test that needs no other build: one debug build of the package and its tests,
# then the independent Python check of the event vectors, the configuration and OpenAPI documents,
# the demo, the deterministic simulation (200 seeds, and the planted bugs it must catch), and the Swift tests (unit, property, store, contract, end-to-end with real `lienthong`
# processes; the contract tests also validate every recorded request and answer against the
# OpenAPI documents).
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

echo "== configuration files (calendar, procedure catalogue)"
python3 Scripts/check-config.py

echo "== OpenAPI documents (openapi-spec-validator)"
for document in Docs/openapi-hub.json Docs/openapi-local.json; do
  python3 -c "import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print(sys.argv[1], 'valid')" "$document"
done

echo "== demo"
Scripts/demo.sh

echo "== deterministic simulation: 200 seeds, every fault kind (Scripts/simulate.sh)"
Scripts/simulate.sh --seeds 200

echo "== planted bugs: each must make the simulation fail (debug-build runtime switches)"
Scripts/simulate.sh --planted-bugs --seeds 200 --jobs 1

# Last, so that the test runner's summary closes the output. Two runs: the tests that serve a hub
# inside the test process (contract, hub, sync) first, then the end-to-end tests, which block their
# threads waiting on `lienthong` processes. Together, those waits were seen to starve the few
# cooperative threads an in-process hub answers on (timeouts in the contract tests).
echo "== swift tests"
if (($#)); then
  swift test --skip-build "$@"
else
  swift test --skip-build --skip EndToEndTests
  swift test --skip-build --filter EndToEndTests
fi
