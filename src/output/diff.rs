//! Unified diffs of planned changes, for `gen diff` and for refused files.

use std::fmt::Write;

use similar::TextDiff;

use crate::output::plan::Entry;

/// One unified diff of all entries; new files diff against `/dev/null`, removed
/// files to it.
pub fn unified<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> String {
    let mut out = String::new();
    for entry in entries {
        let old = text(entry.old.as_deref());
        let new = text(entry.new.as_deref());
        let old_name = if entry.old.is_some() {
            format!("a/{}", entry.path)
        } else {
            "/dev/null".to_owned()
        };
        let new_name = if entry.new.is_some() {
            format!("b/{}", entry.path)
        } else {
            "/dev/null".to_owned()
        };
        out.push_str(
            &TextDiff::from_lines(&old, &new)
                .unified_diff()
                .context_radius(3)
                .header(&old_name, &new_name)
                .to_string(),
        );
    }
    out
}

fn text(bytes: Option<&[u8]>) -> String {
    bytes
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default()
}

/// Colours a unified diff for a terminal: additions green, removals red, hunks cyan.
pub fn colour(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len());
    for line in diff.lines() {
        let code = if line.starts_with("+++") || line.starts_with("---") {
            Some("1")
        } else if line.starts_with('+') {
            Some("32")
        } else if line.starts_with('-') {
            Some("31")
        } else if line.starts_with("@@") {
            Some("36")
        } else {
            None
        };
        let _ = match code {
            Some(code) => writeln!(out, "\x1b[{code}m{line}\x1b[0m"),
            None => writeln!(out, "{line}"),
        };
    }
    out
}
