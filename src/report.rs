//! Printing errors for people: every error goes through miette here, once.

use std::fmt::Write;

use miette::{MietteDiagnostic, Report};

use crate::diagnostic::Located;
use crate::error::Error;

pub fn print(error: &Error) {
    for report in reports(error) {
        eprintln!("{report:?}");
    }
}

fn reports(error: &Error) -> Vec<Report> {
    match error {
        Error::Load { source_text, error } => vec![serde_saphyr::miette::to_miette_report(
            error,
            &source_text.text,
            &source_text.name,
        )],
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
