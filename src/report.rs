//! Printing errors for people: every error goes through miette here, once.

use std::fmt::Write;

use miette::{MietteDiagnostic, Report};

use crate::diagnostic::{Diagnostic, Located, Severity, Source};
use crate::error::Error;

/// Prints diagnostics for people, each once.
pub fn diagnostics(source: &Source, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        let report = Report::new(Located {
            diagnostic: diagnostic.clone(),
            source_code: source.named(),
        });
        eprintln!("{report:?}");
    }
}

/// Diagnostics as a JSON array, one object per diagnostic: the stable form for
/// editors and CI.
pub fn json(source: &Source, diagnostics: &[Diagnostic]) -> String {
    let objects: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|diagnostic| {
            let (line, column) = diagnostic
                .at
                .map(|span| source.line_column(span.offset()))
                .map_or((None, None), |(line, column)| (Some(line), Some(column)));
            serde_json::json!({
                "severity": match diagnostic.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                "code": diagnostic.code,
                "message": diagnostic.message,
                "path": diagnostic.path,
                "file": source.name,
                "line": line,
                "column": column,
                "hint": diagnostic.help,
            })
        })
        .collect();
    serde_json::to_string_pretty(&objects).unwrap_or_default()
}

/// Invalid output, with the rendered text around the place the parser stopped.
fn invalid_output(
    error: &Error,
    path: &str,
    template: &str,
    message: &str,
    rendered: &str,
) -> Report {
    let offset = position_in(message, rendered);
    let mut diagnostic = MietteDiagnostic::new(error.to_string())
        .with_code("render::invalid-output")
        .with_help(format!(
            "the template `{template}` is at fault, not the inventory: fix it, or report it"
        ));
    if let Some(offset) = offset {
        diagnostic = diagnostic.with_label(miette::LabeledSpan::at_offset(
            offset,
            "the parser stopped here",
        ));
        return Report::new(diagnostic).with_source_code(miette::NamedSource::new(
            format!("{path}, as {template} rendered it"),
            rendered.to_owned(),
        ));
    }
    Report::new(diagnostic)
}

/// The byte offset a parser message points at: "at byte N" or "(line N)".
fn position_in(message: &str, text: &str) -> Option<usize> {
    let number_after = |marker: &str| -> Option<usize> {
        let start = message.find(marker)? + marker.len();
        let digits: String = message[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    if let Some(byte) = number_after("at byte ") {
        return Some(byte.min(text.len()));
    }
    let line = number_after("(line ")?;
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    Some(start.min(text.len()))
}

pub fn print(error: &Error) {
    for report in reports(error) {
        eprintln!("{report:?}");
    }
}

fn reports(error: &Error) -> Vec<Report> {
    match error {
        Error::Invalid {
            source_text,
            problems,
        } => problems
            .iter()
            .map(|diagnostic| {
                Report::new(Located {
                    diagnostic: diagnostic.clone(),
                    source_code: source_text.named(),
                })
            })
            .collect(),
        Error::InvalidOutput {
            path,
            template,
            message,
            excerpt,
            ..
        } => vec![invalid_output(error, path, template, message, excerpt)],
        Error::Conflicts { diff, .. } => vec![Report::new(
            MietteDiagnostic::new(error.to_string())
                .with_code("output::not-owned")
                .with_help(format!(
                    "keep your change by moving it into the inventory or a hand-written module, \
                     or discard it with `gen render --force`. What gen would write:\n{diff}"
                )),
        )],
        Error::UnknownTemplate { hint, .. } => vec![Report::new(
            MietteDiagnostic::new(error.to_string())
                .with_code("cli::unknown-template")
                .with_help(format!("{hint}; `gen templates list` shows them all")),
        )],
        Error::Exists { .. } => vec![Report::new(
            MietteDiagnostic::new(error.to_string())
                .with_code("cli::exists")
                .with_help("move it away first, or edit it"),
        )],
        Error::UnknownTarget { hint, .. } => vec![Report::new(
            MietteDiagnostic::new(error.to_string())
                .with_code("cli::unknown-target")
                .with_help(hint.clone()),
        )],
        other => {
            let mut message = other.to_string();
            let mut cause = std::error::Error::source(other);
            while let Some(inner) = cause {
                let _ = write!(message, ": {inner}");
                cause = inner.source();
            }
            vec![Report::new(MietteDiagnostic::new(message))]
        }
    }
}
