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

use std::io::IsTerminal;
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
        Ok(code) => code,
        Err(error) => {
            report::print(&error);
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode, Error> {
    match command {
        Command::Render { target, force } => {
            let plan = plan(&target)?;
            let applied = output::apply(&plan, force, &mut output::RealDisk)?;
            eprintln!(
                "Rendered {}: {} written, {} removed, {} unchanged",
                target.out.display(),
                applied.written.len(),
                applied.removed.len(),
                applied.kept
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { target } => {
            let plan = plan(&target)?;
            for entry in plan.changes() {
                println!("{}: {}", describe(entry.action), entry.path);
            }
            if plan.is_current() {
                eprintln!("{} is up to date", target.out.display());
                Ok(ExitCode::SUCCESS)
            } else {
                if plan.changes().next().is_none() {
                    println!("out of date: {}", output::manifest::MANIFEST);
                }
                eprintln!(
                    "{} is not what the inventory renders to: run `gen render`",
                    target.out.display()
                );
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Diff { target } => {
            let plan = plan(&target)?;
            let diff = output::diff::unified(plan.changes());
            let coloured =
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            print!(
                "{}",
                if coloured {
                    output::diff::colour(&diff)
                } else {
                    diff
                }
            );
            Ok(ExitCode::SUCCESS)
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
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What rendering would do to the output directory.
fn plan(target: &cli::Target) -> Result<output::plan::Plan, Error> {
    let files = render_inventory(&target.inventory.inventory)?;
    output::plan::Plan::build(&target.out, &files)
}

fn describe(action: output::plan::Action) -> &'static str {
    use output::plan::{Action, Conflict};
    match action {
        Action::Create => "missing",
        Action::Update => "changed",
        Action::Remove => "stale",
        Action::Keep => "unchanged",
        Action::Refuse(Conflict::EditedByHand) => "edited by hand",
        Action::Refuse(Conflict::NotWrittenByGen) => "not written by gen",
        Action::Refuse(Conflict::NotAFile) => "not a file",
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
