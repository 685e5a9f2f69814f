#!/usr/bin/env bash
# Times `gen plan` of the release binary on synthetic clusters, beside `gen
# check` of the same tree (after its render, so the inventory is not parsed
# again), and prints a Markdown table: the median of RUNS runs (default 5) and
# the plan's peak memory.
# Two changes per size: one host's kernel command line (one host reboots), and
# the cluster's time zone (every host changes, in quorum-safe order). As a user
# runs it, the output directory holds the changed inventory's render.
#
#   benches/plan.sh                 # 200, 2000 and 5000 hosts
#   SIZES="2000" RUNS=3 benches/plan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
sizes=${SIZES:-"200 2000 5000"}

cargo build -q --release --bin gen --example synthetic
bin="${CARGO_TARGET_DIR:-target}/release"
work=$(mktemp -d "$PWD/target/plan-bench.XXXXXX")
# gen's cache of each output directory goes with the outputs.
export XDG_CACHE_HOME="$work/cache"
trap 'rm -rf "$work"' EXIT

# shellcheck source=benches/timing.sh
source benches/timing.sh

# The inventory $1 with one change, $2: `kernel` or `time-zone`.
changed() {
  case "$2" in
    kernel) awk '{ print } /^  w0100:$/ { host = 1 } host && /^    roles:/ { print "    nix:\n      boot.kernelParams: [quiet]"; host = 0 }' "$1" ;;
    time-zone) sed 's|time_zone: Europe/Berlin|time_zone: Europe/Paris|' "$1" ;;
  esac
}

echo "| hosts = services | change | hosts changed | gen plan | gen check | plan peak RSS |"
echo "|---|---|---|---|---|---|"
for size in $sizes; do
  dir="$work/$size"
  mkdir -p "$dir"
  "$bin/examples/synthetic" "$size" > "$dir/before.yaml"
  for change in kernel time-zone; do
    changed "$dir/before.yaml" "$change" > "$dir/$change.yaml"
    "$bin/gen" render -q --inventory "$dir/$change.yaml" --out "$dir/out-$change"
    hosts=$("$bin/gen" plan -q --format json --inventory "$dir/$change.yaml" --before "$dir/before.yaml" --out "$dir/out-$change" |
      python3 -c 'import json, sys; print(len(json.load(sys.stdin)["plan"]["hosts"]))')
    : > "$dir/plan"; : > "$dir/check"
    for _ in $(seq "$runs"); do
      timed "$bin/gen" plan -q --inventory "$dir/$change.yaml" --before "$dir/before.yaml" --out "$dir/out-$change" >> "$dir/plan"
      timed "$bin/gen" check -q --inventory "$dir/$change.yaml" --out "$dir/out-$change" >> "$dir/check"
    done
    rss=$(column 2 < "$dir/plan" | sort -n | tail -1)
    printf '| %s | %s | %s | %s s | %s s | %s MB |\n' "$size" "$change" "$hosts" \
      "$(column 1 < "$dir/plan" | median)" "$(column 1 < "$dir/check" | median)" "$((rss / 1024))"
  done
done
