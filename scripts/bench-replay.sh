#!/usr/bin/env bash
# Whole-process benchmark: `wapipe replay` on N generated EUM events against a plain Python
# handler doing the same decoding and dedupe (tools/baseline_ingest.py), in the same run.
# Prints each wall time (best of RUNS) and the ratio. Bounded: N events, RUNS runs each.
#
#   scripts/bench-replay.sh [N=20000] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
runs=${2:-3}
data=bench-data/load-$n
if [ ! -d "$data" ]; then
  python3 tools/gen_load.py --count "$n" --out "$data" --seed 1
fi
# The bench profile (release without LTO, see Cargo.toml) builds in minutes; the LTO release
# binary is at least as fast, so the ratio is conservative.
cargo build --profile bench -p wapipe --quiet
bin=${CARGO_TARGET_DIR:-target}/release/wapipe

best() { # best wall time in ms of $runs runs of "$@"
  local best=""
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null
    e=$(date +%s%N)
    local ms=$(( (e - s) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

# --ingest-only: the baseline does ingest's job (decode, dedupe, normalise), not the consumers'.
rust=$(best "$bin" replay "$data" --json --ingest-only)
py=$(best python3 tools/baseline_ingest.py "$data")
echo "events: $n   wapipe replay: ${rust} ms   python baseline: ${py} ms   ratio: $(python3 -c "print(f'{$py/max($rust,1):.1f}x')")"
"$bin" replay "$data" --json --ingest-only | python3 -c 'import json,sys; s=json.load(sys.stdin); print("wapipe:", s["records"], "records,", sum(s["events"].values()), "events,", s["duplicates"], "duplicates,", len(s["parked"]), "parked")'
python3 tools/baseline_ingest.py "$data" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("python:", s["records"], "records,", sum(s["events"].values()), "events,", s["duplicates"], "duplicates,", len(s["parked"]), "parked")'
