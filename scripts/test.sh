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

# Pinned Python tools, each in its own venv under .venv/ (quiet, idempotent, pip's cache).
CFN_LINT_VERSION="1.58.0"
SAM_TRANSLATOR_VERSION="1.115.0"
BOTO_PIN="1.43.106" # ministack's exact botocore pin; boto3 of the same version keeps it
pip_has() { # venv package version
  [ -x "$1/bin/pip" ] && "$1/bin/pip" show "$2" 2>/dev/null | grep -qx "Version: $3"
}
step "tools: cfn-lint, SAM transform for the emulator (pinned, .venv/)"
if ! pip_has .venv/cfn-lint cfn-lint "$CFN_LINT_VERSION" || ! pip_has .venv/cfn-lint aws-sam-translator "$SAM_TRANSLATOR_VERSION"; then
  python3 -m venv .venv/cfn-lint
  .venv/cfn-lint/bin/pip install --quiet --disable-pip-version-check \
    "cfn-lint==$CFN_LINT_VERSION" "aws-sam-translator==$SAM_TRANSLATOR_VERSION"
fi
# The rehearsal deploys a SAM template: ministack applies the transform with aws-sam-translator.
if ! pip_has .venv/emulator aws-sam-translator "$SAM_TRANSLATOR_VERSION"; then
  MINISTACK_VERSION="$(sed -n 's/^MINISTACK_VERSION="\(.*\)"$/\1/p' scripts/emulator.sh)"
  [ -x .venv/emulator/bin/pip ] || python3 -m venv .venv/emulator
  .venv/emulator/bin/pip install --quiet --disable-pip-version-check "ministack==$MINISTACK_VERSION" \
    "aws-sam-translator==$SAM_TRANSLATOR_VERSION" "boto3==$BOTO_PIN" "botocore==$BOTO_PIN"
fi
.venv/cfn-lint/bin/cfn-lint --version

step "cfn-lint infra/template.yaml (.cfnlintrc)"
.venv/cfn-lint/bin/cfn-lint

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

step "Lambda zips for the rehearsal (cargo-lambda, x86_64, profile rehearsal)"
scripts/package.sh --arch x86_64 --profile rehearsal
export WAPIPE_LAMBDA_ZIPS="$PWD/target/lambda/rehearsal-x86_64"

step "cargo test --workspace"
# CI=true makes emulator tests fail (not skip) if the emulator were missing.
rm -f target/rehearsal-report.json
cargo test --workspace --locked
if [ -f target/rehearsal-report.json ]; then
  echo "rehearsal:"
  cat target/rehearsal-report.json
  echo
fi

step "done in ${SECONDS}s"
