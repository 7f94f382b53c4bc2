#!/usr/bin/env bash
# Installs the Debian packages LienThong's build and tests need, when they are missing.
# Safe to run again: it installs nothing that is already there.
#
#   Scripts/install-deps.sh                  # packages
#   Scripts/install-deps.sh --ca FILE        # also trust FILE (a PEM CA, e.g. the province's) system-wide:
#                                            # nodes reach an https:// hub whose certificate it issued
#   Scripts/install-deps.sh --remove-ca FILE # stop trusting a CA added with --ca
set -euo pipefail

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# The system store (ca-certificates): what libcurl, and so the node's URLSession, trusts.
ca_name() { echo "lienthong-$(basename "${1%.*}").crt"; }
case "${1:-}" in
  --ca)
    [ -f "${2:-}" ] || { echo "install-deps: --ca: expected a PEM certificate file; found \"${2:-}\"" >&2; exit 64; }
    grep -q "BEGIN CERTIFICATE" "$2" || { echo "install-deps: --ca: $2 holds no PEM certificate" >&2; exit 64; }
    "${sudo_cmd[@]}" install -m 0644 "$2" "/usr/local/share/ca-certificates/$(ca_name "$2")"
    "${sudo_cmd[@]}" update-ca-certificates >/dev/null
    echo "install-deps: $2 is trusted system-wide as $(ca_name "$2")"
    exit 0
    ;;
  --remove-ca)
    "${sudo_cmd[@]}" rm -f "/usr/local/share/ca-certificates/$(ca_name "${2:-}")"
    "${sudo_cmd[@]}" update-ca-certificates --fresh >/dev/null
    echo "install-deps: $(ca_name "${2:-}") is no longer trusted"
    exit 0
    ;;
  "") ;;
  *) echo "install-deps: unknown option $1 (expected --ca FILE or --remove-ca FILE)" >&2; exit 64 ;;
esac

# faketime: the clock-skew end-to-end tests run `lienthong` processes a day behind and ahead.
# fiu-utils: the chaos scenario io-error makes the node's fsync/fdatasync fail with fiu-run -x.
packages=(libsqlite3-dev libcurl4-openssl-dev sqlite3 python3 openssl ca-certificates faketime fiu-utils)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
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
