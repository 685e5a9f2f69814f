//! The order a change is rolled out in, so the cluster stays available: the
//! quorum members one at a time, each healthy before the next; the services
//! share's standbys before its primary, and the primary alone with the jobs that
//! write to it stopped; workers in batches, drained first; the hosts nothing
//! depends on last, together. Each batch is shell commands over a few helper
//! functions ([`PRELUDE`]), so the plan reads as the script it is.
//!
//! Where a host stands is decided by its roles before and after the change: a
//! server that stops being one still leaves the quorum alone.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::impact::{Change, HostChange, SecretChange};
use super::jobs::{Effect, JobChange};
use super::share::SharePlan;
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

/// The functions the steps call: finding, draining and waiting for nodes,
/// rebooting hosts, stopping jobs.
pub const PRELUDE: &str = include_str!("prelude.sh");

/// Consul's server RPC port: a Raft peer's address.
const CONSUL_RAFT_PORT: u16 = 8300;
/// Nomad's server RPC port: a Raft peer's address.
const NOMAD_RAFT_PORT: u16 = 4647;

/// How the rollout's commands name things.
pub struct Settings<'a> {
    /// The flake's directory, as the commands name it.
    pub flake: &'a str,
    /// Workers deployed at once, each drained first.
    pub worker_batch: usize,
}

/// The batches that roll out `hosts` and `jobs`, in order.
pub fn batches<'a>(
    before: &'a Cluster,
    after: &'a Cluster,
    hosts: &'a [HostChange],
    jobs: &[JobChange],
    secrets: &[SecretChange],
    settings: &'a Settings<'a>,
) -> Vec<Batch> {
    let index = |cluster: &'a Cluster| -> HashMap<&'a str, &'a Host> {
        cluster
            .hosts
            .iter()
            .map(|host| (host.name.as_str(), host))
            .collect()
    };
    let rollout = Rollout {
        before,
        after,
        settings,
        changed: hosts
            .iter()
            .filter(|host| host.change != Change::Removed)
            .collect(),
        new_hosts: index(after),
        old_hosts: index(before),
        purged: jobs
            .iter()
            .filter(|job| matches!(job.effect, Effect::Stop | Effect::Retype))
            .map(|job| job.name.clone())
            .collect(),
    };
    let mut found = Vec::new();
    found.extend(rollout.secrets_batch(secrets));
    found.extend(rollout.purged_jobs_batch());
    let share: SharePlan = rollout.nfs_batches();
    if rollout.primary_moves() {
        // The share moves first, as its runbook says: the members' mounts
        // follow it, and nothing may write to it meanwhile.
        found.extend(share.batches);
        found.extend(rollout.quorum_batches());
    } else {
        found.extend(rollout.quorum_batches());
        found.extend(share.batches);
    }
    found.extend(rollout.worker_batches());
    found.extend(rollout.remount_batch());
    found.extend(rollout.jobs_batch(jobs, &share.run_later, &share.run_already));
    found.extend(rollout.independent_batch());
    found.extend(rollout.removed_batch(hosts));
    found
}

pub(super) struct Rollout<'a> {
    pub(super) before: &'a Cluster,
    pub(super) after: &'a Cluster,
    pub(super) settings: &'a Settings<'a>,
    pub(super) changed: Vec<&'a HostChange>,
    new_hosts: HashMap<&'a str, &'a Host>,
    old_hosts: HashMap<&'a str, &'a Host>,
    /// Jobs stopped and purged before any host: nothing else stops them again.
    pub(super) purged: BTreeSet<String>,
}

/// Where a host stands in the rollout, by what depends on it, most first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Standing {
    Nfs,
    Quorum,
    Worker,
    Independent,
}

impl Standing {
    fn of(host: &Host) -> Self {
        if host.has(Role::NfsServicesServer) || host.has(Role::NfsServicesStandby) {
            Self::Nfs
        } else if host.has(Role::NomadServer) {
            Self::Quorum
        } else if host.has(Role::NomadWorker) {
            Self::Worker
        } else {
            Self::Independent
        }
    }
}

/// One host's change, with what it was and what it becomes.
#[derive(Clone, Copy)]
pub(super) struct Move<'a> {
    pub(super) change: &'a HostChange,
    pub(super) host: &'a Host,
    pub(super) was: Option<&'a Host>,
}

impl Move<'_> {
    fn was(&self, role: Role) -> bool {
        self.was.is_some_and(|host| host.has(role))
    }

    fn standing(&self) -> Standing {
        let now = Standing::of(self.host);
        self.was.map_or(now, |was| now.min(Standing::of(was)))
    }
}

impl<'a> Rollout<'a> {
    pub(super) fn host(&self, name: &str) -> Option<&'a Host> {
        self.new_hosts.get(name).copied()
    }

    pub(super) fn former(&self, name: &str) -> Option<&'a Host> {
        self.old_hosts.get(name).copied()
    }

    /// The changed hosts that stand at `standing`, in name order.
    pub(super) fn changed_in(&self, standing: Standing) -> Vec<Move<'a>> {
        self.changed
            .iter()
            .filter_map(|change| {
                Some(Move {
                    change,
                    host: self.host(&change.name)?,
                    was: self.former(&change.name),
                })
            })
            .filter(|host| host.standing() == standing)
            .collect()
    }

    /// `./DIR#host`: a bare `DIR#host` would name a flake registry entry.
    fn flake_ref(&self, host: &str) -> String {
        let flake = self.settings.flake;
        let local = flake.starts_with('/') || flake.starts_with("./") || flake.starts_with("../");
        let prefix = if local { "" } else { "./" };
        quote(&format!("{prefix}{flake}#{host}"))
    }

    /// Deploys one host, for the next boot and rebooted when it must be.
    fn deploy(&self, host: Move, steps: &mut Vec<String>) {
        let target = self.flake_ref(&host.change.name);
        if host.change.reboot.is_empty() {
            steps.push(format!("deploy --skip-checks {target}"));
        } else {
            steps.push(format!("deploy --skip-checks --boot {target}"));
            steps.push(format!("reboot_host {}", ssh_args(host.host)));
        }
    }

    /// A host alone: drained when it was a worker; the quorum checked before,
    /// and the host after, when it is or was a server. A server that stops
    /// being one leaves both Raft peer sets first.
    pub(super) fn alone(&self, host: Move) -> Vec<String> {
        let name = quote(&host.change.name);
        let was_server = host.was(Role::NomadServer);
        let is_server = host.host.has(Role::NomadServer);
        let was_worker = host.was(Role::NomadWorker);
        let mut steps = Vec::new();
        if was_server || is_server {
            steps.push("retry cluster_healthy".to_owned());
        }
        if was_worker {
            steps.push(format!("drain {name}"));
        }
        if was_server && !is_server {
            steps.extend(leave_quorum(host.was.unwrap_or(host.host)));
        }
        self.deploy(host, &mut steps);
        if is_server {
            steps.push(format!("retry server_healthy {name}"));
        } else if was_server {
            steps.push("retry cluster_healthy".to_owned());
        }
        if was_worker && host.host.has(Role::NomadWorker) {
            steps.push(format!("retry node_ready {name}"));
            steps.push(format!("undrain {name}"));
        }
        steps
    }

    fn quorum_batches(&self) -> Vec<Batch> {
        let members = self.after.quorum.len();
        let why = if members < 3 {
            format!(
                "a quorum member, alone: with {members} server(s) none may be down, so Consul and Nomad answer nothing while it restarts its agents"
            )
        } else {
            format!(
                "a quorum member, alone: {members} servers keep a majority with one down, and the next waits until this one is a healthy voter again"
            )
        };
        let mut members = self.changed_in(Standing::Quorum);
        // A new server joins before any leaves: the quorum never shrinks first.
        members.sort_by_key(|host| {
            let was = host.was(Role::NomadServer);
            let is = host.host.has(Role::NomadServer);
            (u8::from(was) + 2 * u8::from(!is), host.change.name.clone())
        });
        members
            .into_iter()
            .map(|host| Batch {
                title: format!("quorum member {}", host.change.name),
                why: why.clone(),
                hosts: vec![host.change.name.clone()],
                steps: self.alone(host),
            })
            .collect()
    }

    fn worker_batches(&self) -> Vec<Batch> {
        let workers = self.changed_in(Standing::Worker);
        let running = self
            .after
            .hosts
            .iter()
            .filter(|host| host.has(Role::NomadWorker))
            .count();
        // The others must be able to take the batch's allocations.
        let size = self
            .settings
            .worker_batch
            .min(running.saturating_sub(1))
            .max(1);
        let total = workers.len().div_ceil(size);
        workers
            .chunks(size)
            .enumerate()
            .map(|(index, chunk)| Batch {
                title: format!("workers, batch {} of {total}", index + 1),
                why: if running > 1 {
                    format!("at most {size} worker(s) at a time, all kept from new allocations first, then drained so theirs move to the others, and eligible again once ready")
                } else {
                    "the only worker: nowhere to drain it to, so its jobs restart with it".to_owned()
                },
                hosts: chunk.iter().map(|host| host.change.name.clone()).collect(),
                steps: self.worker_steps(chunk, running > 1),
            })
            .collect()
    }

    fn worker_steps(&self, chunk: &[Move], drain: bool) -> Vec<String> {
        let drained: Vec<String> = chunk
            .iter()
            .filter(|host| drain && host.was(Role::NomadWorker))
            .map(|host| quote(&host.change.name))
            .collect();
        let mut steps: Vec<String> = drained
            .iter()
            .map(|name| format!("ineligible {name}"))
            .collect();
        steps.extend(drained.iter().map(|name| format!("drain {name}")));
        self.deploy_together(chunk, &mut steps);
        steps.extend(
            drained
                .iter()
                .map(|name| format!("retry node_ready {name}")),
        );
        steps.extend(drained.iter().map(|name| format!("undrain {name}")));
        steps
    }

    /// Deploys hosts in one `deploy` call (and one for those that boot into
    /// it), then reboots the latter.
    fn deploy_together(&self, hosts: &[Move], steps: &mut Vec<String>) {
        let (live, boot): (Vec<&Move>, Vec<&Move>) =
            hosts.iter().partition(|host| host.change.reboot.is_empty());
        let targets = |group: &[&Move]| {
            group
                .iter()
                .map(|host| self.flake_ref(&host.change.name))
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
                    .map(|host| format!("reboot_host {}", ssh_args(host.host))),
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
            hosts: hosts.iter().map(|host| host.change.name.clone()).collect(),
            steps,
        })
    }
}

/// Removes a server from Consul's and Nomad's Raft peers while it still runs,
/// so the remaining servers keep a majority of a smaller set.
pub(super) fn leave_quorum(host: &Host) -> Vec<String> {
    let address = host.bind_ip.as_deref().unwrap_or(&host.address);
    vec![
        format!(
            "consul operator raft remove-peer -address={}",
            quote(&socket(address, CONSUL_RAFT_PORT))
        ),
        format!(
            "nomad operator raft remove-peer -peer-address={}",
            quote(&socket(address, NOMAD_RAFT_PORT))
        ),
    ]
}

/// `address:port`, with an IPv6 address in brackets.
fn socket(address: &str, port: u16) -> String {
    if address.contains(':') {
        format!("[{address}]:{port}")
    } else {
        format!("{address}:{port}")
    }
}

/// The arguments `ssh` reaches a host with, as deploy-rs does: its `sshOpts`,
/// then `--` and `user@address`, so nothing in them is read as an option.
pub(super) fn ssh_args(host: &Host) -> String {
    let setting = |key: &str| host.deploy.iter().find(|setting| setting.key == key);
    let address = setting("hostname")
        .and_then(|setting| setting.value.as_str())
        .unwrap_or(&host.address);
    let target = match setting("sshUser").and_then(|setting| setting.value.as_str()) {
        Some(user) => format!("{user}@{address}"),
        None => address.to_owned(),
    };
    let mut args = vec!["-o".to_owned(), "BatchMode=yes".to_owned()];
    if let Some(options) = setting("sshOpts").and_then(|setting| setting.value.as_array()) {
        args.extend(
            options
                .iter()
                .filter_map(|option| option.as_str())
                .map(quote),
        );
    }
    args.push("--".to_owned());
    args.push(quote(&target));
    args.join(" ")
}

/// `text` as one shell word.
pub fn quote(text: &str) -> String {
    shlex::try_quote(text).map_or_else(|_| "''".to_owned(), std::borrow::Cow::into_owned)
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

/// The job file the rollout runs.
pub(super) fn run_job(flake: &str, name: &str) -> String {
    format!(
        "nomad job run {}",
        quote(&format!("{flake}/{}", paths::job_file(name)))
    )
}
