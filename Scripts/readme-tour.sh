#!/usr/bin/env bash
# Runs the README's short tour exactly as written (the ```sh block under "## A short tour"), on a
# free loopback port instead of 18080, and fails if any command in it fails. CI runs it so the
# tour keeps working from a fresh clone. Needs a debug build of `lienthong`.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
tour=$(mktemp)
trap 'rm -f "$tour"' EXIT
python3 - "$tour" "$port" <<'PY'
import sys
readme = open("README.md", encoding="utf-8").read()
section = readme[readme.index("## A short tour"):]
start = section.index("```sh\n") + len("```sh\n")
block = section[start:section.index("```\n", start)]
# `status` exits 2 (CRITICAL: the daemon never ran) by design in the tour; everything else must succeed.
block = block.replace("lienthong status --data-dir $T/xa ", "lienthong status --data-dir $T/xa || test $? = 2 ")
# The hub the tour starts is stopped by its own pid however the tour ends.
prelude = "set -euo pipefail\ntrap '[[ -n ${HUB:-} ]] && kill $HUB 2>/dev/null; true' EXIT\n"
open(sys.argv[1], "w", encoding="utf-8").write(prelude + block.replace("18080", sys.argv[2]))
PY
bash "$tour"
echo "the README tour ran as written (port $port)"
