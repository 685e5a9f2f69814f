//! The services share's place in a rollout: its standbys before its primary,
//! and the primary alone with the jobs that write to the share stopped (their
//! tasks gone, not only asked to stop), run again once it is back. When the
//! primary itself moves, the batch is the failover runbook's
//! (`docs/NFS_FAILOVER.md`): the last changes sent, the old primary silenced,
//! the new one deployed first; the jobs run again only once every worker has
//! remounted the share.

use super::batches::{Batch, Move, Rollout, Standing, data_jobs, quote, run_job, ssh_args};
use crate::inventory::Role;
use crate::model::{Cluster, Nfs};

/// The unit that snapshots the share on the primary.
const SNAPSHOT_UNIT: &str = "nfs-services-snapshot.service";
/// The units that serve the share: stopped on a primary that stops being one.
const SERVING_UNITS: &str = "nfs-server.service nfs-services-snapshot.timer";

/// The share's batches, and the data jobs they stop: run again by the batch
/// itself (`run_already`), or after every host (`run_later`).
pub(super) struct SharePlan {
    pub(super) batches: Vec<Batch>,
    pub(super) run_later: Vec<String>,
    pub(super) run_already: Vec<String>,
}

impl Rollout<'_> {
    pub(super) fn nfs_batches(&self) -> SharePlan {
        let mut plan = SharePlan {
            batches: Vec::new(),
            run_later: Vec::new(),
            run_already: Vec::new(),
        };
        let new = self.after.nfs.as_ref();
        if let (Some(old), Some(new)) = (self.before.nfs.as_ref(), new)
            && self.primary_moves()
            && let Some(failover) = self.failover(old, new)
        {
            plan.batches.push(failover);
            plan.batches
                .extend(self.standby_batches(Some(&old.primary.name)));
            plan.run_later = self.stoppable_data_jobs(self.before);
            return plan;
        }
        plan.batches.extend(self.standby_batches(None));
        let primary = new.and_then(|new| {
            self.changed_in(Standing::Nfs)
                .into_iter()
                .find(|host| host.change.name == new.primary.name)
        });
        if let Some(primary) = primary {
            let stopped = self.stoppable_data_jobs(self.before);
            let mut steps = stop_jobs(&stopped);
            steps.extend(self.alone(primary));
            let current = self.stoppable_data_jobs(self.after);
            steps.extend(
                current
                    .iter()
                    .map(|name| run_job(self.settings.flake, name)),
            );
            if !stopped.is_empty() {
                steps.push("stopped=''".to_owned());
            }
            plan.batches.push(Batch {
                title: format!("services share primary {}", primary.change.name),
                why: "after its standbys, alone, with the jobs that write to the share stopped first, so nothing writes while its export restarts; they run again as soon as it is back".to_owned(),
                hosts: vec![primary.change.name.clone()],
                steps,
            });
            plan.run_already = current;
        }
        plan
    }

    /// Whether the share's primary is another host than before.
    pub(super) fn primary_moves(&self) -> bool {
        match (self.before.nfs.as_ref(), self.after.nfs.as_ref()) {
            (Some(old), Some(new)) => old.primary.name != new.primary.name,
            _ => false,
        }
    }

    /// The data jobs of `cluster`, but those purged before any host.
    fn stoppable_data_jobs(&self, cluster: &Cluster) -> Vec<String> {
        data_jobs(cluster)
            .into_iter()
            .filter(|name| !self.purged.contains(name))
            .collect()
    }

    /// The changed standbys, each alone, but `except`.
    fn standby_batches(&self, except: Option<&str>) -> Vec<Batch> {
        let primary = self.after.nfs.as_ref().map(|nfs| nfs.primary.name.as_str());
        self.changed_in(Standing::Nfs)
            .into_iter()
            .filter(|host| {
                let name = Some(host.change.name.as_str());
                name != primary && name != except
            })
            .map(|host| Batch {
                title: format!("services share standby {}", host.change.name),
                why: "a standby before the primary, alone: the primary keeps serving while it changes".to_owned(),
                hosts: vec![host.change.name.clone()],
                steps: self.alone(host),
            })
            .collect()
    }

    /// The primary moves from `old` to `new`: the runbook's steps 2 to 6.
    fn failover(&self, old: &Nfs, new: &Nfs) -> Option<Batch> {
        let former = self.former(&old.primary.name)?;
        let promoted = self.changed_move(&new.primary.name)?;
        let reach = ssh_args(former);
        let mut steps = stop_jobs(&self.stoppable_data_jobs(self.before));
        let replicate = quote(&format!(
            "replicate-services-to-{}.service",
            new.primary.name
        ));
        let unreachable = quote(&format!(
            "{} is unreachable: {} starts from the newest complete snapshot it received",
            old.primary.name, new.primary.name
        ));
        steps.push(format!(
            "if ssh -o ConnectTimeout=10 {reach} true; then\n  \
             ssh {reach} sudo systemctl start {SNAPSHOT_UNIT}\n  \
             ssh {reach} sudo systemctl start {replicate}\n  \
             ssh {reach} sudo systemctl stop {SERVING_UNITS}\n\
             else\n  echo {unreachable} >&2\nfi"
        ));
        steps.extend(self.alone(promoted));
        if let Some(demoted) = self.changed_move(&old.primary.name) {
            steps.extend(self.alone(demoted));
        }
        Some(Batch {
            title: format!(
                "services share moves from {} to {}",
                old.primary.name, new.primary.name
            ),
            why: "the failover runbook: the jobs that write to the share stop, the last changes are sent, the former primary stops serving, the new primary is deployed first and the former one after, as a standby; every worker then remounts the share before the jobs run again".to_owned(),
            hosts: vec![new.primary.name.clone(), old.primary.name.clone()],
            steps,
        })
    }

    fn changed_move(&self, name: &str) -> Option<Move<'_>> {
        let change = self.changed.iter().find(|change| change.name == name)?;
        Some(Move {
            change,
            host: self.host(name)?,
            was: self.former(name),
        })
    }

    /// After a failover, every worker remounts the share: a switch only
    /// reloads a changed mount, and the old one still points at the former primary.
    pub(super) fn remount_batch(&self) -> Option<Batch> {
        let new = self.after.nfs.as_ref().filter(|_| self.primary_moves())?;
        // Unit names escape `-` as `\x2d`: quoted once for the remote shell too.
        let remount = quote(&format!(
            "sudo systemctl stop {} && sudo systemctl restart {}",
            quote(&new.mount_unit()),
            quote(&new.automount_unit())
        ));
        let workers: Vec<_> = self
            .after
            .hosts
            .iter()
            .filter(|host| host.has(Role::NomadWorker))
            .collect();
        Some(Batch {
            title: "remount the services share".to_owned(),
            why: "every worker mounts the share by the new primary's address once deployed; the mount it holds still points at the former one".to_owned(),
            hosts: workers.iter().map(|host| host.name.clone()).collect(),
            steps: workers
                .iter()
                .map(|host| format!("ssh {} {remount}", ssh_args(host)))
                .collect(),
        })
    }
}

/// Stops each job, waiting until its tasks are gone; `stopped` says which, should
/// the rollout end before they run again.
fn stop_jobs(names: &[String]) -> Vec<String> {
    if names.is_empty() {
        return Vec::new();
    }
    let mut steps = vec![format!("stopped={}", quote(&names.join(" ")))];
    steps.extend(names.iter().map(|name| format!("stop_job {}", quote(name))));
    steps
}
