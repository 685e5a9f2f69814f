//! The services share's place in a rollout: its standbys before its primary,
//! and the primary alone with the jobs that write to the share stopped. When
//! the primary itself moves, the batch is the failover runbook's
//! (`docs/NFS_FAILOVER.md`): the last changes sent, the old primary silenced,
//! the new one deployed first, then every worker remounts the share.

use super::batches::{Batch, Rollout, Standing, data_jobs, quote, ssh_target};
use super::impact::{Change, HostChange};
use crate::model::{Host, Nfs};

/// The unit that snapshots the share on the primary.
const SNAPSHOT_UNIT: &str = "nfs-services-snapshot";
/// The units that serve the share: stopped on a primary that stops being one.
const SERVING_UNITS: &str = "nfs-server.service nfs-services-snapshot.timer";

impl Rollout<'_> {
    /// The share's batches, and whether they stop the jobs that write to it.
    pub(super) fn nfs_batches(&self) -> (Vec<Batch>, bool) {
        let (Some(old), Some(new)) = (self.before.nfs.as_ref(), self.after.nfs.as_ref()) else {
            return (self.standby_batches(None), false);
        };
        if old.primary.name != new.primary.name
            && let Some(failover) = self.failover(old, new)
        {
            let mut batches = vec![failover];
            batches.extend(self.standby_batches(Some(&old.primary.name)));
            return (batches, true);
        }
        let mut batches = self.standby_batches(None);
        let primary = self
            .changed_in(Standing::Nfs)
            .into_iter()
            .find(|(change, _)| change.name == new.primary.name);
        let Some((change, host)) = primary else {
            return (batches, false);
        };
        let mut steps = self.stop_data_jobs();
        steps.extend(self.alone(change, host));
        batches.push(Batch {
            title: format!("services share primary {}", change.name),
            why: "after its standbys, alone, with the jobs that write to the share stopped first so nothing writes while its export restarts; they run again with the jobs".to_owned(),
            hosts: vec![change.name.clone()],
            steps,
        });
        (batches, true)
    }

    /// Whether the share's primary is another host than before.
    pub(super) fn primary_moves(&self) -> bool {
        match (self.before.nfs.as_ref(), self.after.nfs.as_ref()) {
            (Some(old), Some(new)) => old.primary.name != new.primary.name,
            _ => false,
        }
    }

    /// The changed standbys, each alone, but `except`.
    fn standby_batches(&self, except: Option<&str>) -> Vec<Batch> {
        let primary = self.after.nfs.as_ref().map(|nfs| nfs.primary.name.as_str());
        self.changed_in(Standing::Nfs)
            .into_iter()
            .filter(|(change, _)| Some(change.name.as_str()) != primary && Some(change.name.as_str()) != except)
            .map(|(change, host)| Batch {
                title: format!("services share standby {}", change.name),
                why: "a standby before the primary, alone: the primary keeps serving while it changes".to_owned(),
                hosts: vec![change.name.clone()],
                steps: self.alone(change, host),
            })
            .collect()
    }

    fn stop_data_jobs(&self) -> Vec<String> {
        data_jobs(self.before)
            .iter()
            .map(|name| format!("nomad job stop {}", quote(name)))
            .collect()
    }

    /// The primary moves from `old` to `new`: the runbook's steps 2 to 6.
    fn failover(&self, old: &Nfs, new: &Nfs) -> Option<Batch> {
        let former = self
            .before
            .hosts
            .iter()
            .find(|host| host.name == old.primary.name)?;
        let (promoted_change, promoted) = self.changed_host(&new.primary.name)?;
        let reach = quote(&ssh_target(former));
        let mut steps = self.stop_data_jobs();
        steps.push(format!(
            "# Send the last changes; when {} is down, skip the next two lines (docs/NFS_FAILOVER.md)",
            old.primary.name
        ));
        steps.push(format!(
            "ssh {reach} sudo systemctl start {SNAPSHOT_UNIT}.service"
        ));
        steps.push(format!(
            "ssh {reach} sudo systemctl start {}",
            quote(&format!(
                "replicate-services-to-{}.service",
                new.primary.name
            ))
        ));
        steps.push(format!("ssh {reach} sudo systemctl stop {SERVING_UNITS}"));
        steps.extend(self.alone(promoted_change, promoted));
        if let Some((change, host)) = self.changed_host(&old.primary.name) {
            steps.extend(self.alone(change, host));
        }
        Some(Batch {
            title: format!("services share moves from {} to {}", old.primary.name, new.primary.name),
            why: "the failover runbook: the jobs that write to the share stop, the last changes are sent, the former primary stops serving, the new primary is deployed first and the former one after, as a standby; every worker then remounts the share by the new primary's address".to_owned(),
            hosts: vec![new.primary.name.clone(), old.primary.name.clone()],
            steps,
        })
    }

    fn changed_host(&self, name: &str) -> Option<(&HostChange, &Host)> {
        let change = self
            .changed
            .iter()
            .find(|change| change.name == name && change.change != Change::Removed)?;
        Some((change, self.host(name)?))
    }

    /// After a failover, every worker remounts the share: a switch only
    /// reloads a changed mount, and the old one still points at the former primary.
    pub(super) fn remount_batch(&self) -> Option<Batch> {
        let new = self.after.nfs.as_ref().filter(|_| self.primary_moves())?;
        let workers: Vec<&Host> = self
            .after
            .hosts
            .iter()
            .filter(|host| host.has(crate::inventory::Role::NomadWorker))
            .collect();
        let steps = workers
            .iter()
            .map(|host| {
                format!(
                    "ssh {} {}",
                    quote(&ssh_target(host)),
                    quote(&format!(
                        "sudo systemctl stop {} && sudo systemctl restart {}",
                        new.mount_unit(),
                        new.automount_unit()
                    ))
                )
            })
            .collect();
        Some(Batch {
            title: "remount the services share".to_owned(),
            why: "every worker mounts the share by the new primary's address once deployed; the mount it holds still points at the former one".to_owned(),
            hosts: workers.iter().map(|host| host.name.clone()).collect(),
            steps,
        })
    }
}
