//! The batches around the hosts' own: the secrets and the jobs to purge before
//! any host changes, the jobs and the hosts gone from the inventory after.

use std::collections::BTreeSet;

use super::batches::{Batch, Rollout, quote, run_job, ssh_args};
use super::impact::{Change, HostChange, SecretChange};
use super::jobs::JobChange;
use crate::inventory::Role;

impl Rollout<'_> {
    pub(super) fn secrets_batch(&self, secrets: &[SecretChange]) -> Option<Batch> {
        let flake = quote(self.settings.flake);
        let mut steps = Vec::new();
        for file in secrets.iter().filter(|file| file.change != Change::Removed) {
            let path = quote(&file.path);
            if file.recipients_changed {
                steps.push(format!("(cd {flake} && sops updatekeys -y {path})"));
            }
            if file.recipients_removed {
                // updatekeys keeps the data key a removed reader may still hold.
                steps.push(format!("(cd {flake} && sops rotate -i {path})"));
            }
            for (key, create) in &file.new_keys {
                steps.push(format!("# {key}: {create}"));
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
            why: "before any host: a host that reads a secret its file does not hold, or cannot decrypt, fails to activate. Each new key is checked to be there: add it with `sops` first".to_owned(),
            hosts: Vec::new(),
            steps,
        })
    }

    pub(super) fn purged_jobs_batch(&self) -> Option<Batch> {
        let steps: Vec<String> = self
            .purged
            .iter()
            .map(|name| format!("nomad job stop -purge {}", quote(name)))
            .collect();
        (!steps.is_empty()).then(|| Batch {
            title: "jobs to stop".to_owned(),
            why: "jobs gone from the inventory, or whose type changed (Nomad refuses a new type for a running job), are stopped and purged before any host changes under them".to_owned(),
            hosts: Vec::new(),
            steps,
        })
    }

    /// Changed and new jobs, and the data jobs the share's batch left stopped;
    /// not those it ran again itself.
    pub(super) fn jobs_batch(
        &self,
        jobs: &[JobChange],
        run_later: &[String],
        run_already: &[String],
    ) -> Option<Batch> {
        let current: BTreeSet<&str> = self
            .after
            .services
            .iter()
            .map(|service| service.name.as_str())
            .collect();
        let run: BTreeSet<&str> = jobs
            .iter()
            .filter(|job| job.change != Change::Removed)
            .map(|job| job.name.as_str())
            .chain(run_later.iter().map(String::as_str))
            .filter(|name| current.contains(name) && !run_already.iter().any(|done| done == name))
            .collect();
        if run.is_empty() {
            return None;
        }
        let mut steps = Vec::new();
        for name in &run {
            let expect = jobs
                .iter()
                .find(|job| job.name == *name)
                .map(|job| &job.expect);
            steps.push(
                match (run_later.iter().any(|later| later == name), expect) {
                    (true, _) => {
                        format!("# {name}: stopped for the services share above; runs again")
                    }
                    (false, Some(expect)) => format!("# {name}: {expect}"),
                    (false, None) => format!("# {name}"),
                },
            );
            steps.push(run_job(self.settings.flake, name));
        }
        if !run_later.is_empty() {
            steps.push("stopped=''".to_owned());
        }
        Some(Batch {
            title: "jobs".to_owned(),
            why: "after the hosts they run on: a job file may need what the new configurations bring (a mount, a device, a port opened)".to_owned(),
            hosts: Vec::new(),
            steps,
        })
    }

    pub(super) fn removed_batch(&self, hosts: &[HostChange]) -> Option<Batch> {
        let removed: Vec<&HostChange> = hosts
            .iter()
            .filter(|host| host.change == Change::Removed)
            .collect();
        if removed.is_empty() {
            return None;
        }
        let mut steps = Vec::new();
        for change in &removed {
            let Some(host) = self.former(&change.name) else {
                continue;
            };
            let name = quote(&change.name);
            if host.has(Role::NomadWorker) {
                steps.push(format!("drain {name}"));
            }
            if host.has(Role::NomadServer) {
                steps.push("retry cluster_healthy".to_owned());
                steps.extend(super::batches::leave_quorum(host));
            }
            steps.push(format!(
                "ssh {} sudo systemctl stop nomad.service consul.service || echo {} >&2",
                ssh_args(host),
                quote(&format!(
                    "{} is unreachable: power it off before it comes back",
                    change.name
                ))
            ));
            if host.has(Role::NomadServer) {
                steps.push("retry cluster_healthy".to_owned());
            }
        }
        Some(Batch {
            title: "hosts out of the inventory".to_owned(),
            why: "last, one at a time: the cluster no longer counts on them. Workers are drained; servers leave both Raft peer sets while they still run, so the others keep a majority".to_owned(),
            hosts: removed.iter().map(|host| host.name.clone()).collect(),
            steps,
        })
    }
}
