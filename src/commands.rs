//! The `gen` commands: each puts the stages together and prints for people.
//! Library code below returns typed errors; they are printed here, once.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, Format, Global, Target, TemplatesCommand};
use crate::context::RenderContext;
use crate::diagnostic::Severity;
use crate::error::Error;
use crate::output::plan::{Action, Conflict, Plan};
use crate::render::Templates;
use crate::{Prepared, explain, init, output, prepare, render_prepared, report, template_dir};

/// Entry point of the `gen` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command, &cli.global) {
        Ok(code) => code,
        Err(error) => {
            report::print(&error);
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, global: &Global) -> Result<ExitCode, Error> {
    match command {
        Command::Render { target, force } => render(&target, force, global),
        Command::Check { target } => check(&target, global),
        Command::Diff { target } => {
            let plan = plan(&target, global)?;
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
        Command::Validate { inventory, format } => Ok(validate(&inventory.inventory, format)),
        Command::Init { dir } => {
            let path = init::write(&dir)?;
            if !global.quiet {
                eprintln!(
                    "Wrote {}. Next: edit it, then `gen validate` and `gen render`.",
                    path.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Hosts { inventory, json } => {
            let prepared = prepare(&inventory.inventory)?;
            let hosts = explain::hosts(&prepared);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&hosts).unwrap_or_default()
                );
            } else {
                print!("{}", explain::hosts_table(&hosts));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { inventory, host } => {
            let prepared = prepare(&inventory.inventory)?;
            print!("{}", explain::explain(&prepared, &host)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Context {
            inventory,
            host,
            service,
        } => {
            let prepared = prepare(&inventory.inventory)?;
            println!(
                "{}",
                context_json(&prepared, host.as_deref(), service.as_deref())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Templates(command) => templates(command, global),
        Command::Schema => {
            println!("{}", schema());
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "gen", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            man()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn templates(command: TemplatesCommand, global: &Global) -> Result<ExitCode, Error> {
    match command {
        TemplatesCommand::List => {
            let templates = Templates::load(global.templates.as_deref())?;
            let overridden: Vec<(&str, &Path)> = templates.overridden().collect();
            for (name, _) in crate::render::templates::EMBEDDED {
                match overridden.iter().find(|(known, _)| known == name) {
                    Some((_, path)) => println!("{name}\t(overridden by {})", path.display()),
                    None => println!("{name}"),
                }
            }
        }
        TemplatesCommand::Eject { name } => {
            let dir = global
                .templates
                .clone()
                .unwrap_or_else(|| "templates".into());
            let path = init::eject(&dir, &name)?;
            if !global.quiet {
                eprintln!(
                    "Wrote {}; render with `--templates {}` to use it.",
                    path.display(),
                    dir.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn man() -> Result<(), Error> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|source| Error::Write {
            path: "standard output".into(),
            source,
        })?;
    let _ = std::io::stdout().write_all(&page);
    Ok(())
}

/// The JSON Schema of the inventory, as committed in `inventory.schema.json`.
pub fn schema() -> String {
    serde_json::to_string_pretty(&crate::inventory::schema()).unwrap_or_default()
}

fn render(target: &Target, force: bool, global: &Global) -> Result<ExitCode, Error> {
    let plan = plan(target, global)?;
    let applied = output::apply(&plan, force, &mut output::RealDisk)?;
    if global.verbose {
        for path in &applied.written {
            eprintln!("wrote {path}");
        }
        for path in &applied.removed {
            eprintln!("removed {path}");
        }
    }
    if !global.quiet {
        eprintln!(
            "Rendered {}: {} written, {} removed, {} unchanged",
            target.out.display(),
            applied.written.len(),
            applied.removed.len(),
            applied.kept
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check(target: &Target, global: &Global) -> Result<ExitCode, Error> {
    let plan = plan(target, global)?;
    for entry in plan.changes() {
        println!("{}: {}", describe(entry.action), entry.path);
    }
    if plan.is_current() {
        if !global.quiet {
            eprintln!("{} is up to date", target.out.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if plan.changes().next().is_none() {
        println!("out of date: {}", output::manifest::MANIFEST);
    }
    if !global.quiet {
        eprintln!(
            "{} is not what the inventory renders to: run `gen render`",
            target.out.display()
        );
    }
    Ok(ExitCode::FAILURE)
}

/// What rendering would do to the output directory. Warnings are printed on the way.
fn plan(target: &Target, global: &Global) -> Result<Plan, Error> {
    let path = &target.inventory.inventory;
    let prepared = prepare(path)?;
    if !global.quiet {
        report::diagnostics(&prepared.source, &prepared.warnings);
    }
    let overrides = template_dir(global.templates.as_deref(), path, &prepared.inventory);
    let templates = Templates::load(overrides.as_deref())?;
    let files = render_prepared(path, &prepared, &templates)?;
    Plan::build(&target.out, &files)
}

fn describe(action: Action) -> &'static str {
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
fn validate(path: &Path, format: Format) -> ExitCode {
    let (source, problems) = match prepare(path) {
        Ok(prepared) => (prepared.source, prepared.warnings),
        Err(Error::Invalid {
            source_text,
            problems,
        }) => (source_text, problems),
        Err(other) => {
            report::print(&other);
            return ExitCode::FAILURE;
        }
    };
    let errors = problems
        .iter()
        .filter(|problem| problem.severity == Severity::Error)
        .count();
    match format {
        Format::Json => println!("{}", report::json(&source, &problems)),
        Format::Human => {
            report::diagnostics(&source, &problems);
            eprintln!(
                "{}: {} error(s), {} warning(s)",
                source.name,
                errors,
                problems.len() - errors
            );
        }
    }
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The context one template sees, as pretty JSON.
pub fn context_json(
    prepared: &Prepared,
    host: Option<&str>,
    service: Option<&str>,
) -> Result<String, Error> {
    let cluster = &prepared.cluster;
    let host = match host {
        Some(name) => Some(
            cluster
                .hosts
                .iter()
                .find(|view| view.name == name)
                .ok_or_else(|| {
                    explain::unknown(
                        "managed host",
                        name,
                        cluster.hosts.iter().map(|view| view.name.as_str()),
                    )
                })?,
        ),
        None => None,
    };
    let service = match service {
        Some(name) => Some(
            cluster
                .services
                .iter()
                .find(|view| view.name == name)
                .ok_or_else(|| {
                    explain::unknown(
                        "service",
                        name,
                        cluster.services.iter().map(|view| view.name.as_str()),
                    )
                })?,
        ),
        None => None,
    };
    let context = RenderContext {
        cluster,
        host,
        service,
    };
    Ok(serde_json::to_string_pretty(&context).unwrap_or_default())
}
