//! systemd calendar expressions (`OnCalendar=`, systemd.time(7)): what a backup
//! schedule must be before it reaches a timer unit.

const SHORTHANDS: [&str; 9] = [
    "minutely",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "annually",
    "quarterly",
    "semiannually",
];

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Whether `text` is a calendar expression systemd accepts: a shorthand, or
/// `[weekdays] [date] [time] [time zone]` with at least one of the first three.
pub fn is_calendar(text: &str) -> bool {
    if SHORTHANDS.contains(&text.to_ascii_lowercase().as_str()) {
        return true;
    }
    if text.chars().any(char::is_control) {
        return false;
    }
    let mut parts: Vec<&str> = text.split(' ').filter(|part| !part.is_empty()).collect();
    if parts.len() > 1 && parts.last().is_some_and(|zone| is_time_zone(zone)) {
        parts.pop();
    }
    if parts.first().is_some_and(|first| is_weekdays(first)) {
        parts.remove(0);
        if parts.is_empty() {
            return true;
        }
    }
    match parts.as_slice() {
        [only] => is_date(only) || is_time(only),
        [date, time] => is_date(date) && is_time(time),
        _ => false,
    }
}

fn is_time_zone(zone: &str) -> bool {
    zone == "UTC" || zone.parse::<chrono_tz::Tz>().is_ok()
}

/// `Mon`, `Mon,Fri`, `Mon..Fri`, in short or long names, any case.
fn is_weekdays(text: &str) -> bool {
    let day = |name: &str| {
        let lower = name.to_ascii_lowercase();
        WEEKDAYS
            .iter()
            .any(|short| lower.starts_with(short) && full_name(short).starts_with(&lower))
    };
    text.split(',').all(|item| match item.split_once("..") {
        Some((first, last)) => day(first) && day(last),
        None => day(item),
    })
}

fn full_name(short: &str) -> &'static str {
    match short {
        "mon" => "monday",
        "tue" => "tuesday",
        "wed" => "wednesday",
        "thu" => "thursday",
        "fri" => "friday",
        "sat" => "saturday",
        _ => "sunday",
    }
}

/// `[year-]month-day`, or `~` before the day to count from the month's end.
fn is_date(text: &str) -> bool {
    let (head, day) = match text.rsplit_once('~') {
        Some((head, day)) => (head, day),
        None => match text.rsplit_once('-') {
            Some((head, day)) => (head, day),
            None => return false,
        },
    };
    let (year, month) = match head.split_once('-') {
        Some((year, month)) => (Some(year), month),
        None => (None, head),
    };
    year.is_none_or(|year| is_component(year, 1970, 2199))
        && is_component(month, 1, 12)
        && is_component(day, 1, 31)
}

/// `hour:minute[:second]`.
fn is_time(text: &str) -> bool {
    let fields: Vec<&str> = text.split(':').collect();
    match fields.as_slice() {
        [hour, minute] => is_component(hour, 0, 23) && is_component(minute, 0, 59),
        [hour, minute, second] => {
            is_component(hour, 0, 23)
                && is_component(minute, 0, 59)
                && is_component(second.split('.').next().unwrap_or_default(), 0, 59)
                && second
                    .split_once('.')
                    .is_none_or(|(_, fraction)| fraction.chars().all(|c| c.is_ascii_digit()))
        }
        _ => false,
    }
}

/// `*`, or a list of values, ranges (`a..b`) and repetitions (`a/step`).
fn is_component(text: &str, min: u32, max: u32) -> bool {
    let number = |value: &str| {
        !value.is_empty()
            && value.chars().all(|c| c.is_ascii_digit())
            && value.parse::<u32>().is_ok_and(|n| (min..=max).contains(&n))
    };
    text.split(',').all(|item| {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => (base, Some(step)),
            None => (item, None),
        };
        let base_ok = base == "*"
            || match base.split_once("..") {
                Some((first, last)) => number(first) && number(last),
                None => number(base),
            };
        base_ok
            && step.is_none_or(|step| {
                !step.is_empty() && step.chars().all(|c| c.is_ascii_digit()) && step != "0"
            })
    })
}

#[cfg(test)]
mod tests {
    use super::is_calendar;

    #[test]
    fn accepts_what_systemd_accepts() {
        for good in [
            "hourly",
            "Daily",
            "*-*-* 02:00:00",
            "Mon..Fri 08:00",
            "Sat,Sun *-*-* 10:00",
            "*-*-01 00:00",
            "2026-01-01",
            "*:0/15",
            "*-02~03",
            "12:30 Europe/Berlin",
            "Mon",
            "*-*-* *:00/5:00 UTC",
        ] {
            assert!(is_calendar(good), "{good}");
        }
        for bad in [
            "",
            "every hour",
            "25:00",
            "*-13-01",
            "hourly\nExecStart=/bin/sh",
            "Mon..Fry",
            "0 * * * *",
            "*:0/0",
        ] {
            assert!(!is_calendar(bad), "{bad:?}");
        }
    }
}
