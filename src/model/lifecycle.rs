//! How Nomad restarts, replaces, updates and stops each job: the defaults of
//! each kind of job, in one place, with the inventory's overrides laid over
//! them field by field. A block Nomad does not allow for a kind of job is absent.

use schemars::JsonSchema;
use serde::Serialize;

use crate::inventory::{self, DelayFunction, Reconcile, RestartMode};

/// What Nomad runs the service as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Keeps running; `count` instances.
    Service,
    /// Runs to completion on a schedule.
    Batch,
    /// One instance on every worker.
    System,
}

impl JobKind {
    pub fn of(service: &inventory::Service) -> Self {
        if service.schedule.is_some() {
            Self::Batch
        } else if service.every_worker {
            Self::System
        } else {
            Self::Service
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Batch => "batch",
            Self::System => "system",
        }
    }
}

/// The lifecycle blocks of a job, defaults and overrides resolved.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Lifecycle {
    pub restart: Restart,
    /// Absent for system jobs, which stay on their worker.
    pub reschedule: Option<Reschedule>,
    /// Absent for batch jobs, which have no running version to replace.
    pub update: Option<Update>,
    pub check_restart: CheckRestart,
    /// Absent when Nomad's default (5s) applies.
    pub kill_timeout: Option<String>,
    pub disconnect: Option<Disconnect>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Restart {
    pub attempts: u32,
    pub interval: String,
    pub delay: String,
    pub mode: RestartMode,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Reschedule {
    /// Absent when `unlimited`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Absent when `unlimited`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    pub delay: String,
    pub delay_function: DelayFunction,
    pub max_delay: String,
    pub unlimited: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Update {
    pub max_parallel: u32,
    /// When a new allocation counts as healthy, and what a failed update does:
    /// for service jobs; system jobs keep Nomad's.
    pub health: Option<UpdateHealth>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UpdateHealth {
    /// `checks` when the service has a check, else `task_states`.
    pub health_check: &'static str,
    pub min_healthy_time: String,
    pub healthy_deadline: String,
    pub progress_deadline: String,
    pub auto_revert: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckRestart {
    pub limit: u32,
    pub grace: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Disconnect {
    pub lost_after: Option<String>,
    pub stop_on_client_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace: Option<bool>,
    pub reconcile: Option<Reconcile>,
}

/// A data job's allocation on a worker the servers lost must stop before its
/// replacement starts, or two copies write one directory: the worker stops it
/// after this long without a heartbeat, and the servers wait as long (plus
/// their heartbeat grace) before placing the replacement. Long enough to ride
/// out a quorum member's restart.
pub const DATA_STOP_ON_CLIENT_AFTER: &str = "1m";
/// Time a data job has to flush and close its files before it is killed.
pub const DATA_KILL_TIMEOUT: &str = "30s";

/// The defaults of `kind`, for a job that keeps `data` and has a health check
/// (`checked`), with the inventory's overrides laid over them.
pub fn resolve(
    kind: JobKind,
    data: bool,
    checked: bool,
    overrides: &inventory::Lifecycle,
) -> Lifecycle {
    Lifecycle {
        restart: restart(kind, overrides.restart.as_ref()),
        reschedule: (kind != JobKind::System)
            .then(|| reschedule(kind, overrides.reschedule.as_ref())),
        update: (kind != JobKind::Batch).then(|| update(kind, checked, overrides.update.as_ref())),
        check_restart: check_restart(overrides.check_restart.as_ref()),
        kill_timeout: overrides
            .kill_timeout
            .clone()
            .or_else(|| data.then(|| DATA_KILL_TIMEOUT.to_owned())),
        disconnect: disconnect(data, overrides.disconnect.as_ref()),
    }
}

/// A system job cannot be placed elsewhere: its task is retried after a pause
/// instead of failing for good.
fn restart(kind: JobKind, overrides: Option<&inventory::Restart>) -> Restart {
    let given = overrides.cloned().unwrap_or_default();
    let mode = if kind == JobKind::System {
        RestartMode::Delay
    } else {
        RestartMode::Fail
    };
    Restart {
        attempts: given.attempts.unwrap_or(3),
        interval: text(given.interval.as_ref(), "10m"),
        delay: text(given.delay.as_ref(), "15s"),
        mode: given.mode.unwrap_or(mode),
    }
}

/// A batch job is retried three times a day at most; a service is placed again
/// for as long as it takes.
fn reschedule(kind: JobKind, overrides: Option<&inventory::Reschedule>) -> Reschedule {
    let given = overrides.cloned().unwrap_or_default();
    // Attempts or an interval given without `unlimited` mean a limit.
    let limited = given.attempts.is_some() || given.interval.is_some();
    let unlimited = given
        .unlimited
        .unwrap_or(kind == JobKind::Service && !limited);
    Reschedule {
        attempts: (!unlimited).then(|| given.attempts.unwrap_or(3)),
        interval: (!unlimited).then(|| text(given.interval.as_ref(), "24h")),
        delay: text(given.delay.as_ref(), "30s"),
        delay_function: given.delay_function.unwrap_or(DelayFunction::Exponential),
        max_delay: text(given.max_delay.as_ref(), "10m"),
        unlimited,
    }
}

/// A service replaces one allocation at a time and goes back by itself when
/// the new one does not become healthy; a system job, one worker at a time.
fn update(kind: JobKind, checked: bool, overrides: Option<&inventory::Update>) -> Update {
    let given = overrides.cloned().unwrap_or_default();
    Update {
        max_parallel: given.max_parallel.unwrap_or(1),
        health: (kind == JobKind::Service).then(|| UpdateHealth {
            health_check: if checked { "checks" } else { "task_states" },
            min_healthy_time: text(given.min_healthy_time.as_ref(), "10s"),
            healthy_deadline: text(given.healthy_deadline.as_ref(), "5m"),
            progress_deadline: text(given.progress_deadline.as_ref(), "10m"),
            auto_revert: given.auto_revert.unwrap_or(true),
        }),
    }
}

fn check_restart(overrides: Option<&inventory::CheckRestart>) -> CheckRestart {
    let given = overrides.cloned().unwrap_or_default();
    CheckRestart {
        limit: given.limit.unwrap_or(3),
        grace: text(given.grace.as_ref(), "60s"),
    }
}

fn disconnect(data: bool, overrides: Option<&inventory::Disconnect>) -> Option<Disconnect> {
    let given = overrides.cloned().unwrap_or_default();
    let stop_on_client_after = given.stop_on_client_after.clone().or_else(|| {
        (data && given.lost_after.is_none()).then(|| DATA_STOP_ON_CLIENT_AFTER.to_owned())
    });
    let disconnect = Disconnect {
        lost_after: given.lost_after.clone(),
        stop_on_client_after,
        replace: given.replace,
        reconcile: given.reconcile,
    };
    let empty = disconnect.lost_after.is_none()
        && disconnect.stop_on_client_after.is_none()
        && disconnect.replace.is_none()
        && disconnect.reconcile.is_none();
    (!empty).then_some(disconnect)
}

/// Nomad's workers cut every kill timeout to their `max_kill_timeout` (30s
/// unless set): the longest any job asks for, so none is cut.
pub fn max_kill_timeout<'a>(lifecycles: impl IntoIterator<Item = &'a Lifecycle>) -> String {
    lifecycles
        .into_iter()
        .filter_map(|lifecycle| lifecycle.kill_timeout.as_deref())
        .chain([NOMAD_MAX_KILL_TIMEOUT])
        .filter_map(|text| Some((crate::duration::seconds(text)?, text)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or_else(
            || NOMAD_MAX_KILL_TIMEOUT.to_owned(),
            |(_, text)| text.to_owned(),
        )
}

/// The workers' `max_kill_timeout` when nothing asks for more.
const NOMAD_MAX_KILL_TIMEOUT: &str = "30s";

fn text(given: Option<&String>, default: &str) -> String {
    given.map_or_else(|| default.to_owned(), String::clone)
}
