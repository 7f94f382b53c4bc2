#!/usr/bin/env bash
# Installs the Debian packages LienThong's build and tests need, when they are missing.
# Safe to run again: it installs nothing that is already there.
set -euo pipefail

packages=(libsqlite3-dev libcurl4-openssl-dev sqlite3 python3)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
else
  echo "install-deps: ${packages[*]} already installed"
fi

command -v swift >/dev/null || { echo "install-deps: swift not found on PATH (expected Swift 6.1 or later, e.g. /opt/swift/usr/bin)" >&2; exit 1; }

# The OpenAPI documents' own validator (Scripts/test.sh checks Docs/openapi-*.json with it).
if ! python3 -c "import openapi_spec_validator" 2>/dev/null; then
  echo "install-deps: installing openapi-spec-validator (PyPI)"
  python3 -m pip install -q "openapi-spec-validator==0.9.0" || python3 -m pip install -q --user "openapi-spec-validator==0.9.0"
fi
