//! Printing errors for people: every error goes through miette here, once.

use miette::{MietteDiagnostic, Report};

use crate::diagnostic::{Diagnostic, Located};
use crate::error::Error;
use crate::source::Source;

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
pub fn json(source: &Source, diagnostics: &[Diagnostic]) -> Result<String, Error> {
    let objects: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|diagnostic| {
            let (line, column) = diagnostic
                .at
                .map(|span| source.line_column(span.offset()))
                .map_or((None, None), |(line, column)| (Some(line), Some(column)));
            serde_json::json!({
                "severity": diagnostic.severity.as_str(),
                "code": diagnostic.code.as_str(),
                "message": diagnostic.message,
                "path": diagnostic.path,
                "file": source.name,
                "line": line,
                "column": column,
                "hint": diagnostic.help,
            })
        })
        .collect();
    serde_json::to_string_pretty(&objects).map_err(|source| Error::Serialize {
        what: "the diagnostics",
        source,
    })
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
    let mut diagnostic = MietteDiagnostic::new(error.to_string()).with_code(error.code().as_str());
    if let Some(hint) = error.hint() {
        diagnostic = diagnostic.with_help(hint);
    }
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
        other => {
            let mut diagnostic =
                MietteDiagnostic::new(other.with_causes()).with_code(other.code().as_str());
            if let Some(hint) = other.hint() {
                diagnostic = diagnostic.with_help(hint);
            }
            vec![Report::new(diagnostic)]
        }
    }
}

/// An error that is not about a place in the inventory, in the JSON form of
/// diagnostics, so a tool reading `--format json` always gets JSON.
pub fn error_json(file: &str, error: &Error) -> Result<String, Error> {
    let object = serde_json::json!([{
        "severity": "error",
        "code": error.code().as_str(),
        "message": error.with_causes(),
        "path": "",
        "file": file,
        "line": null,
        "column": null,
        "hint": error.hint(),
    }]);
    serde_json::to_string_pretty(&object).map_err(|source| Error::Serialize {
        what: "the diagnostics",
        source,
    })
}

/// `text` with its control characters written as escapes (`\n`, `\u{1b}`), so
/// free text from an inventory stays on one line of a comment or a listing.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
