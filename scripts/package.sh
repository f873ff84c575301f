#!/usr/bin/env bash
# Build one Lambda zip per function of the stack (infra/template.yaml) with cargo-lambda:
#
#   scripts/package.sh                               arm64, release profile: what `sam deploy` uploads
#   scripts/package.sh --arch x86_64 --profile rehearsal   the emulator rehearsal's zips (scripts/test.sh)
#   scripts/package.sh --function webhook-ingest     only some functions (repeatable)
#
# Output: target/lambda/<profile>-<arch>/<function>/bootstrap.zip (release-arm64 for AWS,
# rehearsal-x86_64 for the emulator, so neither overwrites the other), a BUILD file there, and a
# line per zip with its size; the build time is printed at the end.
#
# Tools, installed once (pinned, quiet, pip's cache) into .venv/tools: cargo-lambda 1.9.2 and
# zig (PyPI `ziglang`), which cargo-lambda uses as the cross linker for the Lambda target.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LAMBDA_VERSION="1.9.2"
ZIGLANG_VERSION="0.17.0"
TOOLS=".venv/tools"

ARCH="arm64"
PROFILE="release"
FUNCTIONS=()

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCH="${2:-}"; shift 2 || usage ;;
    --profile) PROFILE="${2:-}"; shift 2 || usage ;;
    --function) FUNCTIONS+=("${2:-}"); shift 2 || usage ;;
    -h|--help) usage ;;
    *) echo "package.sh: unknown argument $1" >&2; usage ;;
  esac
done

case "$ARCH" in
  arm64|aarch64) ARCH=arm64; ARCH_FLAG=--arm64; TRIPLE=aarch64-unknown-linux-gnu ;;
  x86_64|x86-64|amd64) ARCH=x86_64; ARCH_FLAG=--x86-64; TRIPLE=x86_64-unknown-linux-gnu ;;
  *) echo "package.sh: --arch is x86_64 or arm64, not '$ARCH'" >&2; exit 2 ;;
esac
[[ "$PROFILE" =~ ^[a-z][a-z0-9_-]*$ ]] || { echo "package.sh: bad --profile '$PROFILE'" >&2; exit 2; }

# By default, every function the stack deploys: each `CodeUri` key `${CodePrefix}<function>.zip`
# in infra/template.yaml names a crate functions/<function> (its package name).
if [ ${#FUNCTIONS[@]} -eq 0 ]; then
  while IFS= read -r f; do FUNCTIONS+=("$f"); done < <(
    grep -o '\${CodePrefix}[a-z0-9-]*\.zip' infra/template.yaml | sed 's/^\${CodePrefix}//; s/\.zip$//' | sort -u
  )
fi
[ ${#FUNCTIONS[@]} -gt 0 ] || { echo "package.sh: infra/template.yaml deploys no function" >&2; exit 2; }
for f in "${FUNCTIONS[@]}"; do
  [ -f "functions/$f/Cargo.toml" ] || { echo "package.sh: no function crate functions/$f" >&2; exit 2; }
done

install_tools() {
  if [ -x "$TOOLS/bin/cargo-lambda" ] && [ -f "$TOOLS/.pinned" ] &&
    [ "$(cat "$TOOLS/.pinned")" = "cargo-lambda==$CARGO_LAMBDA_VERSION ziglang==$ZIGLANG_VERSION" ]; then
    return 0
  fi
  echo "package.sh: installing cargo-lambda==$CARGO_LAMBDA_VERSION and ziglang==$ZIGLANG_VERSION into $TOOLS" >&2
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet --disable-pip-version-check \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" "ziglang==$ZIGLANG_VERSION" >&2
  echo "cargo-lambda==$CARGO_LAMBDA_VERSION ziglang==$ZIGLANG_VERSION" >"$TOOLS/.pinned"
}
install_tools
# cargo-lambda finds zig through the venv's python (`python -m ziglang`) or PATH.
export PATH="$PWD/$TOOLS/bin:$PATH"

if [ "$TRIPLE" != "$(rustc -vV | sed -n 's/^host: //p')" ] && command -v rustup >/dev/null 2>&1; then
  rustup target list --installed | grep -qx "$TRIPLE" || rustup target add "$TRIPLE" >&2
fi

PACKAGES=()
for f in "${FUNCTIONS[@]}"; do PACKAGES+=(--package "$f"); done

echo "package.sh: ${FUNCTIONS[*]} for $ARCH ($TRIPLE), profile $PROFILE" >&2
start=$(date +%s)
PROFILE_FLAG=(--profile "$PROFILE")
[ "$PROFILE" = release ] && PROFILE_FLAG=(--release)
OUT="target/lambda/$PROFILE-$ARCH"
cargo lambda build "${PROFILE_FLAG[@]}" "$ARCH_FLAG" --output-format zip --locked \
  --lambda-dir "$OUT" "${PACKAGES[@]}" >&2
elapsed=$(($(date +%s) - start))

printf 'arch=%s\nprofile=%s\nfunctions=%s\n' "$ARCH" "$PROFILE" "${FUNCTIONS[*]}" >"$OUT/BUILD"
for f in "${FUNCTIONS[@]}"; do
  zip="$OUT/$f/bootstrap.zip"
  [ -f "$zip" ] || { echo "package.sh: $zip was not produced" >&2; exit 1; }
  printf '%s\t%s bytes\n' "$zip" "$(wc -c <"$zip" | tr -d ' ')"
done
echo "package.sh: built in ${elapsed}s" >&2
