# Timing helpers the bench scripts source; they write scratch files into "$work".

# Seconds (wall, to the millisecond) and peak kilobytes of one command, its output discarded.
timed() {
  local start=$EPOCHREALTIME
  /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  local end=$EPOCHREALTIME
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }') $(cat "$work/rss")"
}
median() { sort -n | awk '{ value[NR] = $1 } END { print value[int((NR + 1) / 2)] }'; }
column() { awk -v n="$1" '{ print $n }'; }
