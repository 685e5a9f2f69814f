//! YAML tags: a tag gen does not know (`!foo`) would be dropped silently by the
//! reader and its value taken as a plain string, so it is refused instead. The
//! core schema's own tags (`!!str`, `!!int`, …) are allowed.

use crate::diagnostic::{Code, Diagnostic};

const CORE_TAGS: [&str; 7] = [
    "!!str", "!!int", "!!float", "!!bool", "!!null", "!!seq", "!!map",
];

/// A diagnostic for each tag outside the core schema, at its place in `text`.
pub fn unknown_tags(text: &str) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut offset = 0;
    let mut block_scalar_indent: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        match block_scalar_indent {
            Some(parent) if blank || indent > parent => {
                offset += line.len();
                continue;
            }
            _ => block_scalar_indent = None,
        }
        for (at, tag) in tags_in(line) {
            if !CORE_TAGS.contains(&tag) {
                problems.push(
                    Diagnostic::new(Code::YamlUnknownTag, format!("Unknown YAML tag `{tag}`"))
                        .at_span(offset + at, tag.len(), "not a tag gen reads")
                        .path(crate::keypath::at(text, offset + at)),
                );
            }
        }
        if opens_block_scalar(line) {
            block_scalar_indent = Some(indent);
        }
        offset += line.len();
    }
    problems
}

/// Tags on a line, with their byte offsets: a `!` that starts a token, outside
/// quotes and comments.
fn tags_in(line: &str) -> Vec<(usize, &str)> {
    let mut tags = Vec::new();
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (index, c) in line.char_indices() {
        match quote {
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' if token_start(previous) => quote = Some(c),
                '#' if previous.is_whitespace() => break,
                '!' if token_start(previous) => {
                    let end = line[index..]
                        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
                        .map_or(line.len(), |length| index + length);
                    tags.push((index, &line[index..end]));
                }
                _ => {}
            },
        }
        previous = c;
    }
    tags
}

fn token_start(previous: char) -> bool {
    previous.is_whitespace() || matches!(previous, ':' | '-' | '[' | '{' | ',')
}

/// Whether a line ends with a block scalar indicator (`key: |`, `- >-`).
fn opens_block_scalar(line: &str) -> bool {
    let content = line.split(" #").next().unwrap_or_default().trim_end();
    let last = content.rsplit([' ', '\t']).next().unwrap_or_default();
    (last.starts_with('|') || last.starts_with('>'))
        && last[1..]
            .chars()
            .all(|c| matches!(c, '-' | '+') || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::unknown_tags;

    #[test]
    fn finds_tags_outside_quotes_comments_and_block_scalars() {
        let text = "a: !foo x\nb: !!str y\nc: \"!not\" # !comment\nd: |\n  !text\ne: [!bar z]\n";
        let tags: Vec<String> = unknown_tags(text)
            .iter()
            .map(|problem| problem.message.clone())
            .collect();
        assert_eq!(tags, ["Unknown YAML tag `!foo`", "Unknown YAML tag `!bar`"]);
    }
}
