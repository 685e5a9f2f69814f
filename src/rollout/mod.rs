//! `gen plan`: what a change of the inventory does to the running cluster —
//! which hosts' configurations change, whether they switch live or must
//! reboot, which jobs' allocations are replaced, which secrets must change —
//! and the order to roll it out in so the cluster stays available.
//!
//! It compares two renders, not two inventories: what changes is what Nix and
//! Nomad would read differently.

mod around;
pub mod batches;
pub mod impact;
pub mod jobs;
pub(crate) mod nixfile;
pub mod reboot;
mod share;

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::Cluster;
use crate::render::RenderedFile;
use batches::{Batch, PRELUDE, Settings};
use impact::{Change, HostChange, SecretChange, Side};
use jobs::JobChange;

/// One render of the inventory, as the plan compares it.
pub struct Rendered<'a> {
    pub model: &'a Cluster,
    pub files: &'a [RenderedFile],
    /// The inventory's values, to name the keys that changed.
    pub values: &'a serde_json::Value,
}

/// What a change does, and the batches that roll it out.
#[derive(Debug, Serialize)]
pub struct RolloutPlan {
    /// The inventory keys that differ.
    pub keys: Vec<String>,
    pub hosts: Vec<HostChange>,
    pub jobs: Vec<JobChange>,
    pub secrets: Vec<SecretChange>,
    pub batches: Vec<Batch>,
}

/// The plan from `before` to `after`.
pub fn plan(before: &Rendered, after: &Rendered, settings: &Settings) -> RolloutPlan {
    let old = Side::new(before.model, before.files, before.values);
    let new = Side::new(after.model, after.files, after.values);
    let keys = impact::changed_keys(before.values, after.values);
    let hosts = impact::hosts(&old, &new, &keys);
    let jobs = jobs::jobs(&old, &new);
    let secrets = impact::secrets(before.model, after.model);
    let batches = batches::batches(before.model, after.model, &hosts, &jobs, &secrets, settings);
    RolloutPlan {
        keys,
        hosts,
        jobs,
        secrets,
        batches,
    }
}

/// Workers deployed at once by default: a third of them, so two thirds keep
/// running the cluster's jobs.
pub fn default_worker_batch(cluster: &Cluster) -> usize {
    let workers = cluster
        .hosts
        .iter()
        .filter(|host| host.has(crate::inventory::Role::NomadWorker))
        .count();
    workers.div_ceil(3).max(1)
}

impl RolloutPlan {
    /// Whether the change touches nothing running.
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// The plan as a shell script: what changes and why in comments, then the
    /// batches. `header` says what was compared.
    pub fn script(&self, header: &str) -> String {
        let mut out = String::from("#!/bin/sh\n");
        comment(&mut out, header);
        out.push_str(
            "# Run it from this directory with `deploy` (deploy-rs), `nomad`, `consul`,\n\
             # `sops` and `jq` on PATH and their environment set (NOMAD_ADDR, NOMAD_TOKEN,\n\
             # CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN and the TLS settings), or let\n\
             # `gen plan --run` run it. It stops at the first step that fails.\n#\n",
        );
        self.describe(&mut out);
        if self.is_empty() {
            out.push_str("# Nothing running changes.\n");
            return out;
        }
        out.push_str("set -eu\n\n");
        out.push_str(PRELUDE);
        let total = self.batches.len();
        for (index, batch) in self.batches.iter().enumerate() {
            let title = format!("== {}/{total}: {}", index + 1, batch.title);
            let _ = writeln!(out, "\necho {}", batches::quote(&title));
            comment(&mut out, &batch.why);
            for step in &batch.steps {
                if let Some(note) = step.strip_prefix("# ") {
                    comment(&mut out, note);
                } else {
                    out.push_str(step);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// What changes and why, as comments.
    fn describe(&self, out: &mut String) {
        if !self.keys.is_empty() {
            comment(
                out,
                &format!("Inventory keys changed: {}", self.keys.join(", ")),
            );
        }
        for host in &self.hosts {
            let how = match (host.change, host.reboot.is_empty()) {
                (Change::Added, _) => "new: install NixOS on it first (BOOTSTRAP.md)".to_owned(),
                (Change::Removed, _) => "gone from the inventory".to_owned(),
                (Change::Changed, true) => "switches live".to_owned(),
                (Change::Changed, false) => format!(
                    "reboots for {}",
                    host.reboot
                        .iter()
                        .map(|reboot| format!("{} ({})", reboot.why, reboot.option))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            comment(out, &format!("Host {}: {how}", host.name));
            if !host.files.is_empty() {
                comment(out, &format!("  files: {}", host.files.join(", ")));
            }
            if !host.keys.is_empty() && host.change != Change::Added {
                comment(out, &format!("  keys: {}", host.keys.join(", ")));
            }
        }
        for job in &self.jobs {
            comment(out, &format!("Job {}: {}", job.name, job.expect));
            if !job.fields.is_empty() {
                comment(out, &format!("  fields: {}", job.fields.join(", ")));
            }
        }
        for secret in &self.secrets {
            comment(
                out,
                &format!("Secrets {}: {}", secret.path, secret_summary(secret)),
            );
        }
        out.push_str("#\n");
    }
}

fn secret_summary(secret: &SecretChange) -> String {
    let mut parts = Vec::new();
    match secret.change {
        Change::Added => parts.push("new file".to_owned()),
        Change::Removed => parts.push("no longer read".to_owned()),
        Change::Changed => {}
    }
    if secret.recipients_changed {
        parts.push("its readers changed: encrypt it again (`sops updatekeys`)".to_owned());
    }
    let new: Vec<&str> = secret
        .new_keys
        .iter()
        .map(|(key, _)| key.as_str())
        .collect();
    if !new.is_empty() {
        parts.push(format!("new keys {}", new.join(", ")));
    }
    if !secret.unused_keys.is_empty() {
        parts.push(format!(
            "keys no longer read {}",
            secret.unused_keys.join(", ")
        ));
    }
    parts.join("; ")
}

/// Appends `text` as one comment line: control characters from the inventory
/// are written escaped, so none can end the comment and start a command.
fn comment(out: &mut String, text: &str) {
    out.push('#');
    if !text.is_empty() {
        out.push(' ');
    }
    out.push_str(&crate::report::escape_controls(text));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    #[test]
    fn comments_cannot_start_a_command() {
        let mut out = String::new();
        super::comment(&mut out, "key\nrm -rf /\r\u{1b}[2J");
        assert_eq!(out, "# key\\nrm -rf /\\r\\u{1b}[2J\n");
        assert_eq!(out.lines().count(), 1);
    }
}
