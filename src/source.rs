//! The inventory text, kept for the whole run, and where each of its keys and
//! values is: every stage that points into the file reads it from here.

use std::collections::BTreeMap;
use std::sync::Arc;

use miette::NamedSource;

/// The inventory text, kept for the whole run so any stage can point into it.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: Arc<str>,
}

impl Source {
    pub fn named(&self) -> NamedSource<Arc<str>> {
        NamedSource::new(&self.name, Arc::clone(&self.text))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..floor_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

/// Where a node is: its key path for people, and its key's and value's offsets.
#[derive(Debug, Clone)]
pub struct Place {
    /// `hosts.c2.roles[1]`.
    pub path: String,
    /// Byte offset of the mapping key naming the node, if it has one.
    pub key: Option<usize>,
    /// Byte offset of the node's value.
    pub value: Option<usize>,
}

/// Every node's place, by JSON pointer (`/hosts/c2/roles/1`).
pub type Places = BTreeMap<String, Place>;

/// The JSON pointer of a key path (`["hosts", "c1", "address"]`): segments are
/// escaped, so a name holding `.` or `/` stays one segment.
pub fn pointer<S: AsRef<str>>(path: &[S]) -> String {
    let mut pointer = String::new();
    for segment in path {
        pointer.push('/');
        pointer.push_str(&pointer_segment(segment.as_ref()));
    }
    pointer
}

/// One key as a JSON pointer segment: `~` and `/` escaped.
pub fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `offset`, moved back onto a character boundary inside `text`.
pub fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Length of the scalar at `offset`: a quoted string with its quotes, or a plain
/// one up to the end of its line or flow item.
pub fn scalar_len(text: &str, offset: usize) -> usize {
    let rest = &text[floor_boundary(text, offset)..];
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, quote @ ('"' | '\''))) => chars
            .find(|(_, c)| *c == quote)
            .map_or(rest.len(), |(index, c)| index + c.len_utf8()),
        Some(_) => {
            let line = rest.lines().next().unwrap_or_default();
            let end = [", ", ",", "}", "]", " #"]
                .iter()
                .filter_map(|stop| line.find(stop))
                .min()
                .unwrap_or(line.len());
            line[..end].trim_end().len().max(1)
        }
        None => 1,
    }
}

/// Length of the token at `offset`, to underline it whole.
pub fn token_len(text: &str, offset: usize) -> usize {
    let offset = floor_boundary(text, offset);
    if text[offset..].starts_with(['"', '\'']) {
        return scalar_len(text, offset);
    }
    text[offset..]
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}' | ':'))
        .unwrap_or(text.len() - offset)
        .max(1)
}
