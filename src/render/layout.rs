//! Layout of rendered text, so templates need not fight whitespace.
//!
//! Nix goes through `nixfmt_rs` (the official formatter's style, so `nix fmt`
//! leaves generated files alone). HCL is laid out as `nomad fmt` lays it out:
//! two-space indents and the `=` of consecutive attributes aligned. Templates
//! write one attribute or block delimiter per line; blank lines are placed here.

use std::fmt::Write;

/// Lays out one file and prepends its header comment.
pub fn lay_out(path: &str, header: &str, raw: &str) -> Result<String, String> {
    if path.ends_with(".nix") {
        super::pieces::format_nix(&format!("{header}{raw}"))
    } else if path.ends_with(".hcl") {
        Ok(format!("{header}{}", hcl(raw)?))
    } else if path.ends_with(".md") {
        // `#` starts a heading in Markdown: the header becomes an HTML comment.
        let header: Vec<&str> = header
            .lines()
            .map(|line| line.trim_start_matches("# "))
            .collect();
        Ok(format!("<!-- {} -->\n\n{}\n", header.join(" "), raw.trim()))
    } else if path.ends_with(".dot") || path.ends_with(".mmd") {
        // Neither reads `#` as a comment.
        let marker = if path.ends_with(".dot") { "//" } else { "%%" };
        let mut comment = String::new();
        for line in header.lines() {
            let _ = writeln!(comment, "{marker} {}", line.trim_start_matches("# "));
        }
        let header = comment;
        Ok(format!("{header}{}\n", raw.trim()))
    } else {
        Ok(format!("{header}{}\n", raw.trim_end()))
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Open,
    Close,
    Comment,
    Attribute { key_len: usize },
    Other,
}

struct Line<'a> {
    depth: usize,
    kind: Kind,
    text: &'a str,
}

/// HCL with indentation by brace depth, a blank line around each block and the
/// `=` of each run of attributes aligned.
pub fn hcl(raw: &str) -> Result<String, String> {
    let lines = classify(raw)?;
    let widths = alignment(&lines);
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        let previous = index.checked_sub(1).map(|i| &lines[i].kind);
        // A comment right above a block belongs to it: the blank line goes above the comment.
        let introduces_block = line.kind == Kind::Comment
            && previous != Some(&Kind::Comment)
            && lines[index..]
                .iter()
                .find(|later| later.kind != Kind::Comment)
                .is_some_and(|later| later.kind == Kind::Open);
        let opens_after_content = (line.kind == Kind::Open || introduces_block)
            && previous.is_some_and(|kind| !matches!(kind, Kind::Open | Kind::Comment));
        let follows_block = previous == Some(&Kind::Close) && line.kind != Kind::Close;
        if opens_after_content || follows_block {
            out.push('\n');
        }
        out.push_str(&"  ".repeat(line.depth));
        match line.kind {
            Kind::Attribute { key_len } => {
                let (key, value) = line.text.split_at(key_len);
                let value = value.trim_start().trim_start_matches('=').trim_start();
                let _ = write!(out, "{key:<width$} = {value}", width = widths[index]);
            }
            _ => out.push_str(line.text),
        }
        out.push('\n');
    }
    Ok(out)
}

fn classify(raw: &str) -> Result<Vec<Line<'_>>, String> {
    let mut depth = 0usize;
    let mut lines = Vec::new();
    for (number, text) in raw
        .lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, text)| !text.is_empty())
    {
        let kind = if text.starts_with('}') {
            depth = depth
                .checked_sub(1)
                .ok_or_else(|| format!("line {}: `}}` closes no block", number + 1))?;
            Kind::Close
        } else if text.starts_with('#') {
            Kind::Comment
        } else if text.ends_with('{') {
            Kind::Open
        } else if let Some(key_len) = attribute_key_len(text) {
            Kind::Attribute { key_len }
        } else {
            Kind::Other
        };
        lines.push(Line { depth, kind, text });
        if lines.last().is_some_and(|line| line.kind == Kind::Open) {
            depth += 1;
        }
    }
    if depth == 0 {
        Ok(lines)
    } else {
        Err(format!("{depth} block(s) left open at the end"))
    }
}

/// Length of the key when the line is `identifier = value`.
fn attribute_key_len(text: &str) -> Option<usize> {
    let key_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(text.len());
    let rest = text[key_len..].trim_start();
    let assigns = rest.starts_with('=') && !rest.starts_with("==");
    (key_len > 0 && assigns).then_some(key_len)
}

/// Key width of each line: the longest key of its run of consecutive attributes.
fn alignment(lines: &[Line]) -> Vec<usize> {
    let mut widths = vec![0; lines.len()];
    let mut start = 0;
    while start < lines.len() {
        let mut end = start;
        let mut width = 0;
        while let Some(Line {
            kind: Kind::Attribute { key_len },
            depth,
            ..
        }) = lines.get(end)
        {
            if *depth != lines[start].depth {
                break;
            }
            width = width.max(*key_len);
            end += 1;
        }
        for slot in &mut widths[start..end] {
            *slot = width;
        }
        start = end.max(start + 1);
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::hcl;

    #[test]
    fn aligns_runs_and_separates_blocks() {
        let raw = "job \"a\" {\ntype = \"service\"\ndatacenters = [\"dc\"]\ngroup \"a\" {\ncount = 1\n}\nmeta {\nx = 1\n}\n}\n";
        let expected = "job \"a\" {\n  type        = \"service\"\n  datacenters = [\"dc\"]\n\n  group \"a\" {\n    count = 1\n  }\n\n  meta {\n    x = 1\n  }\n}\n";
        assert_eq!(hcl(raw).as_deref(), Ok(expected));
    }

    #[test]
    fn a_comment_above_a_block_stays_with_it() {
        let raw = "job \"a\" {\ncount = 1\n# why\n# more\nupdate {\nx = 1\n}\n}\n";
        let expected =
            "job \"a\" {\n  count = 1\n\n  # why\n  # more\n  update {\n    x = 1\n  }\n}\n";
        assert_eq!(hcl(raw).as_deref(), Ok(expected));
    }

    #[test]
    fn layout_is_idempotent() {
        let raw = "a {\nb = 1\nccc = \"x = y\"\nd {\n}\n}\n";
        let once = hcl(raw).unwrap_or_default();
        assert_eq!(hcl(&once).as_deref(), Ok(once.as_str()));
    }

    #[test]
    fn unbalanced_braces_are_errors() {
        assert!(hcl("a {\n").is_err());
        assert!(hcl("}\n").is_err());
    }
}
