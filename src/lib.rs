//! flakegen: one YAML inventory of a NixOS cluster in, a deployable flake and its
//! Nomad jobs out.
//!
//! The stages run in one direction, each in its own module:
//! [`load`] → [`validate`] → [`model`] → [`context`] → [`render`] → [`check`] → [`output`].

pub mod check;
pub mod cli;
pub mod context;
pub mod diagnostic;
pub mod error;
pub mod inventory;
pub mod load;
pub mod model;
pub mod output;
pub mod render;
mod report;
pub mod validate;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::context::{ClusterView, RenderContext};
use crate::error::Error;
use crate::render::RenderedFile;

/// Entry point of the `gen` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report::print(&error);
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Render { inventory, out } => {
            let files = render_inventory(&inventory.inventory)?;
            let written = output::write(&out, &files)?;
            eprintln!(
                "Rendered {} files into {} ({} changed, {} unchanged)",
                files.len(),
                out.display(),
                written.changed.len(),
                written.unchanged.len()
            );
            Ok(())
        }
        Command::Context {
            inventory,
            host,
            service,
        } => {
            let (_, cluster) = prepare(&inventory.inventory)?;
            println!(
                "{}",
                context_json(&cluster, host.as_deref(), service.as_deref())?
            );
            Ok(())
        }
    }
}

/// Loads, validates and resolves an inventory into the view model templates read.
pub fn prepare(path: &Path) -> Result<(diagnostic::Source, ClusterView), Error> {
    let (source, inventory) = load::load(path)?;
    let invalid = |problems| Error::Invalid {
        source_text: source.clone(),
        problems,
    };
    let problems = validate::validate(&inventory);
    if problems
        .iter()
        .any(|problem| problem.severity == diagnostic::Severity::Error)
    {
        return Err(invalid(problems));
    }
    let cluster = model::resolve(&inventory).map_err(invalid)?;
    Ok((source, context::build(&cluster)))
}

/// Every output file of an inventory, rendered and checked, not yet written.
pub fn render_inventory(path: &Path) -> Result<Vec<RenderedFile>, Error> {
    let (_, cluster) = prepare(path)?;
    let inventory_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let files = render::render(&cluster, &inventory_name)?;
    check::check(&files)?;
    Ok(files)
}

/// The context one template sees, as pretty JSON.
pub fn context_json(
    cluster: &ClusterView,
    host: Option<&str>,
    service: Option<&str>,
) -> Result<String, Error> {
    let unknown = |kind, name: &str| Error::UnknownTarget {
        kind,
        name: name.to_owned(),
    };
    let context = RenderContext {
        cluster,
        host: match host {
            Some(name) => Some(
                cluster
                    .hosts
                    .iter()
                    .find(|view| view.name == name)
                    .ok_or_else(|| unknown("managed host", name))?,
            ),
            None => None,
        },
        service: match service {
            Some(name) => Some(
                cluster
                    .services
                    .iter()
                    .find(|view| view.name == name)
                    .ok_or_else(|| unknown("service", name))?,
            ),
            None => None,
        },
    };
    Ok(serde_json::to_string_pretty(&context).unwrap_or_default())
}
