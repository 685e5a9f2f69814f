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
mod keypath;
pub mod load;
pub mod model;
pub mod output;
pub mod render;
pub mod report;
mod suggest;
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
        Command::Validate { inventory, format } => {
            Ok(validate_command(&inventory.inventory, format))
        }
        Command::Context {
            inventory,
            host,
            service,
        } => {
            let Prepared { cluster, .. } = prepare(&inventory.inventory)?;
            println!(
                "{}",
                context_json(&cluster, host.as_deref(), service.as_deref())?
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What rendering would do to the output directory. Warnings are printed on the way.
fn plan(target: &cli::Target) -> Result<output::plan::Plan, Error> {
    let path = &target.inventory.inventory;
    let prepared = prepare(path)?;
    report::diagnostics(&prepared.source, &prepared.warnings);
    let files = render_prepared(path, &prepared)?;
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

/// `gen validate`: every diagnostic, for people or as JSON; exit 1 on errors.
fn validate_command(path: &Path, format: cli::Format) -> ExitCode {
    let (source, problems) = match prepare(path) {
        Ok(prepared) => (Some(prepared.source), prepared.warnings),
        Err(Error::Invalid {
            source_text,
            problems,
        }) => (Some(source_text), problems),
        Err(other) => {
            report::print(&other);
            return ExitCode::FAILURE;
        }
    };
    let failed = problems
        .iter()
        .any(|problem| problem.severity == diagnostic::Severity::Error);
    match (format, source) {
        (cli::Format::Json, Some(source)) => println!("{}", report::json(&source, &problems)),
        (cli::Format::Human, Some(source)) => {
            report::diagnostics(&source, &problems);
            let errors = problems
                .iter()
                .filter(|problem| problem.severity == diagnostic::Severity::Error)
                .count();
            eprintln!(
                "{}: {} error(s), {} warning(s)",
                source.name,
                errors,
                problems.len() - errors
            );
        }
        (_, None) => {}
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A loaded, valid inventory's view model, and the warnings it raised.
pub struct Prepared {
    pub source: diagnostic::Source,
    pub cluster: ClusterView,
    pub warnings: Vec<diagnostic::Diagnostic>,
}

/// Loads, validates and resolves an inventory into the view model templates read.
pub fn prepare(path: &Path) -> Result<Prepared, Error> {
    let (source, inventory) = load::load(path)?;
    prepare_loaded(source, &inventory)
}

/// [`prepare`] for inventory bytes that are already in memory.
pub fn prepare_bytes(name: &str, bytes: &[u8]) -> Result<Prepared, Error> {
    let (source, inventory) = load::from_bytes(name.to_owned(), bytes)?;
    prepare_loaded(source, &inventory)
}

fn prepare_loaded(
    source: diagnostic::Source,
    inventory: &inventory::Inventory,
) -> Result<Prepared, Error> {
    let (errors, warnings): (Vec<_>, Vec<_>) = validate::validate(inventory, &source.text)
        .into_iter()
        .partition(|problem| problem.severity == diagnostic::Severity::Error);
    if !errors.is_empty() {
        return Err(Error::Invalid {
            source_text: source,
            problems: errors.into_iter().chain(warnings).collect(),
        });
    }
    let cluster = context::build(&model::resolve(inventory));
    Ok(Prepared {
        source,
        cluster,
        warnings,
    })
}

/// Every output file of an inventory, rendered and checked, not yet written.
pub fn render_inventory(path: &Path) -> Result<Vec<RenderedFile>, Error> {
    render_prepared(path, &prepare(path)?)
}

fn render_prepared(path: &Path, prepared: &Prepared) -> Result<Vec<RenderedFile>, Error> {
    let cluster = &prepared.cluster;
    let inventory_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let files = render::render(cluster, &inventory_name)?;
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
