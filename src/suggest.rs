//! Did-you-mean: the closest known name to a misspelt one.

/// The candidate closest to `wrong`, when it is close enough to be a likely typo.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::normalized_damerau_levenshtein(wrong, candidate),
                candidate,
            )
        })
        .filter(|(similarity, _)| *similarity >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// "did you mean `x`?", or the list of what is allowed.
pub fn hint(wrong: &str, candidates: &[&str]) -> String {
    match closest(wrong, candidates.iter().copied()) {
        Some(candidate) => format!("did you mean `{candidate}`?"),
        None => expected(candidates),
    }
}

/// "expected one of: `a`, `b`".
pub fn expected(candidates: &[&str]) -> String {
    format!("expected one of: {}", quoted(candidates))
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_and_ignores_strangers() {
        let roles = ["cluster-member", "nomad-worker", "nomad-server"];
        assert_eq!(closest("nomad-wroker", roles), Some("nomad-worker"));
        assert_eq!(closest("databse", ["database", "domain"]), Some("database"));
        assert_eq!(closest("kubernetes", roles), None);
    }
}
