//! Go durations, as Nomad reads them in job files and agent settings.

/// Seconds of a Go duration as Nomad parses it (`10s`, `1m30s`, `1.5h`,
/// `500ms`): numbers each followed by a unit, nothing else.
pub fn seconds(text: &str) -> Option<f64> {
    const UNITS: [(&str, f64); 7] = [
        ("ns", 1e-9),
        ("us", 1e-6),
        ("µs", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
    ];
    let mut rest = text;
    let mut total = 0.0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&end| end > 0)?;
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, scale) = UNITS
            .iter()
            .filter(|(unit, _)| rest.starts_with(unit))
            .max_by_key(|(unit, _)| unit.len())?;
        total += number * scale;
        rest = &rest[unit.len()..];
    }
    (!text.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::seconds;

    #[test]
    fn durations_as_nomad_reads_them() {
        assert_eq!(seconds("10s"), Some(10.0));
        assert_eq!(seconds("1m30s"), Some(90.0));
        assert_eq!(seconds("1.5h"), Some(5400.0));
        assert_eq!(seconds("500ms"), Some(0.5));
        for bad in ["", "10", "s", "10 s", "ten seconds", "1d", "-1s"] {
            assert_eq!(seconds(bad), None, "{bad}");
        }
    }
}
