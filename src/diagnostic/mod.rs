//! A problem found in the inventory, located in its source text.
//!
//! Diagnostics are collected, never thrown one by one: a run reports every problem
//! it can find. They are rendered by miette in one place (the CLI).

use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceSpan};
use serde_saphyr::Location;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

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
        let before = self
            .text
            .get(..offset.min(self.text.len()))
            .unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable identifier, `family::rule`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Key path in the inventory, e.g. `hosts.c2.roles[1]`.
    pub path: String,
    pub at: Option<SourceSpan>,
    pub label: String,
    /// Another place that matters, such as the first definition of a duplicate.
    pub also: Vec<(SourceSpan, String)>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            path: String::new(),
            at: None,
            label: String::new(),
            also: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Points the diagnostic at a byte range of the inventory.
    pub fn at_span(mut self, offset: usize, len: usize, label: impl Into<String>) -> Self {
        self.at = Some(SourceSpan::new(offset.into(), len.max(1)));
        self.label = label.into();
        self
    }

    /// Points the diagnostic at a value of the inventory.
    pub fn at(mut self, location: Location, label: impl Into<String>) -> Self {
        self.at = span_of(location);
        self.label = label.into();
        self
    }

    /// Adds a second labelled place.
    pub fn also_at_span(mut self, offset: usize, len: usize, label: impl Into<String>) -> Self {
        self.also
            .push((SourceSpan::new(offset.into(), len.max(1)), label.into()));
        self
    }

    /// Sets the label for a span attached later, once the position is known.
    pub fn label_only(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

fn span_of(location: Location) -> Option<SourceSpan> {
    let span = location.span();
    let offset = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len().unwrap_or(0)).ok()?;
    Some(SourceSpan::new(offset.into(), len.max(1)))
}

/// One diagnostic bound to the source it points into, as miette renders it.
#[derive(Debug, thiserror::Error)]
#[error("{}{}", .diagnostic.message, path_suffix(&.diagnostic.path))]
pub struct Located {
    pub diagnostic: Diagnostic,
    pub source_code: NamedSource<Arc<str>>,
}

fn path_suffix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" (at `{path}`)")
    }
}

impl miette::Diagnostic for Located {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.diagnostic
            .at
            .map(|_| &self.source_code as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.diagnostic.at?;
        let primary = LabeledSpan::new_primary_with_span(Some(self.diagnostic.label.clone()), span);
        let others = self
            .diagnostic
            .also
            .iter()
            .map(|(span, label)| LabeledSpan::new_with_span(Some(label.clone()), *span));
        Some(Box::new(std::iter::once(primary).chain(others)))
    }
}
