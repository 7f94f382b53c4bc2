#!/usr/bin/env bash
# Fault injection with real processes (issue 8): `lienthong-chaos` starts real `lienthong hub run`
# and `node run` processes on loopback, injects a fault, checks the invariants (nothing saved or
# stored lost, nothing duplicated, chains and `PRAGMA integrity_check` ok, one state hash across
# replicas) and prints one line of figures per scenario, then runs the scenario again with its
# protection switched off (a planted bug, debug builds only), which must fail: proof that the
# fault is real.
#
#   Scripts/chaos.sh                       # every scenario at full size
#   Scripts/chaos.sh --quick               # reduced sizes (CI runs this)
#   Scripts/chaos.sh --only 1,hub-kill     # some scenarios, by number or name
#   Scripts/chaos.sh --seed S              # replay the random moments of a run (printed at its start)
#
# Scenarios: 1 node-kill, 2 hub-kill, 3 ambiguous, 4 slow-link, 5 partition (3–5 through
# Scripts/faultproxy.py, the project's own fault-injecting proxy: the kernel has no netem and
# toxiproxy is not packaged), 6 disk-full (a small tmpfs: needs root, as on the project's
# machines), 7 clock-skew (faketime), 11 security (the matrix of credentials, limits, slow
# headers, secrets and file modes). 8 (schemathesis) is Scripts/schemathesis.sh.
# Uses the debug build (the one `swift build --build-tests` makes): planted bugs exist only there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Always built (a no-op when up to date, as after CI's `swift build --build-tests`): stale binaries
# would test old code.
swift build
export LIENTHONG_BIN="$PWD/.build/debug/lienthong"
exec .build/debug/lienthong-chaos "$@"
