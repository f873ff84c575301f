#!/usr/bin/env bash
# The one test command (README): sets up what the tests need on a fresh machine, starts the
# AWS emulator on 127.0.0.1, runs every test, stops the emulator. Exit non-zero on any failure.
#
#   scripts/test.sh            everything: fmt, clippy, unit/handler/property tests, emulator tests
#   SKIP_LINT=1 scripts/test.sh  tests only
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: install Rust with rustup (https://rustup.rs), then run this again" >&2
  exit 2
fi
cargo --version
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
command -v python3 >/dev/null 2>&1 || { echo "python3 is needed for the emulator (ministack)" >&2; exit 2; }

step "emulator (ministack, pinned, 127.0.0.1 only)"
scripts/emulator.sh start
trap 'scripts/emulator.sh stop >/dev/null 2>&1 || true' EXIT
eval "$(scripts/emulator.sh env)"
echo "emulator at $WAPIPE_EMULATOR_ENDPOINT"

if [ "${SKIP_LINT:-0}" != 1 ]; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
  step "cargo clippy (warnings are errors)"
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi

step "cargo test --workspace"
# CI=true makes emulator tests fail (not skip) if the emulator were missing.
cargo test --workspace --locked

step "done"
