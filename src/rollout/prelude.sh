# Jobs stopped for the services share and not run again yet: said on any exit.
stopped=''
trap '[ -z "$stopped" ] || echo "still stopped, run them again with nomad job run: $stopped" >&2' EXIT

# Runs `$@` every 5 seconds until it succeeds, for at most 10 minutes.
retry() {
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    [ "$tries" -lt 120 ] || { echo "gave up waiting for: $*" >&2; return 1; }
    sleep 5
  done
}

# Nomad's ID of the live client named $1 (`nomad node drain` takes IDs only).
node_id() {
  nomad node status -quiet -filter "Name == \"$1\" and Status != \"down\""
}

# Keeps new allocations off the client $1.
ineligible() {
  nomad node eligibility -disable "$(node_id "$1")"
}

# Moves every allocation off the client $1 and keeps new ones away.
drain() {
  nomad node drain -enable -yes -deadline 30m "$(node_id "$1")"
}

# Whether the client $1 is up and ready for allocations.
node_ready() {
  [ -n "$(nomad node status -quiet -filter "Name == \"$1\" and Status == \"ready\"")" ]
}

# Lets Nomad place allocations on the client $1 again.
undrain() {
  nomad node drain -disable -yes "$(node_id "$1")"
}

# Whether Nomad's servers are healthy as a whole and Consul has a leader.
cluster_healthy() {
  nomad operator autopilot health -json | jq -e '.Healthy' >/dev/null &&
    consul operator raft list-peers >/dev/null
}

# Whether the server $1 is a healthy Nomad server, alive in Consul and one of
# its Raft voters.
server_healthy() {
  nomad operator autopilot health -json |
    jq -e --arg name "$1.global" 'any(.Servers[]; .Name == $name and .Healthy)' >/dev/null &&
    consul members -status=alive | awk -v node="$1" '$1 == node { found = 1 } END { exit !found }' &&
    consul operator raft list-peers |
    awk -v node="$1" '$1 == node && $5 == "true" { found = 1 } END { exit !found }'
}

# Whether the host reached by `ssh "$@"` runs another boot than $boot_id.
rebooted() {
  now=$(ssh -o ConnectTimeout=5 "$@" cat /proc/sys/kernel/random/boot_id 2>/dev/null) || return 1
  [ -n "$now" ] && [ "$now" != "$boot_id" ]
}

# Reboots the host reached by `ssh "$@"` and waits until it runs a new boot.
reboot_host() {
  boot_id=$(ssh "$@" cat /proc/sys/kernel/random/boot_id)
  # The connection drops as the host goes down.
  ssh "$@" sudo systemctl reboot || true
  retry rebooted "$@"
}

# Whether no allocation of the job $1, nor of a run its schedule started, is
# still running.
job_quiet() {
  [ "$(nomad operator api -filter "(JobID == \"$1\" or JobID matches \"^$1/periodic-\") and (ClientStatus == \"running\" or ClientStatus == \"pending\")" /v1/allocations)" = "[]" ]
}

# Stops the job $1 and the runs its schedule started, and waits until none of
# their tasks is still running; a job that was never run has nothing to stop.
stop_job() {
  nomad job inspect "$1" >/dev/null 2>&1 || return 0
  nomad job stop "$1"
  nomad operator api -filter "ParentID == \"$1\" and Status != \"dead\"" /v1/jobs |
    jq -r '.[].ID' | while read -r child; do nomad job stop "$child" </dev/null; done
  retry job_quiet "$1"
}
