//! The order a change is rolled out in, so the cluster stays available: the
//! quorum members one at a time, each healthy before the next; the services
//! share's standbys before its primary, and the primary alone with the jobs that
//! write to it stopped; workers in batches, drained first; the hosts nothing
//! depends on last, together. Each batch is shell commands over a few helper
//! functions ([`PRELUDE`]), so the plan reads as the script it is.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::impact::{Change, HostChange, SecretChange};
use super::jobs::{Effect, JobChange};
use crate::inventory::Role;
use crate::model::{Cluster, Host};
use crate::paths;

/// One step of the rollout: hosts changed together, and the commands that do it.
#[derive(Debug, Clone, Serialize)]
pub struct Batch {
    pub title: String,
    /// Why this batch comes here and holds what it holds.
    pub why: String,
    pub hosts: Vec<String>,
    /// Shell commands, run in order; they may call the functions of [`PRELUDE`].
    pub steps: Vec<String>,
}

/// The functions the steps call: finding, draining and waiting for nodes.
pub const PRELUDE: &str = r#"# Nomad's ID of the client named $1 (`nomad node drain` takes IDs only).
node_id() {
  nomad node status -quiet -filter "Name == \"$1\""
}

# Moves every allocation off the client $1 and keeps new ones away.
drain() {
  nomad node drain -enable -yes -deadline 30m "$(node_id "$1")"
}

# Lets Nomad place allocations on the client $1 again.
undrain() {
  nomad node drain -disable -yes "$(node_id "$1")"
}

# Runs `$@` every 5 seconds until it succeeds, for at most 10 minutes.
retry() {
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    [ "$tries" -lt 120 ] || { echo "gave up waiting for: $*" >&2; return 1; }
    sleep 5
  done
}

# Whether Nomad's servers are healthy and Consul counts $1 as a voter.
quorum_healthy() {
  nomad operator autopilot health | grep -Eq '^Healthy:[[:space:]]+true$' &&
    consul operator raft list-peers |
    awk -v node="$1" '$1 == node && $5 == "true" { found = 1 } END { exit !found }'
}

# Reboots the host reached as $1 (user@address) and waits until it answers.
reboot_host() {
  ssh "$1" sudo systemctl reboot || true
  sleep 30
  retry ssh -o ConnectTimeout=5 "$1" true
}
"#;

/// How the rollout's commands name things.
pub struct Settings<'a> {
    /// The flake's directory, as the commands name it.
    pub flake: &'a str,
    /// Workers deployed at once, each drained first.
    pub worker_batch: usize,
}

/// The batches that roll out `hosts` and `jobs`, in order.
pub fn batches(
    before: &Cluster,
    after: &Cluster,
    hosts: &[HostChange],
    jobs: &[JobChange],
    secrets: &[SecretChange],
    settings: &Settings,
) -> Vec<Batch> {
    let rollout = Rollout {
        before,
        after,
        settings,
        changed: hosts
            .iter()
            .filter(|host| host.change != Change::Removed)
            .collect(),
        by_name: after
            .hosts
            .iter()
            .map(|host| (host.name.as_str(), host))
            .collect(),
    };
    let mut found = Vec::new();
    found.extend(rollout.secrets_batch(secrets));
    found.extend(Rollout::stopped_jobs_batch(jobs));
    let (nfs, data_stopped) = rollout.nfs_batches();
    if rollout.primary_moves() {
        // The share moves first, as its runbook says: the members' mounts
        // follow it, and nothing may write to it meanwhile.
        found.extend(nfs);
        found.extend(rollout.quorum_batches());
    } else {
        found.extend(rollout.quorum_batches());
        found.extend(nfs);
    }
    found.extend(rollout.worker_batches());
    found.extend(rollout.remount_batch());
    found.extend(rollout.jobs_batch(jobs, data_stopped));
    found.extend(rollout.independent_batch());
    found.extend(rollout.removed_batch(hosts));
    found
}

pub(super) struct Rollout<'a> {
    pub(super) before: &'a Cluster,
    pub(super) after: &'a Cluster,
    pub(super) settings: &'a Settings<'a>,
    pub(super) changed: Vec<&'a HostChange>,
    by_name: HashMap<&'a str, &'a Host>,
}

/// Where a host stands in the rollout, by what depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Standing {
    Quorum,
    Nfs,
    Worker,
    Independent,
}

impl<'a> Rollout<'a> {
    pub(super) fn host(&self, name: &str) -> Option<&'a Host> {
        self.by_name.get(name).copied()
    }

    fn standing(host: &Host) -> Standing {
        if host.has(Role::NfsServicesServer) || host.has(Role::NfsServicesStandby) {
            Standing::Nfs
        } else if host.has(Role::NomadServer) {
            Standing::Quorum
        } else if host.has(Role::NomadWorker) {
            Standing::Worker
        } else {
            Standing::Independent
        }
    }

    pub(super) fn changed_in(&self, standing: Standing) -> Vec<(&'a HostChange, &'a Host)> {
        self.changed
            .iter()
            .filter_map(|change| Some((*change, self.host(&change.name)?)))
            .filter(|(_, host)| Self::standing(host) == standing)
            .collect()
    }

    fn flake_ref(&self, host: &str) -> String {
        quote(&format!("{}#{host}", self.settings.flake))
    }

    /// Deploys one host, for the next boot and rebooted when it must be.
    fn deploy(&self, change: &HostChange, host: &Host, steps: &mut Vec<String>) {
        let target = self.flake_ref(&change.name);
        if change.reboot.is_empty() {
            steps.push(format!("deploy --skip-checks {target}"));
        } else {
            steps.push(format!("deploy --skip-checks --boot {target}"));
            steps.push(format!("reboot_host {}", quote(&ssh_target(host))));
        }
    }

    /// A host alone: drained when it is a worker, the quorum checked around it
    /// when it is a member.
    pub(super) fn alone(&self, change: &HostChange, host: &Host) -> Vec<String> {
        let name = quote(&change.name);
        let mut steps = Vec::new();
        let member = host.has(Role::NomadServer) && change.change != Change::Added;
        if member {
            steps.push(format!("retry quorum_healthy {name}"));
        }
        let worker = host.has(Role::NomadWorker) && change.change != Change::Added;
        if worker {
            steps.push(format!("drain {name}"));
        }
        self.deploy(change, host, &mut steps);
        if member {
            steps.push(format!("retry quorum_healthy {name}"));
        }
        if worker {
            steps.push(format!("undrain {name}"));
        }
        steps
    }

    fn quorum_batches(&self) -> Vec<Batch> {
        let members = self.after.quorum.len();
        let tolerance = members.saturating_sub(1) / 2;
        let why = if tolerance == 0 {
            format!(
                "a quorum member, alone: with {members} server(s) none may be down, so Consul and Nomad answer nothing while it restarts its agents"
            )
        } else {
            format!(
                "a quorum member, alone: {members} servers keep a majority with one down, and the next waits until this one is a healthy voter again"
            )
        };
        self.changed_in(Standing::Quorum)
            .into_iter()
            .map(|(change, host)| Batch {
                title: format!("quorum member {}", change.name),
                why: why.clone(),
                hosts: vec![change.name.clone()],
                steps: self.alone(change, host),
            })
            .collect()
    }
}

/// `user@address`, as `ssh` reaches a host to reboot it.
pub(super) fn ssh_target(host: &Host) -> String {
    let setting = |key: &str| {
        host.deploy
            .iter()
            .find(|setting| setting.key == key)
            .and_then(|setting| setting.value.as_str())
    };
    let address = setting("hostname").unwrap_or(&host.address);
    match setting("sshUser") {
        Some(user) => format!("{user}@{address}"),
        None => address.to_owned(),
    }
}

/// `text` as one shell word.
pub fn quote(text: &str) -> String {
    shlex::try_quote(text).map_or_else(|_| "''".to_owned(), std::borrow::Cow::into_owned)
}

/// The distinct names, in order.
fn names<'n>(names: impl IntoIterator<Item = &'n str>) -> Vec<String> {
    names
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

impl Rollout<'_> {
    fn secrets_batch(&self, secrets: &[SecretChange]) -> Option<Batch> {
        let flake = quote(self.settings.flake);
        let mut steps = Vec::new();
        for file in secrets.iter().filter(|file| file.change != Change::Removed) {
            let path = quote(&file.path);
            if file.recipients_changed {
                steps.push(format!("(cd {flake} && sops updatekeys -y {path})"));
            }
            for (key, create) in &file.new_keys {
                steps.push(format!("# {key}: {}", create.replace('\n', " ")));
                steps.push(format!(
                    "(cd {flake} && sops --decrypt --extract {} {path} >/dev/null)",
                    quote(&format!("[\"{key}\"]"))
                ));
            }
            for key in &file.unused_keys {
                steps.push(format!(
                    "# {} no longer reads {key}: remove it when the rollout is done",
                    file.path
                ));
            }
        }
        (!steps.is_empty()).then(|| Batch {
            title: "secrets".to_owned(),
            why: "before any host: a host that reads a secret its file does not hold, or cannot decrypt, fails to activate. Each new key is checked to be there; add it with `sops` first".to_owned(),
            hosts: Vec::new(),
            steps,
        })
    }

    fn stopped_jobs_batch(jobs: &[JobChange]) -> Option<Batch> {
        let steps: Vec<String> = jobs
            .iter()
            .filter(|job| matches!(job.effect, Effect::Stop | Effect::Retype))
            .map(|job| format!("nomad job stop -purge {}", quote(&job.name)))
            .collect();
        (!steps.is_empty()).then(|| Batch {
            title: "jobs to stop".to_owned(),
            why: "jobs gone from the inventory, or whose type changed (Nomad refuses a new type for a running job), are stopped and purged before any host changes under them".to_owned(),
            hosts: Vec::new(),
            steps,
        })
    }

    fn worker_batches(&self) -> Vec<Batch> {
        let workers = self.changed_in(Standing::Worker);
        let size = self.settings.worker_batch.max(1);
        let total = workers.len().div_ceil(size);
        workers
            .chunks(size)
            .enumerate()
            .map(|(index, chunk)| {
                let mut steps = Vec::new();
                let drained: Vec<String> = chunk
                    .iter()
                    .filter(|(change, _)| change.change != Change::Added)
                    .map(|(change, _)| quote(&change.name))
                    .collect();
                steps.extend(drained.iter().map(|name| format!("drain {name}")));
                self.deploy_together(chunk, &mut steps);
                steps.extend(drained.iter().map(|name| format!("undrain {name}")));
                Batch {
                    title: format!("workers, batch {} of {total}", index + 1),
                    why: format!("at most {size} worker(s) at a time, each drained first so its allocations move to the others, and eligible again after"),
                    hosts: chunk.iter().map(|(change, _)| change.name.clone()).collect(),
                    steps,
                }
            })
            .collect()
    }

    /// Deploys hosts in one `deploy` call (and one for those that boot into
    /// it), then reboots the latter.
    fn deploy_together(&self, hosts: &[(&HostChange, &Host)], steps: &mut Vec<String>) {
        let (live, boot): (Vec<_>, Vec<_>) = hosts
            .iter()
            .partition(|(change, _)| change.reboot.is_empty());
        let targets = |group: &[&(&HostChange, &Host)]| {
            group
                .iter()
                .map(|(change, _)| self.flake_ref(&change.name))
                .collect::<Vec<_>>()
                .join(" ")
        };
        if !live.is_empty() {
            steps.push(format!("deploy --skip-checks --targets {}", targets(&live)));
        }
        if !boot.is_empty() {
            steps.push(format!(
                "deploy --skip-checks --boot --targets {}",
                targets(&boot)
            ));
            steps.extend(
                boot.iter()
                    .map(|(_, host)| format!("reboot_host {}", quote(&ssh_target(host)))),
            );
        }
    }

    fn independent_batch(&self) -> Option<Batch> {
        let hosts = self.changed_in(Standing::Independent);
        if hosts.is_empty() {
            return None;
        }
        let mut steps = Vec::new();
        self.deploy_together(&hosts, &mut steps);
        Some(Batch {
            title: "hosts nothing depends on".to_owned(),
            why: "no job, share or quorum depends on these: they go together, in one `deploy`"
                .to_owned(),
            hosts: hosts
                .iter()
                .map(|(change, _)| change.name.clone())
                .collect(),
            steps,
        })
    }

    /// Changed and new jobs, and the data jobs the share's batches stopped.
    fn jobs_batch(&self, jobs: &[JobChange], data_stopped: bool) -> Option<Batch> {
        let current: BTreeSet<&str> = self
            .after
            .services
            .iter()
            .map(|service| service.name.as_str())
            .collect();
        let restarted = if data_stopped {
            data_jobs(self.after)
        } else {
            Vec::new()
        };
        let run = names(
            jobs.iter()
                .filter(|job| job.effect != Effect::Stop)
                .map(|job| job.name.as_str())
                .chain(restarted.iter().map(String::as_str))
                .filter(|name| current.contains(name)),
        );
        if run.is_empty() {
            return None;
        }
        let mut steps = Vec::new();
        for name in &run {
            let stopped = restarted.contains(name);
            let expect = jobs
                .iter()
                .find(|job| &job.name == name)
                .map(|job| &job.expect);
            steps.push(match (stopped, expect) {
                (true, _) => format!("# {name}: stopped for the services share above; runs again"),
                (false, Some(expect)) => format!("# {name}: {expect}"),
                (false, None) => format!("# {name}"),
            });
            steps.push(format!(
                "nomad job run {}",
                quote(&format!(
                    "{}/{}",
                    self.settings.flake,
                    paths::job_file(name)
                ))
            ));
        }
        Some(Batch {
            title: "jobs".to_owned(),
            why: "after the hosts they run on: a job file may need what the new configurations bring (a mount, a device, a port opened)".to_owned(),
            hosts: Vec::new(),
            steps,
        })
    }

    fn removed_batch(&self, hosts: &[HostChange]) -> Option<Batch> {
        let removed: Vec<&HostChange> = hosts
            .iter()
            .filter(|host| host.change == Change::Removed)
            .collect();
        if removed.is_empty() {
            return None;
        }
        let mut steps = Vec::new();
        for change in &removed {
            let Some(host) = self
                .before
                .hosts
                .iter()
                .find(|host| host.name == change.name)
            else {
                continue;
            };
            let name = quote(&change.name);
            if host.has(Role::NomadWorker) {
                steps.push(format!("drain {name}"));
            }
            if host.has(Role::NomadServer) {
                steps.push(format!(
                    "ssh {} sudo systemctl stop nomad.service consul.service",
                    quote(&ssh_target(host))
                ));
                steps.push(format!(
                    "nomad server force-leave {}",
                    quote(&format!("{}.global", change.name))
                ));
                steps.push(format!("consul force-leave -prune {name}"));
            }
            steps.push(format!(
                "# {} is out of the inventory: power it off, or reinstall it",
                change.name
            ));
        }
        Some(Batch {
            title: "hosts out of the inventory".to_owned(),
            why: "last: the cluster no longer counts on them. Workers are drained; servers leave the quorum before they go".to_owned(),
            hosts: removed.iter().map(|host| host.name.clone()).collect(),
            steps,
        })
    }
}

/// The jobs that keep data on the services share.
pub(super) fn data_jobs(cluster: &Cluster) -> Vec<String> {
    cluster
        .services
        .iter()
        .filter(|service| service.data.is_some())
        .map(|service| service.name.clone())
        .collect()
}
