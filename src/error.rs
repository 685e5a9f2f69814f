//! The errors a run can end with. Each names the file, template or inventory
//! place it is about; the CLI renders them with miette.

use std::path::PathBuf;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::Source;

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

    #[error("No inventory at `{}`", path.display())]
    NoInventory { path: PathBuf },

    #[error("`{host}` is not a standby of the services share: only a standby has its data")]
    NotAStandby { host: String, hint: String },

    #[error("The inventory has no services share (`storage.services`) to move")]
    NoServicesShare,

    #[error("`{}` is not a directory", path.display())]
    OutNotADirectory { path: PathBuf },

    #[error("The manifest `{}` is not one gen wrote: {reason}", path.display())]
    CorruptManifest { path: PathBuf, reason: String },

    #[error("Cannot write to standard output")]
    Stdout(#[source] std::io::Error),

    #[error("Cannot serialise {what}")]
    Serialize {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },

    #[error("Cannot read the inventory at `{revision}`: {message}")]
    Previous { revision: String, message: String },

    #[error("`{}` is not what the inventory renders to", path.display())]
    OutOfDate { path: PathBuf },

    #[error("The rollout stopped at a failed step ({status})")]
    RolloutFailed { status: String },

    #[error("The inventory's JSON Schema does not compile: {0}")]
    Schema(String),
}

impl Error {
    /// The diagnostic code the error is reported with.
    pub fn code(&self) -> Code {
        match self {
            Self::Read { .. } => Code::CliRead,
            Self::Invalid { problems, .. } => problems
                .first()
                .map_or(Code::CliInternal, |problem| problem.code),
            Self::Template { .. } => Code::RenderTemplate,
            Self::InvalidOutput { .. } => Code::RenderInvalidOutput,
            Self::UnsafePath { .. } | Self::Write { .. } | Self::Stdout(_) => Code::CliWrite,
            Self::Conflicts { .. } => Code::OutputNotOwned,
            Self::UnknownTemplate { .. } => Code::CliUnknownTemplate,
            Self::Exists { .. } => Code::CliExists,
            Self::UnknownTarget { .. } => Code::CliUnknownTarget,
            Self::NoInventory { .. } => Code::CliNoInventory,
            Self::NotAStandby { .. } => Code::CliNotAStandby,
            Self::NoServicesShare => Code::CliNoServicesShare,
            Self::OutNotADirectory { .. } => Code::OutputNotADirectory,
            Self::CorruptManifest { .. } => Code::OutputCorruptManifest,
            Self::Previous { .. } => Code::CliPrevious,
            Self::OutOfDate { .. } => Code::CliOutOfDate,
            Self::RolloutFailed { .. } => Code::CliRolloutFailed,
            Self::Serialize { .. } | Self::Schema(_) => Code::CliInternal,
        }
    }

    /// How to fix it, when gen can tell.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::UnknownTemplate { hint, .. } => {
                Some(format!("{hint}; `gen templates list` shows them all"))
            }
            Self::UnknownTarget { hint, .. } | Self::NotAStandby { hint, .. } => Some(hint.clone()),
            Self::InvalidOutput { template, .. } => Some(format!(
                "the template `{template}` is at fault, not the inventory: fix it, or report it"
            )),
            Self::Conflicts { diff, .. } => Some(format!(
                "keep your change by moving it into the inventory or a hand-written module, \
                 or discard it with `gen render --force`. What gen would write:\n{diff}"
            )),
            other => other.code().hint().map(str::to_owned),
        }
    }

    /// The message with every underlying cause, `: `-separated.
    pub fn with_causes(&self) -> String {
        let mut message = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(inner) = cause {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            cause = inner.source();
        }
        message
    }
}
