//! A problem found in the inventory, located in its source text.
//!
//! Diagnostics are collected, never thrown one by one: a run reports every problem
//! it can find. They are rendered by miette in one place (the CLI).

mod code;

use miette::{LabeledSpan, NamedSource, SourceSpan};
use serde_saphyr::Location;

use crate::source::Lines;

pub use code::{Code, table};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: Code,
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
    /// A diagnostic of `code`, with the code's severity and, when it has one, its hint.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.severity(),
            message: message.into(),
            path: String::new(),
            at: None,
            label: String::new(),
            also: Vec::new(),
            help: code.hint().map(str::to_owned),
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

    /// Sets the label for a span attached later, once the position is known.
    pub fn label_only(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Replaces the hint of a diagnostic already reported.
    pub fn hint(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a second labelled place, when it is known, to a diagnostic already reported.
    pub fn also(&mut self, span: Option<(usize, usize)>, label: impl Into<String>) -> &mut Self {
        if let Some((offset, len)) = span {
            self.also
                .push((SourceSpan::new(offset.into(), len.max(1)), label.into()));
        }
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
    pub source_code: NamedSource<Lines>,
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
        Some(Box::new(self.diagnostic.code.as_str()))
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
