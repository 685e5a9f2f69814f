//! What running a changed job file does to the allocations already running.
//!
//! Nomad updates an allocation in place when only its services, checks,
//! policies, constraints or `kill_timeout` change, and replaces it (stop, then
//! start) when anything the task is started with changes: the combined job,
//! group and task `meta`, the group's `network` and `ephemeral_disk`, or the
//! task's driver, user, config, env, templates or resources (Nomad's scheduler,
//! `tasksUpdated`). A job's type cannot change at all: Nomad refuses it until the
//! old job is stopped and purged.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::impact::{Change, Side};
use crate::paths;

/// A Nomad job whose file differs between the renders.
#[derive(Debug, Clone, Serialize)]
pub struct JobChange {
    pub name: String,
    pub change: Change,
    pub effect: Effect,
    /// The blocks and fields that differ, e.g. `task.config`, `group.count`.
    pub fields: Vec<String>,
    /// Its data lives on the services share, written by one allocation at a time.
    pub data: bool,
    /// What running it does, and what `nomad job plan` should show.
    pub expect: String,
}

/// What running the new file does to the job's allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// Only the job's registration changes (services, policies): allocations stay.
    InPlace,
    /// Only the number of allocations changes.
    Scale,
    /// Every allocation is stopped and a new one started.
    Replace,
    /// The job is new.
    Create,
    /// The job is gone from the inventory: it is stopped and purged.
    Stop,
    /// The type changed: Nomad refuses the file until the old job is purged.
    Retype,
}

/// Task fields that, changed, make Nomad replace the allocation.
const TASK_REPLACES: [&str; 15] = [
    "driver",
    "user",
    "config",
    "env",
    "meta",
    "template",
    "resources",
    "artifact",
    "vault",
    "volume_mount",
    "identity",
    "csi_plugin",
    "logs",
    "affinity",
    "spread",
];
/// Group fields that, changed, make Nomad replace the allocation.
const GROUP_REPLACES: [&str; 7] = [
    "network",
    "ephemeral_disk",
    "volume",
    "meta",
    "consul",
    "affinity",
    "spread",
];
/// Job fields that, changed, make Nomad replace the allocation: its meta is in
/// every task's environment, its affinities and spreads in every placement.
const JOB_REPLACES: [&str; 3] = ["meta", "affinity", "spread"];

/// The jobs whose files differ, in name order.
pub fn jobs(before: &Side, after: &Side) -> Vec<JobChange> {
    let data: BTreeSet<&str> = after
        .model
        .services
        .iter()
        .chain(&before.model.services)
        .filter(|service| service.data.is_some())
        .map(|service| service.name.as_str())
        .collect();
    let names: BTreeSet<&str> = before
        .model
        .services
        .iter()
        .chain(&after.model.services)
        .map(|service| service.name.as_str())
        .collect();
    names
        .into_iter()
        .filter_map(|name| {
            let path = paths::job_file(name);
            let old = before.files.get(path.as_str()).copied();
            let new = after.files.get(path.as_str()).copied();
            job_change(name, old, new, data.contains(name))
        })
        .collect()
}

fn job_change(name: &str, old: Option<&str>, new: Option<&str>, data: bool) -> Option<JobChange> {
    let (change, effect, fields) = match (old, new) {
        (Some(old), Some(new)) if old == new => return None,
        (None, None) => return None,
        (None, Some(_)) => (Change::Added, Effect::Create, Vec::new()),
        (Some(_), None) => (Change::Removed, Effect::Stop, Vec::new()),
        (Some(old), Some(new)) => {
            let (Some(old), Some(new)) = (job_body(old), job_body(new)) else {
                // gen checked both files; one it cannot read is assumed the worst.
                return Some(JobChange {
                    name: name.to_owned(),
                    change: Change::Changed,
                    effect: Effect::Replace,
                    fields: vec!["job".to_owned()],
                    data,
                    expect: expectation(name, Effect::Replace, data),
                });
            };
            let fields = differences(&old, &new);
            (Change::Changed, effect_of(&old, &new, &fields), fields)
        }
    };
    if change == Change::Changed && fields.is_empty() {
        // Only comments differ: Nomad sees the same job.
        return None;
    }
    Some(JobChange {
        name: name.to_owned(),
        change,
        effect,
        expect: expectation(name, effect, data),
        fields,
        data,
    })
}

/// The body of the file's one `job` block, as values.
fn job_body(text: &str) -> Option<Value> {
    hcl::from_str::<Value>(text)
        .ok()
        .and_then(|file| file.get("job").cloned())
        .and_then(|jobs| {
            jobs.as_object()
                .and_then(|jobs| jobs.values().next().cloned())
        })
}

/// The fields that differ, as `job.X`, `group.X` or `task.X`.
fn differences(old: &Value, new: &Value) -> Vec<String> {
    let mut fields = BTreeSet::new();
    compare("job", old, new, &["group"], &mut fields);
    let (old_groups, new_groups) = (blocks(old, "group"), blocks(new, "group"));
    if old_groups.keys().ne(new_groups.keys()) {
        fields.insert("job.group".to_owned());
    }
    for (name, old_group) in &old_groups {
        let Some(new_group) = new_groups.get(name) else {
            continue;
        };
        compare("group", old_group, new_group, &["task"], &mut fields);
        let (old_tasks, new_tasks) = (blocks(old_group, "task"), blocks(new_group, "task"));
        if old_tasks.keys().ne(new_tasks.keys()) {
            fields.insert("group.task".to_owned());
        }
        for (name, old_task) in &old_tasks {
            if let Some(new_task) = new_tasks.get(name) {
                compare("task", old_task, new_task, &[], &mut fields);
            }
        }
    }
    fields.into_iter().collect()
}

/// Adds `level.field` for each field of the block that differs, but `nested`.
fn compare(level: &str, old: &Value, new: &Value, nested: &[&str], fields: &mut BTreeSet<String>) {
    let empty = serde_json::Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let new = new.as_object().unwrap_or(&empty);
    for key in old.keys().chain(new.keys()) {
        if !nested.contains(&key.as_str()) && old.get(key) != new.get(key) {
            fields.insert(format!("{level}.{key}"));
        }
    }
}

/// The labelled blocks `kind` of a block, by label.
fn blocks<'v>(body: &'v Value, kind: &str) -> BTreeMap<&'v str, &'v Value> {
    body.get(kind)
        .and_then(Value::as_object)
        .map(|blocks| {
            blocks
                .iter()
                .map(|(name, body)| (name.as_str(), body))
                .collect()
        })
        .unwrap_or_default()
}

fn effect_of(old: &Value, new: &Value, fields: &[String]) -> Effect {
    if old.get("type") != new.get("type") {
        return Effect::Retype;
    }
    let replaces = |field: &String| {
        let (level, name) = field.split_once('.').unwrap_or_default();
        match level {
            "job" => JOB_REPLACES.contains(&name) || name == "group",
            "group" => GROUP_REPLACES.contains(&name) || name == "task",
            _ => TASK_REPLACES.contains(&name),
        }
    };
    if fields.iter().any(replaces) {
        Effect::Replace
    } else if fields.iter().all(|field| field == "group.count") {
        Effect::Scale
    } else {
        Effect::InPlace
    }
}

/// What running the job does, in the words `nomad job plan` uses.
fn expectation(name: &str, effect: Effect, data: bool) -> String {
    let file = paths::job_file(name);
    match effect {
        Effect::Create => format!("new job: `nomad job plan {file}` shows `+ Job: \"{name}\"` and only creates"),
        Effect::Stop => "gone from the inventory: stopped and purged, its allocations stop".to_owned(),
        Effect::Retype => "its type changed, which Nomad refuses for a running job: it is stopped and purged, then run (down in between)".to_owned(),
        Effect::InPlace => "updated in place: `nomad job plan` shows only `in-place update`; no allocation stops".to_owned(),
        Effect::Scale => "scaled: `nomad job plan` shows allocations created or destroyed, none replaced".to_owned(),
        Effect::Replace if data => "every allocation is replaced (`create/destroy update`): one writer at a time, so the service is down while the new allocation starts".to_owned(),
        Effect::Replace => "every allocation is replaced (`create/destroy update`), max_parallel at a time".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = r#"job "web" {
  type = "service"
  meta { a = "1" }
  group "web" {
    count = 1
    service { name = "web" }
    task "web" {
      driver = "docker"
      config { image = "nginx:1" }
      kill_timeout = "10s"
    }
  }
}"#;

    fn effect(new: &str) -> (Effect, Vec<String>) {
        let change = job_change("web", Some(JOB), Some(new), false).unwrap();
        (change.effect, change.fields)
    }

    #[test]
    fn nomad_replaces_what_the_task_starts_with() {
        for (from, to, expected) in [
            ("nginx:1", "nginx:2", Effect::Replace),
            ("a = \"1\"", "a = \"2\"", Effect::Replace),
            ("name = \"web\"", "name = \"www\"", Effect::InPlace),
            ("\"10s\"", "\"30s\"", Effect::InPlace),
            ("count = 1", "count = 3", Effect::Scale),
            (
                "meta { a = \"1\" }",
                "meta { a = \"1\" }\n  affinity { value = \"x\" }",
                Effect::Replace,
            ),
            ("\"service\"", "\"batch\"", Effect::Retype),
        ] {
            assert_eq!(effect(&JOB.replace(from, to)).0, expected, "{from} → {to}");
        }
        assert_eq!(
            effect(&JOB.replace("name = \"web\"", "name = \"www\"")).1,
            ["group.service"]
        );
        assert!(job_change("web", Some(JOB), Some(&format!("# note\n{JOB}")), false).is_none());
    }
}
