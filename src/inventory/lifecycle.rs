//! How Nomad restarts, replaces, updates and stops a service, as the inventory
//! overrides it. Every field is optional: what is left out keeps the default of
//! the kind of job (`model::lifecycle` holds those defaults).

use schemars::JsonSchema;
use serde::Deserialize;

/// Overrides of the job's lifecycle, each field on its own.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Restarts of a failed task in place (`restart` block).
    pub restart: Option<Restart>,
    /// Placements of a failed allocation elsewhere (`reschedule` block).
    pub reschedule: Option<Reschedule>,
    /// How a new version replaces the running one (`update` block).
    pub update: Option<Update>,
    /// Restarts of a task whose check keeps failing (`check_restart` block).
    pub check_restart: Option<CheckRestart>,
    /// Time the task has to stop after its signal before it is killed, e.g. `30s`.
    pub kill_timeout: Option<String>,
    /// What happens to the allocations of a worker the servers lose contact with
    /// (`disconnect` block).
    pub disconnect: Option<Disconnect>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Restart {
    /// Restarts within `interval`.
    pub attempts: Option<u32>,
    /// The window `attempts` counts in, e.g. `10m`.
    pub interval: Option<String>,
    /// Wait before each restart, e.g. `15s`.
    pub delay: Option<String>,
    /// `fail` hands the allocation to `reschedule`; `delay` waits for the next interval.
    pub mode: Option<RestartMode>,
}

named_values! {
    pub enum RestartMode {
        /// Give up: the allocation fails and is placed again.
        Fail,
        /// Wait until the interval has passed, then try again.
        Delay,
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    /// Placements within `interval` (with `unlimited: false`).
    pub attempts: Option<u32>,
    /// The window `attempts` counts in, e.g. `24h`.
    pub interval: Option<String>,
    /// Wait before the first new placement, e.g. `30s`.
    pub delay: Option<String>,
    /// How the wait grows from one placement to the next.
    pub delay_function: Option<DelayFunction>,
    /// The longest wait, e.g. `10m`.
    pub max_delay: Option<String>,
    /// Place again for as long as it takes.
    pub unlimited: Option<bool>,
}

named_values! {
    pub enum DelayFunction {
        /// The same wait every time.
        Constant,
        /// Twice the previous wait.
        Exponential,
        /// The sum of the two previous waits.
        Fibonacci,
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Update {
    /// Allocations replaced at the same time.
    pub max_parallel: Option<u32>,
    /// How long a new allocation must stay healthy to count, e.g. `10s`.
    pub min_healthy_time: Option<String>,
    /// How long a new allocation has to become healthy, e.g. `5m`.
    pub healthy_deadline: Option<String>,
    /// How long the whole update may go without an allocation becoming healthy, e.g. `10m`.
    pub progress_deadline: Option<String>,
    /// Go back to the last version that worked when an update fails.
    pub auto_revert: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRestart {
    /// Failed checks in a row before the task is restarted.
    pub limit: Option<u32>,
    /// Time after a start before failed checks count, e.g. `60s`.
    pub grace: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Disconnect {
    /// Keep the allocation as "unknown" (not lost) this long, e.g. `1h`.
    pub lost_after: Option<String>,
    /// The worker stops the allocation itself after this long without the servers, e.g. `30s`.
    pub stop_on_client_after: Option<String>,
    /// Place a replacement while the worker is out of reach.
    pub replace: Option<bool>,
    /// Which allocation is kept when the worker comes back.
    pub reconcile: Option<Reconcile>,
}

named_values! {
    pub enum Reconcile {
        /// The one on the node Nomad scores best.
        #[serde(rename = "best_score")]
        #[strum(serialize = "best_score")]
        BestScore,
        /// The one that ran longest without stopping.
        #[serde(rename = "longest_running")]
        #[strum(serialize = "longest_running")]
        LongestRunning,
        /// The one on the worker that came back.
        #[serde(rename = "keep_original")]
        #[strum(serialize = "keep_original")]
        KeepOriginal,
        /// The replacement.
        #[serde(rename = "keep_replacement")]
        #[strum(serialize = "keep_replacement")]
        KeepReplacement,
    }
}
