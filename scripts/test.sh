#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it. On a fresh Debian machine it installs what the
# tests need first (Chromium, Node.js, the browser-test packages); nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests need, installed when missing: Chromium and Node.js for the browser
# tests, nginx for the front-proxy tests, poppler-utils to read the invoice PDFs.
needed=()
command -v chromium >/dev/null || needed+=(chromium)
command -v node >/dev/null || needed+=(nodejs)
command -v npm >/dev/null || needed+=(npm)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || needed+=(nginx)
command -v pdftotext >/dev/null || needed+=(poppler-utils)
# python3 with venv for schemathesis (installed from PyPI into target/ by the schema check).
command -v python3 >/dev/null || needed+=(python3)
command -v curl >/dev/null || needed+=(curl)
python3 -c 'import ensurepip, venv' 2>/dev/null || needed+=(python3-venv)
if ((${#needed[@]})); then
    echo "== installing ${needed[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}"
fi

echo "== formatting"
cargo fmt --check

echo "== unit and integration tests"
cargo test --locked --all-targets

echo "== API against its OpenAPI document (schemathesis)"
./scripts/api_schema_check.sh

echo "== browser tests (headless Chromium)"
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
export PORTALGEN_BIN="$PWD/target/debug/portalgen"
export CHROMIUM="$(command -v chromium)"
node --test tests/browser/*.test.mjs
