//! The errors a run can end with. Each names the file, template or inventory
//! place it is about; the CLI renders them with miette.

use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, Source};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("The inventory has {} problem(s)", problems.len())]
    Invalid {
        source_text: Source,
        problems: Vec<Diagnostic>,
    },

    #[error("Template `{template}` failed for {target}: {message}")]
    Template {
        template: String,
        target: String,
        message: String,
    },

    #[error("Template `{template}` produced invalid output `{path}` for {target}: {message}")]
    InvalidOutput {
        path: String,
        template: String,
        target: String,
        message: String,
        /// The text that failed to parse, to show around the reported line.
        excerpt: String,
    },

    #[error("Refusing to write `{path}`: {reason}")]
    UnsafePath { path: String, reason: &'static str },

    #[error("Cannot write `{}`", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("Refusing to overwrite or remove {} file(s) gen does not own: {}", files.len(), files.iter().map(|(path, reason)| format!("`{path}` {reason}")).collect::<Vec<_>>().join("; "))]
    Conflicts {
        /// Path and why it is refused.
        files: Vec<(String, &'static str)>,
        /// What rendering would change in them.
        diff: String,
    },

    #[error("No embedded template is called `{name}`")]
    UnknownTemplate { name: String, hint: String },

    #[error("`{}` exists already: gen does not overwrite it", path.display())]
    Exists { path: PathBuf },

    #[error("No {kind} named `{name}` in the inventory")]
    UnknownTarget {
        kind: &'static str,
        name: String,
        /// "did you mean …?", or what exists.
        hint: String,
    },
}
