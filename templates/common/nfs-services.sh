# The services share's state transitions, each idempotent and failing closed:
#
#   promote           on the primary, before serving: keep the export of this
#                     generation, or make it from the newest complete snapshot
#                     the previous primary sent, or refuse
#   demote            on a standby: set a former export aside, drop its snapshots
#   snapshot          on the primary: a read-only snapshot of the export
#   replicate NAME ADDRESS
#                     on the primary: send the newest snapshot to one standby
#   receive           on a standby, as the replication key's forced command
#   data-dirs         on the primary: each service's directory, with its owner
#
# Every path and setting comes from the environment the unit sets, never from
# this text, and every command from the PATH it sets:
#
#   EXPORT            the exported btrfs subvolume
#   RECEIVED          where a standby receives snapshots
#   GENERATION        the share's generation: each failover increases it (a
#                     host refuses to go back to a lower one it has served)
#   FIRST_DEPLOYMENT  1 when an empty share may be made (nothing received yet)
#   SET_ASIDE_DAYS    days a set-aside export is kept
#   KEEP              received snapshots a standby keeps
#   STATE             the primary's replication state directory
#   STANDBYS          the standbys' names: the state of any other is dropped
#   REPLICATION_KEY   the primary's SSH key for the standbys
#   DATA_DIRS         `name:owner` of each service keeping data; owner `-` when
#                     the container owns its directory
set -euo pipefail

export_dir=$(dirname "$EXPORT")
export_name=$(basename "$EXPORT")
# Snapshots are `<export name>@<UTC time>`: their names sort by age.
prefix="$export_name@"
marker=".nfs-services-generation"
# The highest generation this host has served: outside the export, so an older
# configuration booted from the boot menu cannot go back to it.
highest="$export_dir/.$export_name-highest-generation"

log() { printf '%s\n' "$*" >&2; }

now() { date -u +%Y%m%dT%H%M%SZ; }

# A snapshot `btrfs receive` finished: read-only, with a received UUID. A
# receive cut short leaves a writable subvolume without one.
is_complete() {
  local info
  info=$(btrfs subvolume show "$1" 2>/dev/null) || return 1
  grep -Eq '^[[:space:]]*Flags:[[:space:]]*readonly' <<<"$info" &&
    grep -Eq '^[[:space:]]*Received UUID:[[:space:]]*[0-9a-f]{8}-' <<<"$info"
}

generation_of() {
  cat "$1/$marker" 2>/dev/null || echo 0
}

# The primary's own snapshots, oldest first.
own_snapshots() {
  local path
  for path in "$export_dir/$prefix"*; do
    if [ -e "$path" ]; then printf '%s\n' "$path"; fi
  done | sort
}

# Received snapshots, newest first.
received() {
  local path
  for path in "$RECEIVED/$prefix"*; do
    if [ -e "$path" ]; then printf '%s\n' "$path"; fi
  done | sort -r
}

set_aside() {
  local target
  target="$export_dir/$export_name.set-aside-$(now)"
  mv "$EXPORT" "$target"
  log "set $EXPORT aside as $target"
}

# Refuses a configuration older than what this host has already served.
not_behind() {
  local served
  served=$(cat "$highest" 2>/dev/null || echo 0)
  if [ "$GENERATION" -lt "$served" ]; then
    log "refusing: this host served generation $served; this configuration is of generation $GENERATION, older"
    return 1
  fi
}

# The export appears whole or not at all: made under another name, marked,
# synced, then renamed into place.
install_export() {
  local making="$EXPORT.promoting"
  if [ -e "$making" ]; then btrfs subvolume delete "$making"; fi
  "$@" "$making"
  printf '%s\n' "$GENERATION" >"$making/$marker"
  sync -f "$making/$marker"
  mv "$making" "$EXPORT"
  printf '%s\n' "$GENERATION" >"$highest"
  sync -f "$highest"
}

promote() {
  not_behind || return 1
  if [ -e "$EXPORT" ]; then
    local current
    current=$(generation_of "$EXPORT")
    if [ "$current" = "$GENERATION" ]; then
      log "$EXPORT is this generation's ($GENERATION): serving it"
      printf '%s\n' "$GENERATION" >"$highest"
      return 0
    fi
    # An export made before generations were recorded is the first one's.
    if [ ! -e "$EXPORT/$marker" ] && [ "$GENERATION" = 1 ]; then
      printf '%s\n' "$GENERATION" >"$EXPORT/$marker"
      printf '%s\n' "$GENERATION" >"$highest"
      log "$EXPORT predates generations: recorded as generation 1, serving it"
      return 0
    fi
    if [ "$current" -gt "$GENERATION" ]; then
      log "refusing: $EXPORT is of generation $current, newer than this configuration's $GENERATION"
      return 1
    fi
    log "$EXPORT is of generation $current, not $GENERATION: older than the share"
    set_aside
  fi
  local snapshot
  while read -r snapshot; do
    if ! is_complete "$snapshot"; then
      log "skipping $snapshot: not a complete receive"
      continue
    fi
    local generation
    generation=$(generation_of "$snapshot")
    if [ "$generation" != "$((GENERATION - 1))" ]; then
      log "refusing: the newest complete snapshot, $snapshot, is of generation $generation; generation $GENERATION starts from one of $((GENERATION - 1))"
      return 1
    fi
    install_export btrfs subvolume snapshot "$snapshot"
    log "promoted $snapshot to $EXPORT, generation $GENERATION"
    return 0
  done < <(received)
  if [ "${FIRST_DEPLOYMENT:-0}" = 1 ] && [ -z "$(received)" ]; then
    install_export btrfs subvolume create
    log "created an empty $EXPORT: first deployment"
    return 0
  fi
  log "refusing: no complete snapshot to promote in $RECEIVED, and this is not a first deployment"
  return 1
}

demote() {
  not_behind || return 1
  if [ -e "$EXPORT" ]; then
    local current
    current=$(generation_of "$EXPORT")
    if [ "$current" -ge "$GENERATION" ]; then
      log "refusing: $EXPORT is of generation $current, which this standby configuration ($GENERATION) does not supersede"
      return 1
    fi
    set_aside
  fi
  local path name cutoff
  # The former primary's own snapshots: a standby keeps only what it receives.
  own_snapshots | while read -r path; do
    btrfs subvolume delete "$path"
  done
  cutoff=$(date -u -d "-${SET_ASIDE_DAYS} days" +%Y%m%dT%H%M%SZ)
  for path in "$export_dir/$export_name.set-aside-"*; do
    [ -e "$path" ] || continue
    name=$(basename "$path")
    if [[ "${name##*.set-aside-}" < "$cutoff" ]]; then
      btrfs subvolume delete "$path"
      log "pruned $path, set aside over $SET_ASIDE_DAYS days ago"
    fi
  done
}

# Snapshots still needed: the newest, and each standby's parent or the one
# being sent to it.
needed() {
  local path name
  own_snapshots | tail -n 1 | xargs -r -n1 basename
  for path in "$STATE"/*.parent "$STATE"/*.sending; do
    [ -f "$path" ] || continue
    name=$(basename "$path")
    name=${name%.*}
    # A standby no longer in the inventory holds back no snapshot.
    if [[ " ${STANDBYS:-} " == *" $name "* ]]; then
      cat "$path"
    else
      rm -f "$path"
    fi
  done
}

snapshot() {
  local taken path keep
  taken="$prefix$(now)"
  btrfs subvolume snapshot -r "$EXPORT" "$export_dir/$taken"
  # Names sort by time: after the clock went back, the new one would not be
  # the newest and the standbys would silently stop receiving.
  if [ "$(own_snapshots | tail -n 1 | xargs -r -n1 basename)" != "$taken" ]; then
    log "refusing: $taken is older than an existing snapshot; is the clock behind?"
    return 1
  fi
  keep=$(needed)
  own_snapshots | while read -r path; do
    if ! grep -qxF "$(basename "$path")" <<<"$keep"; then
      btrfs subvolume delete "$path"
    fi
  done
}

replicate() {
  local name=$1 address=$2 newest parent=""
  newest=$(own_snapshots | tail -n 1 | xargs -r -n1 basename)
  if [ -z "$newest" ]; then
    log "$name: no snapshot to send yet"
    return 0
  fi
  if [ -f "$STATE/$name.parent" ] && [ -e "$export_dir/$(cat "$STATE/$name.parent")" ]; then
    parent="$export_dir/$(cat "$STATE/$name.parent")"
  fi
  if [ "$parent" = "$export_dir/$newest" ]; then
    return 0
  fi
  printf '%s\n' "$newest" >"$STATE/$name.sending"
  send() {
    btrfs send "$@" | ssh -i "$REPLICATION_KEY" -o BatchMode=yes \
      -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$STATE/known_hosts" \
      "root@$address"
  }
  if [ -n "$parent" ] && send -p "$parent" "$export_dir/$newest"; then
    :
  elif send "$export_dir/$newest"; then
    log "$name: sent in full"
  else
    rm -f "$STATE/$name.sending"
    log "$name: replication failed"
    return 1
  fi
  printf '%s\n' "$newest" >"$STATE/$name.parent"
  rm -f "$STATE/$name.sending"
}

receive() {
  local path
  # Leftovers of a receive cut short (a power cut, a lost connection).
  for path in "$RECEIVED"/*; do
    [ -e "$path" ] || continue
    if ! btrfs subvolume show "$path" >/dev/null 2>&1; then
      log "leaving $path alone: not a subvolume"
    elif ! is_complete "$path"; then
      btrfs subvolume delete "$path"
      log "removed the incomplete $path"
    fi
  done
  btrfs receive "$RECEIVED"
  received | tail -n +"$((KEEP + 1))" | while read -r path; do
    btrfs subvolume delete "$path"
  done
}

data_dirs() {
  local entry name owner
  for entry in $DATA_DIRS; do
    name=${entry%%:*}
    owner=${entry#*:}
    if [ "$owner" = - ]; then
      [ -e "$EXPORT/$name" ] || install -d -m 0755 "$EXPORT/$name"
    else
      install -d -m 0755 -o "$owner" -g "$owner" "$EXPORT/$name"
      chown "$owner:$owner" "$EXPORT/$name"
    fi
  done
}

case "${1:-}" in
promote) promote ;;
demote) demote ;;
snapshot) snapshot ;;
replicate) replicate "$2" "$3" ;;
receive) receive ;;
data-dirs) data_dirs ;;
*)
  log "usage: nfs-services promote|demote|snapshot|replicate NAME ADDRESS|receive|data-dirs"
  exit 2
  ;;
esac
