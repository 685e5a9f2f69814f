#!/usr/bin/env bash
# Times the release `gen` end to end at the sizes users reach, beside the floor
# (`cp -r` of the tree it writes) and the peer (Python + Jinja2 rendering the
# same templates from `gen context`, benches/jinja_peer.py), and prints a
# Markdown table: the median of RUNS runs (default 5), of the time and of gen's
# peak memory (which varies by a tenth between runs, as threads share memory).
#
#   benches/end-to-end.sh                 # example, 200, 2000 and 5000 hosts
#   SIZES="200 2000" RUNS=3 benches/end-to-end.sh
#
# Outputs stay on the project's disk until the end: ext4 allocates inodes slowly
# for a while after many are deleted, which would skew the runs after the first.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
sizes=${SIZES:-"example 200 2000 5000"}

cargo build -q --release --bin gen --example synthetic
bin="${CARGO_TARGET_DIR:-target}/release"
python3 -c 'import jinja2' 2>/dev/null || python3 -m pip install -q jinja2
work=$(mktemp -d "$PWD/target/end-to-end.XXXXXX")
# gen's cache of each output directory goes with the outputs.
export XDG_CACHE_HOME="$work/cache"
trap 'rm -rf "$work"' EXIT

# shellcheck source=benches/timing.sh
source benches/timing.sh

echo "| hosts = services | files | gen render, empty dir | gen render, up to date | gen check | gen check, no cache | peak RSS | Python + Jinja2 | cp -r |"
echo "|---|---|---|---|---|---|---|---|---|"
for size in $sizes; do
  dir="$work/$size"
  mkdir -p "$dir"
  if [ "$size" = example ]; then
    cp inventory.yaml "$dir/inventory.yaml"
  else
    "$bin/examples/synthetic" "$size" > "$dir/inventory.yaml"
  fi
  "$bin/gen" context --inventory "$dir/inventory.yaml" > "$dir/context.json"
  : > "$dir/cold"; : > "$dir/current"; : > "$dir/check"; : > "$dir/fresh"; : > "$dir/python"; : > "$dir/copy"
  for run in $(seq "$runs"); do
    timed "$bin/gen" render -q --inventory "$dir/inventory.yaml" --out "$dir/out$run" >> "$dir/cold"
    timed "$bin/gen" render -q --inventory "$dir/inventory.yaml" --out "$dir/out$run" >> "$dir/current"
    timed "$bin/gen" check -q --inventory "$dir/inventory.yaml" --out "$dir/out$run" >> "$dir/check"
    # As in CI, on a fresh clone: no cache of earlier renders (`check` writes none).
    XDG_CACHE_HOME="$work/no-cache" timed "$bin/gen" check -q --inventory "$dir/inventory.yaml" \
      --out "$dir/out$run" >> "$dir/fresh"
    timed python3 benches/jinja_peer.py "$dir/context.json" templates "$dir/python$run" >> "$dir/python"
    timed cp -r "$dir/out$run" "$dir/copy$run" >> "$dir/copy"
  done
  files=$(find "$dir/out1" -type f | wc -l)
  rss=$(column 2 < "$dir/cold" | median)
  printf '| %s | %s | %s s | %s s | %s s | %s s | %s MB | %s s | %s s |\n' "$size" "$files" \
    "$(column 1 < "$dir/cold" | median)" "$(column 1 < "$dir/current" | median)" \
    "$(column 1 < "$dir/check" | median)" "$(column 1 < "$dir/fresh" | median)" "$((rss / 1024))" \
    "$(column 1 < "$dir/python" | median)" "$(column 1 < "$dir/copy" | median)"
done
