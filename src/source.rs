//! The inventory text, kept for the whole run, and where each of its keys and
//! values is: every stage that points into the file reads it from here.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use miette::{MietteError, MietteSpanContents, NamedSource, SourceCode, SourceSpan, SpanContents};

/// The inventory text, kept for the whole run so any stage can point into it.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: Arc<str>,
    /// Where each line starts, found when a diagnostic first needs it.
    lines: Arc<OnceLock<Lines>>,
}

impl Source {
    pub fn new(name: String, text: Arc<str>) -> Self {
        Self {
            name,
            text,
            lines: Arc::default(),
        }
    }

    /// The text as miette reads it for an excerpt.
    pub fn named(&self) -> NamedSource<Lines> {
        NamedSource::new(&self.name, self.lines().clone())
    }

    fn lines(&self) -> &Lines {
        self.lines
            .get_or_init(|| Lines::new(Arc::clone(&self.text)))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = floor_boundary(&self.text, offset);
        let lines = self.lines();
        let line = lines.line_of(offset);
        let column = self.text[lines.starts[line]..offset].chars().count() + 1;
        (line + 1, column)
    }
}

/// A text and where each of its lines starts, as miette counts lines (after
/// `\n`, `\r\n` or a lone `\r`). An excerpt is read from a few lines before
/// its span, found by a binary search: miette alone counts from the top of the
/// text for each one, and a run printing a warning for each of thousands of
/// hosts would read the inventory thousands of times.
#[derive(Debug, Clone)]
pub struct Lines {
    text: Arc<str>,
    starts: Arc<[usize]>,
}

impl Lines {
    fn new(text: Arc<str>) -> Self {
        let bytes = text.as_bytes();
        let breaks = bytes.iter().enumerate().filter(|&(at, &byte)| {
            byte == b'\n' || (byte == b'\r' && bytes.get(at + 1) != Some(&b'\n'))
        });
        let starts = std::iter::once(0)
            .chain(breaks.map(|(at, _)| at + 1))
            .collect();
        Self { text, starts }
    }

    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }
}

impl SourceCode for Lines {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // One line more than the context, so miette finds the context as it would in the whole text.
        let first = self
            .line_of(span.offset())
            .saturating_sub(context_lines_before.saturating_add(1));
        let base = self.starts[first];
        let local = SourceSpan::new((span.offset() - base).into(), span.len());
        let contents = self.text.as_bytes()[base..].read_span(
            &local,
            context_lines_before,
            context_lines_after,
        )?;
        Ok(Box::new(MietteSpanContents::new(
            contents.data(),
            SourceSpan::new(
                (contents.span().offset() + base).into(),
                contents.span().len(),
            ),
            contents.line() + first,
            contents.column(),
            contents.line_count() + first,
        )))
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

#[cfg(test)]
mod tests {
    use miette::{SourceCode, SourceSpan};

    use super::{Lines, Source};

    /// Every excerpt is the one miette reads from the whole text: the same
    /// bytes, span, line, column and line count, whatever the line endings.
    #[test]
    fn excerpts_are_those_of_the_whole_text() {
        let text = "a: 1\nhosts:\r\n  c1: {x: é}\r  c2: 2\n\n  c3:   3\nend";
        let lines = Lines::new(text.into());
        // Spans within the text: miette's own reading panics past its end.
        for offset in 0..=text.len() {
            for len in [0, 1, 4, 12]
                .into_iter()
                .filter(|len| offset + len <= text.len())
            {
                for (before, after) in [(0, 0), (1, 1), (2, 3), (9, 9)] {
                    let span = SourceSpan::new(offset.into(), len);
                    let ours = lines.read_span(&span, before, after);
                    let whole = text.read_span(&span, before, after);
                    let at = format!("offset {offset}, length {len}, context {before}/{after}");
                    match (ours, whole) {
                        (Ok(ours), Ok(whole)) => {
                            assert_eq!(ours.data(), whole.data(), "{at}");
                            assert_eq!(ours.span(), whole.span(), "{at}");
                            assert_eq!(ours.line(), whole.line(), "{at}");
                            assert_eq!(ours.column(), whole.column(), "{at}");
                            assert_eq!(ours.line_count(), whole.line_count(), "{at}");
                        }
                        (ours, whole) => assert_eq!(ours.is_ok(), whole.is_ok(), "{at}"),
                    }
                }
            }
        }
    }

    #[test]
    fn lines_and_columns_count_characters_from_one() {
        // A lone `\r` ends a line, as in YAML and in miette's excerpts.
        let source = Source::new("inventory.yaml".to_owned(), "a: 1\r\nb: é x\nc\rd".into());
        assert_eq!(source.line_column(0), (1, 1));
        assert_eq!(source.line_column(6), (2, 1));
        assert_eq!(source.line_column(12), (2, 6));
        assert_eq!(source.line_column(14), (3, 1));
        assert_eq!(source.line_column(16), (4, 1));
        assert_eq!(source.line_column(99), (4, 2));
    }
}
