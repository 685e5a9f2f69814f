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

pub fn print(error: &Error) {
    for report in reports(error) {
        eprintln!("{report:?}");
    }
}

fn reports(error: &Error) -> Vec<Report> {
    match error {
        Error::Invalid { source_text, problems } => problems
            .iter()
            .map(|diagnostic| {
                Report::new(Located {
                    diagnostic: diagnostic.clone(),
                    source_code: source_text.named(),
                })
            })
            .collect(),
        Error::InvalidOutput { .. } => vec![Report::new(
            MietteDiagnostic::new(error.to_string())
                .with_code("render::invalid-output")
                .with_help("the template is at fault, not the inventory: fix the template or report it"),
        )],
        Error::Conflicts { diff, .. } => vec![Report::new(
            MietteDiagnostic::new(error.to_string())
                .with_code("output::not-owned")
                .with_help(format!(
                    "keep your change by moving it into the inventory or a hand-written module, \
                     or discard it with `gen render --force`. What gen would write:\n{diff}"
                )),
        )],
        Error::UnknownTarget { .. } => vec![Report::new(
            MietteDiagnostic::new(error.to_string())
                .with_code("cli::unknown-target")
                .with_help("`gen context` without flags prints the whole cluster, hosts and services included"),
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
