//! Services' lifecycle overrides, judged as Nomad judges the blocks they end up
//! in: the defaults of the kind of job with the overrides laid over them
//! (`model::lifecycle`), each rule from Nomad's own validation.

use super::{Rules, key, value};
use crate::diagnostic::Code;
use crate::duration;
use crate::inventory::{self, DelayFunction, RestartMode, Service};
use crate::model::lifecycle::{self, JobKind, Lifecycle};

/// Nomad's shortest restart interval (`RestartPolicyMinInterval`).
const MIN_RESTART_INTERVAL: f64 = 5.0;
/// Nomad's shortest reschedule delay (`ReschedulePolicyMinDelay`).
const MIN_RESCHEDULE_DELAY: f64 = 5.0;
/// Nomad's shortest interval of a limited reschedule (`ReschedulePolicyMinInterval`).
const MIN_RESCHEDULE_INTERVAL: f64 = 15.0;

pub(super) fn check(rules: &mut Rules) {
    for (name, service) in &rules.inventory.services {
        let service = &service.value;
        if !durations_parse(rules, name, &service.lifecycle) {
            continue;
        }
        let kind = JobKind::of(service);
        let resolved = lifecycle::resolve(
            kind,
            service.data,
            service.main_port().is_some(),
            &service.lifecycle,
        );
        blocks_of_the_kind(rules, name, service, kind);
        restart(rules, name, &resolved);
        reschedule(rules, name, &service.lifecycle, &resolved);
        update(rules, name, &resolved);
        disconnect(rules, name, service);
    }
}

/// Every duration given is one Nomad reads; the rules below need their values.
fn durations_parse(rules: &mut Rules, name: &str, given: &inventory::Lifecycle) -> bool {
    let mut all_parse = true;
    for (block, field, text) in given_durations(given) {
        if duration::seconds(text).is_none() {
            all_parse = false;
            let mut path = vec!["services", name, "lifecycle", block];
            path.extend(field);
            rules.flag(
                Code::LifecycleInvalidDuration,
                value(&path, "not a duration"),
                format!("`{text}` is not a duration Nomad reads"),
            );
        }
    }
    all_parse
}

/// The durations the overrides give: block, field (none for `kill_timeout`), text.
fn given_durations(
    given: &inventory::Lifecycle,
) -> Vec<(&'static str, Option<&'static str>, &String)> {
    let restart = given.restart.as_ref();
    let reschedule = given.reschedule.as_ref();
    let fields = [
        (
            "restart",
            "interval",
            restart.and_then(|r| r.interval.as_ref()),
        ),
        ("restart", "delay", restart.and_then(|r| r.delay.as_ref())),
        (
            "reschedule",
            "interval",
            reschedule.and_then(|r| r.interval.as_ref()),
        ),
        (
            "reschedule",
            "delay",
            reschedule.and_then(|r| r.delay.as_ref()),
        ),
        (
            "reschedule",
            "max_delay",
            reschedule.and_then(|r| r.max_delay.as_ref()),
        ),
        (
            "check_restart",
            "grace",
            given.check_restart.as_ref().and_then(|c| c.grace.as_ref()),
        ),
    ];
    fields
        .into_iter()
        .chain(update_and_disconnect_durations(given))
        .filter_map(|(block, field, text)| Some((block, Some(field), text?)))
        .chain(
            given
                .kill_timeout
                .as_ref()
                .map(|text| ("kill_timeout", None, text)),
        )
        .collect()
}

fn update_and_disconnect_durations(
    given: &inventory::Lifecycle,
) -> [(&'static str, &'static str, Option<&String>); 5] {
    let update = given.update.as_ref();
    let disconnect = given.disconnect.as_ref();
    [
        (
            "update",
            "min_healthy_time",
            update.and_then(|u| u.min_healthy_time.as_ref()),
        ),
        (
            "update",
            "healthy_deadline",
            update.and_then(|u| u.healthy_deadline.as_ref()),
        ),
        (
            "update",
            "progress_deadline",
            update.and_then(|u| u.progress_deadline.as_ref()),
        ),
        (
            "disconnect",
            "lost_after",
            disconnect.and_then(|d| d.lost_after.as_ref()),
        ),
        (
            "disconnect",
            "stop_on_client_after",
            disconnect.and_then(|d| d.stop_on_client_after.as_ref()),
        ),
    ]
}

fn seconds(text: &str) -> f64 {
    duration::seconds(text).unwrap_or(0.0)
}

/// Blocks Nomad refuses for the kind of job, and a check restart with no check.
fn blocks_of_the_kind(rules: &mut Rules, name: &str, service: &Service, kind: JobKind) {
    let given = &service.lifecycle;
    let update_beyond_parallel = given.update.as_ref().is_some_and(|update| {
        update.min_healthy_time.is_some()
            || update.healthy_deadline.is_some()
            || update.progress_deadline.is_some()
            || update.auto_revert.is_some()
    });
    let stops_on_client = given
        .disconnect
        .as_ref()
        .is_some_and(|disconnect| disconnect.stop_on_client_after.is_some());
    let refused: [(bool, &str, &str); 5] = [
        (
            kind == JobKind::Batch && given.update.is_some(),
            "update",
            "a scheduled job runs to completion: there is no running version to update",
        ),
        (
            kind == JobKind::System && given.reschedule.is_some(),
            "reschedule",
            "a job on every worker stays on its worker",
        ),
        (
            kind == JobKind::System && update_beyond_parallel,
            "update",
            "a job on every worker takes only `max_parallel` here",
        ),
        (
            kind == JobKind::System && stops_on_client,
            "disconnect",
            "Nomad allows `stop_on_client_after` in service and batch jobs only",
        ),
        (
            given.check_restart.is_some() && service.ports.is_empty(),
            "check_restart",
            "a job without ports has no health check to restart on",
        ),
    ];
    for (wrong, block, why) in refused {
        if wrong {
            rules.flag(
                Code::LifecycleNotForThisJob,
                key(&["services", name, "lifecycle", block], "not for this job"),
                format!("`lifecycle.{block}` of `{name}`: {why}"),
            );
        }
    }
}

/// Nomad's `RestartPolicy.Validate`.
fn restart(rules: &mut Rules, name: &str, resolved: &Lifecycle) {
    let restart = &resolved.restart;
    let interval = seconds(&restart.interval);
    let problem = if interval < MIN_RESTART_INTERVAL {
        Some(format!(
            "an interval of `{}` is below Nomad's 5s",
            restart.interval
        ))
    } else if f64::from(restart.attempts) * seconds(&restart.delay) > interval {
        Some(format!(
            "{} restarts {} apart do not fit in `{}`",
            restart.attempts, restart.delay, restart.interval
        ))
    } else if restart.attempts == 0 && restart.mode == RestartMode::Delay {
        Some("0 attempts with `mode: delay` is ambiguous to Nomad".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        rules.flag(
            Code::LifecycleImpossibleRestart,
            key(
                &["services", name, "lifecycle", "restart"],
                "Nomad refuses this",
            ),
            format!("The restart policy of `{name}`: {problem}"),
        );
    }
}

/// Nomad's `ReschedulePolicy.Validate`, which judges a policy only when it
/// places again at all (attempts, or unlimited).
fn reschedule(rules: &mut Rules, name: &str, given: &inventory::Lifecycle, resolved: &Lifecycle) {
    let Some(reschedule) = &resolved.reschedule else {
        return;
    };
    let unlimited_with_attempts = given.reschedule.as_ref().is_some_and(|given| {
        given.unlimited == Some(true) && given.attempts.is_some_and(|attempts| attempts > 0)
    });
    let enabled = reschedule.unlimited || reschedule.attempts.is_some_and(|attempts| attempts > 0);
    let delay = seconds(&reschedule.delay);
    let max_delay = seconds(&reschedule.max_delay);
    let constant = reschedule.delay_function == DelayFunction::Constant;
    let problem = if unlimited_with_attempts {
        Some("`attempts` and `unlimited: true` together".to_owned())
    } else if !enabled {
        None
    } else if delay < MIN_RESCHEDULE_DELAY {
        Some(format!(
            "a delay of `{}` is below Nomad's 5s",
            reschedule.delay
        ))
    } else if !constant && (max_delay < delay || max_delay < MIN_RESCHEDULE_DELAY) {
        Some(format!(
            "`max_delay` {} is below `delay` {} or Nomad's 5s",
            reschedule.max_delay, reschedule.delay
        ))
    } else {
        limited_reschedule_problem(reschedule, delay, max_delay)
    };
    if let Some(problem) = problem {
        rules.flag(
            Code::LifecycleImpossibleReschedule,
            key(
                &["services", name, "lifecycle", "reschedule"],
                "Nomad refuses this",
            ),
            format!("The reschedule policy of `{name}`: {problem}"),
        );
    }
}

fn limited_reschedule_problem(
    reschedule: &lifecycle::Reschedule,
    delay: f64,
    max_delay: f64,
) -> Option<String> {
    let (Some(attempts), Some(interval_text)) = (reschedule.attempts, &reschedule.interval) else {
        return None;
    };
    let interval = seconds(interval_text);
    if interval < MIN_RESCHEDULE_INTERVAL {
        return Some(format!(
            "an interval of `{interval_text}` is below Nomad's 15s"
        ));
    }
    let viable = viable_attempts(
        reschedule.delay_function,
        delay,
        max_delay,
        attempts,
        interval,
    );
    (!viable).then(|| {
        format!(
            "{attempts} placements with a {} delay from {} do not fit in `{interval_text}`",
            reschedule.delay_function, reschedule.delay
        )
    })
}

/// Nomad's `ReschedulePolicy.viableAttempts`: whether `attempts` placements,
/// waiting as the delay function says, fit in `interval` as Nomad counts them.
fn viable_attempts(
    function: DelayFunction,
    delay: f64,
    max_delay: f64,
    attempts: u32,
    interval: f64,
) -> bool {
    match function {
        DelayFunction::Constant => f64::from(attempts) * delay <= interval,
        DelayFunction::Exponential => exponential_fits(delay, max_delay, attempts, interval),
        DelayFunction::Fibonacci => fibonacci_fits(delay, max_delay, attempts, interval),
    }
}

/// Nomad sums the waits once they reach `max_delay`, and counts the attempts
/// whose sum so far is below `interval`; the sum only grows, so the attempts
/// fit when the last one's does. Waits double from `delay` (5s or more), so
/// the ceiling comes within a few dozen attempts, however many are asked for.
fn exponential_fits(delay: f64, max_delay: f64, attempts: u32, interval: f64) -> bool {
    let mut needed = 0.0;
    for attempt in 0..attempts {
        let next = 2f64.powi(i32::try_from(attempt).unwrap_or(i32::MAX)) * delay;
        if next > max_delay {
            return needed + f64::from(attempts - attempt) * max_delay < interval;
        }
        needed = next;
        if needed >= interval {
            return false;
        }
    }
    needed < interval
}

/// Nomad's waits grow as Fibonacci's numbers from `delay`, then, past
/// `max_delay`, by `max_delay` each; the last wait must fit in `interval`.
/// Only the last two waits are kept, and the ceiling is reached within a few
/// dozen attempts, however many are asked for.
fn fibonacci_fits(delay: f64, max_delay: f64, attempts: u32, interval: f64) -> bool {
    let (mut before, mut last) = (delay, delay);
    for attempt in 2..attempts {
        let next = before + last;
        // Waits past any duration (a `max_delay` too long for a number) are past the ceiling too.
        if next > max_delay || next.is_infinite() {
            last = f64::from(attempts - attempt) * max_delay;
            break;
        }
        (before, last) = (last, next);
        if last > interval {
            break;
        }
    }
    last <= interval
}

/// Nomad's `UpdateStrategy.Validate`, and a kill timeout within the progress deadline.
fn update(rules: &mut Rules, name: &str, resolved: &Lifecycle) {
    let Some(health) = resolved
        .update
        .as_ref()
        .and_then(|update| update.health.as_ref())
    else {
        return;
    };
    let min_healthy = seconds(&health.min_healthy_time);
    let healthy = seconds(&health.healthy_deadline);
    let progress = seconds(&health.progress_deadline);
    let kill = resolved.kill_timeout.as_deref().map_or(0.0, seconds);
    let problem = if healthy <= 0.0 {
        Some("`healthy_deadline` must be above zero".to_owned())
    } else if min_healthy >= healthy {
        Some(format!(
            "`min_healthy_time` {} is not below `healthy_deadline` {}",
            health.min_healthy_time, health.healthy_deadline
        ))
    } else if progress > 0.0 && healthy >= progress {
        Some(format!(
            "`healthy_deadline` {} is not below `progress_deadline` {}",
            health.healthy_deadline, health.progress_deadline
        ))
    } else if progress > 0.0 && kill > progress {
        Some(format!(
            "`kill_timeout` is longer than `progress_deadline` {}",
            health.progress_deadline
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        rules.flag(
            Code::LifecycleImpossibleUpdate,
            key(&["services", name, "lifecycle"], "Nomad refuses this"),
            format!("The update of `{name}`: {problem}"),
        );
    }
}

/// Both ends of a disconnect at once, and a data job that would keep running
/// beside its replacement.
fn disconnect(rules: &mut Rules, name: &str, service: &Service) {
    let Some(disconnect) = &service.lifecycle.disconnect else {
        return;
    };
    let path = ["services", name, "lifecycle", "disconnect", "lost_after"];
    if disconnect.lost_after.is_some() && disconnect.stop_on_client_after.is_some() {
        rules.flag(
            Code::LifecycleDisconnectBoth,
            key(&path, "and stop_on_client_after"),
            format!(
                "`{name}` sets both `lost_after` and `stop_on_client_after`, which Nomad refuses"
            ),
        );
    } else if service.data && disconnect.lost_after.is_some() {
        rules.flag(
            Code::LifecycleDataTwoWriters,
            key(&path, "keeps running while cut off"),
            format!(
                "`{name}` keeps data, but `lost_after` keeps it running on a worker cut off from the servers, beside the copy placed elsewhere"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::viable_attempts;
    use crate::inventory::DelayFunction::{self, Constant, Exponential, Fibonacci};

    /// As Nomad's `viableAttempts` counts them: the last wait, not their sum.
    #[test]
    fn placements_fit_as_nomad_counts_them() {
        assert!(viable_attempts(Exponential, 30.0, 600.0, 5, 600.0));
        assert!(!viable_attempts(Exponential, 30.0, 600.0, 6, 600.0));
        assert!(viable_attempts(Constant, 60.0, 60.0, 10, 600.0));
        assert!(!viable_attempts(Constant, 60.0, 60.0, 11, 600.0));
        assert!(viable_attempts(Fibonacci, 10.0, 300.0, 5, 3600.0));
        assert!(!viable_attempts(Fibonacci, 60.0, 600.0, 8, 600.0));
        // Nomad counts whole nanoseconds: ten waits of 6.4s are 64s, not below
        // 64s, where adding 6.4 ten times in floating point comes just short.
        assert!(!viable_attempts(Exponential, 6.4, 6.4, 10, 64.0));
        assert!(viable_attempts(Fibonacci, 6.4, 6.4, 10, 64.0));
        assert!(!viable_attempts(
            Fibonacci,
            6.4,
            6.4,
            12,
            63.999_999_999_999_99
        ));
    }

    /// Nomad's `viableAttempts`, step by step as its Go source counts: every
    /// wait of every attempt.
    fn nomad_counts(
        function: DelayFunction,
        delay: f64,
        max: f64,
        attempts: u32,
        interval: f64,
    ) -> bool {
        match function {
            Constant => f64::from(attempts) * delay <= interval,
            Exponential => {
                let (mut needed, mut possible) = (0.0, 0);
                for attempt in 0..attempts {
                    let next = 2f64.powi(i32::try_from(attempt).expect("small")) * delay;
                    needed = if next > max { needed + max } else { next };
                    possible += u32::from(needed < interval);
                }
                possible >= attempts
            }
            Fibonacci => {
                let (mut slots, mut ceiling) = (vec![delay, delay], false);
                for index in 2..usize::try_from(attempts).expect("small") {
                    let next = if ceiling {
                        slots[index - 1] + max
                    } else {
                        let next = slots[index - 1] + slots[index - 2];
                        ceiling = next > max;
                        next.min(max)
                    };
                    slots.push(next);
                }
                slots.last().is_some_and(|last| *last <= interval)
            }
        }
    }

    #[test]
    fn placements_fit_exactly_when_nomad_counts_they_do() {
        for function in [Constant, Exponential, Fibonacci] {
            for (delay, max) in [(5.0, 5.0), (5.0, 60.0), (30.0, 600.0), (10.0, 3600.0)] {
                for interval in [15.0, 60.0, 600.0, 3600.0, 86400.0] {
                    for attempts in 0..300 {
                        assert_eq!(
                            viable_attempts(function, delay, max, attempts, interval),
                            nomad_counts(function, delay, max, attempts, interval),
                            "{function} from {delay}s to {max}s, {attempts} in {interval}s"
                        );
                    }
                }
            }
        }
    }

    /// Nomad would keep four billion waits; gen keeps two and stops at the ceiling.
    #[test]
    fn any_number_of_attempts_is_judged_without_counting_each() {
        for function in [Constant, Exponential, Fibonacci] {
            assert!(!viable_attempts(function, 5.0, 60.0, u32::MAX, 86400.0));
            assert!(viable_attempts(function, 5.0, 60.0, u32::MAX, 1e12));
        }
        // Durations too long for a number are infinite; the answer, Nomad's
        // count's, comes as fast: the sum of waits is never below infinity.
        let endless =
            |function| viable_attempts(function, 5.0, f64::INFINITY, u32::MAX, f64::INFINITY);
        assert!(endless(Constant) && !endless(Exponential) && endless(Fibonacci));
    }
}
