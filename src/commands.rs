//! The `gen` commands: each puts the stages together and prints for people.
//! Library code below returns typed errors; they are printed here, once.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{
    Cli, Command, Diagram, Format, Global, InventoryArg, PlanArgs, SecretsCommand, Target,
    TemplatesCommand,
};
use crate::context::RenderContext;
use crate::diagnostic::Severity;
use crate::error::Error;
use crate::output::plan::{Action, Conflict, Plan};
use crate::output::reuse::{Known, Reuse};
use crate::render::{self, Templates};
use crate::{
    Prepared, adopt, explain, failover, init, inventory, inventory_name, load, output, paths,
    prepare_within, render_cluster, render_cluster_reusing, report, rollout, sops, template_dir,
    template_overrides,
};

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

/// Writes `text` to standard output. A reader that went away (`gen hosts | head -1`)
/// has all it wanted: that ends the output quietly, never in a panic.
fn print_out(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.map_err(Error::Stdout),
    }
}

fn to_json(what: &'static str, value: &impl serde::Serialize) -> Result<String, Error> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .map_err(|source| Error::Serialize { what, source })
}

fn run(command: Command, global: &Global) -> Result<ExitCode, Error> {
    match command {
        Command::Render { target, force } => render(&target, force, global),
        Command::Check { target } => check(&target, global),
        Command::Diff { target } => diff(&target, global),
        Command::Validate { inventory, format } => validate(&inventory.inventory, format, global),
        Command::Init { dir, from } => init_inventory(&dir, from.as_deref(), global),
        Command::Hosts { inventory, json } => hosts(&inventory, json, global),
        Command::Docs { inventory, diagram } => {
            docs(&inventory.inventory, diagram, global)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain {
            target,
            host,
            service,
        } => {
            let prepared = prepare_within(&target.inventory.inventory, global.max_inventory_bytes)?;
            print_out(&match service {
                Some(service) => explain::service::explain(&prepared, &service)?,
                // The command line requires a host when no service is named.
                None => explain::explain(&prepared, &host.unwrap_or_default(), &target.out)?,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan(args) => rollout(&args, global),
        Command::Context {
            inventory,
            host,
            service,
        } => {
            let prepared = prepare_within(&inventory.inventory, global.max_inventory_bytes)?;
            print_out(&context_json(
                &prepared,
                host.as_deref(),
                service.as_deref(),
            )?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Templates { command, inventory } => templates(command, &inventory, global),
        Command::Failover { target, standby } => failover(&target, &standby, global),
        Command::Secrets {
            command,
            inventory,
            format,
        } => secrets(command, &inventory, format, global),
        Command::Schema => {
            print_out(&format!("{}\n", inventory::schema_text()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "gen", &mut script);
            print_out(&String::from_utf8_lossy(&script))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir } => {
            man(dir.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `gen failover`: the edited inventory is validated and rendered before either
/// is written; the output first, so a failure leaves the inventory as it was.
fn failover(target: &Target, standby: &str, global: &Global) -> Result<ExitCode, Error> {
    let path = &target.inventory.inventory;
    let loaded = load::load(path, global.max_inventory_bytes)?;
    // The text and the places of its values, for the edit after validation.
    let (source, places) = (loaded.source.clone(), loaded.places.clone());
    let before = crate::prepare_loaded(loaded)?;
    let edited = failover::edit(&source.text, &places, &before.inventory, standby)?;
    let after = crate::prepare_bytes(&source.name, edited.as_bytes())?;
    let templates = templates_for(path, after.inventory.cluster.templates.as_deref(), global)?;
    let files = render_cluster(path, &after.cluster, &templates)?;
    let plan = Plan::build(&target.out, files)?;
    let applied = output::apply(&plan, false, &mut output::RealDisk)?;
    output::replace_file(path, edited.as_bytes())?;
    let mut view = before.cluster;
    if let Some(nfs) = view.nfs.as_mut() {
        nfs.standbys.retain(|peer| peer.name == standby);
    }
    let runbook = render::render_cluster_file(&view, paths::NFS_RUNBOOK, "inventory", &templates)?;
    if !global.quiet {
        eprintln!(
            "{}: the share moves to {standby}. Rendered {}: {} written, {} removed, {} unchanged",
            path.display(),
            target.out.display(),
            applied.written.len(),
            applied.removed.len(),
            applied.kept
        );
    }
    let body = runbook
        .contents
        .split_once("-->\n\n")
        .map_or(runbook.contents.as_str(), |(_, body)| body);
    print_out(body)?;
    Ok(ExitCode::SUCCESS)
}

fn init_inventory(dir: &Path, from: Option<&Path>, global: &Global) -> Result<ExitCode, Error> {
    let Some(repository) = from else {
        let path = init::write(dir)?;
        if !global.quiet {
            eprintln!(
                "Wrote {}. Next: edit it, then `gen validate` and `gen render`.",
                path.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    let adopted = adopt::adopt(repository)?;
    let path = init::write_text(dir, &adopted.text)?;
    if !global.quiet {
        eprintln!(
            "Wrote {} from {}; {} thing(s) could not be carried over, listed at its top. \
             Next: check it, then `gen validate` and `gen render`.",
            path.display(),
            repository.display(),
            adopted.unmapped.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn hosts(inventory: &InventoryArg, json: bool, global: &Global) -> Result<ExitCode, Error> {
    let prepared = prepare_within(&inventory.inventory, global.max_inventory_bytes)?;
    let hosts = explain::hosts(&prepared);
    print_out(&if json {
        to_json("the host list", &hosts)?
    } else {
        explain::hosts_table(&hosts)
    })?;
    Ok(ExitCode::SUCCESS)
}

fn secrets(
    command: Option<SecretsCommand>,
    inventory: &InventoryArg,
    format: Format,
    global: &Global,
) -> Result<ExitCode, Error> {
    let Some(SecretsCommand::Check { target, format }) = command else {
        let prepared = prepare_within(&inventory.inventory, global.max_inventory_bytes)?;
        let catalogue = &prepared.cluster.secrets;
        print_out(&match format {
            Format::Json => to_json("the secrets list", catalogue)?,
            Format::Human => explain::secrets(catalogue),
        })?;
        return Ok(ExitCode::SUCCESS);
    };
    let prepared = prepare_within(&target.inventory.inventory, global.max_inventory_bytes)?;
    let findings = sops::check(&target.out, &prepared.cluster.secrets);
    let errors = findings.iter().filter(|finding| finding.is_error()).count();
    match format {
        Format::Json => print_out(&to_json("the findings", &findings)?)?,
        Format::Human => {
            for finding in &findings {
                eprintln!(
                    "{}: {}: {} [{}]",
                    finding.severity, finding.file, finding.message, finding.code
                );
            }
            if !global.quiet {
                eprintln!(
                    "{}: {errors} error(s), {} warning(s)",
                    target.out.join("secrets").display(),
                    findings.len() - errors
                );
            }
        }
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The inventory, for commands that need only its settings: none when there is
/// no inventory yet.
fn settings_of(path: &Path, max_bytes: usize) -> Result<Option<inventory::Inventory>, Error> {
    match load::load(path, max_bytes) {
        Ok(loaded) => Ok(Some(loaded.inventory)),
        Err(Error::NoInventory { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

fn templates(
    command: TemplatesCommand,
    inventory: &InventoryArg,
    global: &Global,
) -> Result<ExitCode, Error> {
    let path = &inventory.inventory;
    let settings = settings_of(path, global.max_inventory_bytes)?;
    let configured = settings
        .as_ref()
        .and_then(|inventory| inventory.cluster.templates.as_deref());
    let flag = global.templates.as_deref();
    match command {
        TemplatesCommand::List => {
            let templates = templates_for(path, configured, global)?;
            let mut listing = String::new();
            for (name, _) in crate::render::templates::embedded() {
                let _ = match (
                    templates.override_of(name),
                    templates.unedited_copy_of(name),
                ) {
                    (Some(path), _) => {
                        writeln!(listing, "{name}\t(overridden by {})", path.display())
                    }
                    (None, Some(path)) => {
                        writeln!(
                            listing,
                            "{name}\t(ejected to {}, not edited yet)",
                            path.display()
                        )
                    }
                    (None, None) => writeln!(listing, "{name}"),
                };
            }
            print_out(&listing)?;
        }
        TemplatesCommand::Eject { name } => {
            let dir = template_dir(flag, path, configured);
            let path = init::eject(&dir, &name)?;
            if !global.quiet {
                eprintln!(
                    "Wrote {}; every command now renders with it.",
                    path.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The manual: `gen.1` on standard output, or every page (one per subcommand) into `dir`.
fn man(dir: Option<&Path>) -> Result<(), Error> {
    let failed = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Write { path, source }
    };
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(failed(dir))?;
        return clap_mangen::generate_to(Cli::command(), dir).map_err(failed(dir));
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(failed(Path::new("the manual page")))?;
    print_out(&String::from_utf8_lossy(&page))
}

fn render(target: &Target, force: bool, global: &Global) -> Result<ExitCode, Error> {
    let (plan, known) = plan(target, global)?;
    let applied = output::apply(&plan, force, &mut output::RealDisk)?;
    Reuse::save(&target.out, plan.produced(), known);
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

fn diff(target: &Target, global: &Global) -> Result<ExitCode, Error> {
    let (plan, _) = plan(target, global)?;
    let diff = output::diff::unified(plan.changes());
    let coloured = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    print_out(&if coloured {
        output::diff::colour(&diff)
    } else {
        diff
    })?;
    Ok(ExitCode::SUCCESS)
}

fn check(target: &Target, global: &Global) -> Result<ExitCode, Error> {
    let (plan, _) = plan(target, global)?;
    let mut listing = String::new();
    for entry in plan.changes() {
        let _ = writeln!(listing, "{}: {}", describe(entry.action), entry.path);
    }
    if plan.is_current() {
        if !global.quiet {
            eprintln!("{} is up to date", target.out.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if plan.changes().next().is_none() {
        let _ = writeln!(listing, "out of date: {}", output::manifest::MANIFEST);
    }
    print_out(&listing)?;
    if !global.quiet {
        eprintln!(
            "{} is not what the inventory renders to: run `gen render`",
            target.out.display()
        );
    }
    Ok(ExitCode::FAILURE)
}

/// What rendering would do to the output directory, and the inventory it
/// was planned from, when a later run may trust it unread. Warnings are
/// printed on the way.
fn plan(target: &Target, global: &Global) -> Result<(Plan, Option<Known>), Error> {
    let path = &target.inventory.inventory;
    let source = load::source_of(path, global.max_inventory_bytes)?;
    let reuse = Reuse::of(&target.out);
    if let Some(plan) = unchanged_plan(&reuse, target, &source.text, global) {
        if global.verbose {
            eprintln!(
                "{}: unchanged since the last render, with the same templates: not parsed again",
                path.display()
            );
        }
        return Ok((plan, reuse.known().cloned()));
    }
    let prepared = crate::prepare_loaded(load::quickly(source)?)?;
    if !global.quiet {
        report::diagnostics(&prepared.source, &prepared.warnings);
    }
    let configured = prepared.inventory.cluster.templates.clone();
    let templates = templates_for(path, configured.as_deref(), global)?;
    // Warnings are printed by a run that reads the inventory: one that warns is always read.
    let known = prepared.warnings.is_empty().then(|| Known {
        made: made_of(path, &prepared.source.text, &templates),
        configured_templates: configured,
    });
    let files = render_cluster_reusing(path, prepared.into_view(), &templates, &reuse)?;
    Ok((Plan::build(&target.out, files)?, known))
}

/// The plan of the last render into the output directory, its files read
/// back, when the inventory's text and the templates it names made that
/// render and the plan finds nothing to do. Anything else (a change, a file
/// edited or removed, a manifest that owns other files than the cache lists)
/// is left to a full render, which reports its own errors.
fn unchanged_plan(reuse: &Reuse, target: &Target, text: &str, global: &Global) -> Option<Plan> {
    let path = &target.inventory.inventory;
    let configured = reuse.known()?.configured_templates.as_deref();
    let templates = templates_for(path, configured, global).ok()?;
    let files = reuse.read_back_all(&made_of(path, text, &templates))?;
    Plan::build(&target.out, files)
        .ok()
        .filter(Plan::is_current)
}

/// The templates a render of the inventory at `path` uses, `configured`
/// being its `cluster.templates`.
fn templates_for(
    path: &Path,
    configured: Option<&str>,
    global: &Global,
) -> Result<Templates, Error> {
    let overrides = template_overrides(global.templates.as_deref(), path, configured);
    Templates::load(overrides.as_deref())
}

/// [`Reuse::made`] of a render of the inventory at `path`, which reads `text`.
fn made_of(path: &Path, text: &str, templates: &Templates) -> String {
    Reuse::made(&inventory_name(path), text, templates.overrides_digest())
}

/// `gen plan`: the rollout printed, or run.
fn rollout(args: &PlanArgs, global: &Global) -> Result<ExitCode, Error> {
    let target = &args.target;
    let (plan, current, compared) = compare(args, global)?;
    let header = format!(
        "Rollout of {} since {compared}, by `gen plan`.",
        target.inventory.inventory.display()
    );
    let script = plan.script(&header);
    if args.run {
        if !current {
            return Err(Error::OutOfDate {
                path: target.out.clone(),
            });
        }
        return run_script(&script);
    }
    if !current && !global.quiet {
        eprintln!(
            "warning: {} is not what the inventory renders to: run `gen render` before deploying",
            target.out.display()
        );
    }
    print_out(&match args.format {
        Format::Human => script,
        Format::Json => to_json(
            "the rollout plan",
            &serde_json::json!({ "compared": compared, "plan": plan, "script": script }),
        )?,
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Both inventories rendered with the same templates and compared: the plan,
/// whether the output directory holds the new render, and what was compared.
fn compare(
    args: &PlanArgs,
    global: &Global,
) -> Result<(rollout::RolloutPlan, bool, String), Error> {
    let path = &args.target.inventory.inventory;
    let (after, earlier) = rayon::join(
        || prepare_within(path, global.max_inventory_bytes),
        || earlier(args, global),
    );
    let (mut after, (mut before, compared)) = (after?, earlier?);
    let new_values = std::mem::take(&mut after.values);
    let old_values = std::mem::take(&mut before.values);
    if !global.quiet {
        report::diagnostics(&after.source, &after.warnings);
    }
    let templates = templates_for(path, after.inventory.cluster.templates.as_deref(), global)?;
    // What the two renders share is read back from the output directory, as
    // an up-to-date render would, instead of being laid out twice.
    let reuse = Reuse::shared(&args.target.out);
    let (new_files, old_files) = rayon::join(
        || render_cluster_reusing(path, &after.cluster, &templates, &reuse),
        || render_cluster_reusing(path, &before.cluster, &templates, &reuse),
    );
    let (new_files, old_files) = (new_files?, old_files?);
    let flake = args.target.out.display().to_string();
    let settings = rollout::batches::Settings {
        flake: &flake,
        worker_batch: args
            .batch_size
            .map_or_else(|| rollout::default_worker_batch(&after.model), usize::from),
    };
    let (plan, current) = rayon::join(
        || {
            rollout::plan(
                &rollout::Rendered {
                    model: &before.model,
                    files: &old_files,
                    values: &old_values,
                },
                &rollout::Rendered {
                    model: &after.model,
                    files: &new_files,
                    values: &new_values,
                },
                &settings,
            )
        },
        || Plan::build(&args.target.out, new_files.clone()),
    );
    Ok((plan, current?.is_current(), compared))
}

/// The inventory `gen plan` compares with, and how to name it.
fn earlier(args: &PlanArgs, global: &Global) -> Result<(Prepared, String), Error> {
    if let Some(file) = &args.before {
        return Ok((
            prepare_within(file, global.max_inventory_bytes)?,
            file.display().to_string(),
        ));
    }
    let path = &args.target.inventory.inventory;
    let revision = args.since.as_deref().unwrap_or("HEAD");
    let bytes = load::revision::at_revision(path, revision)?;
    let name = format!("{} at {revision}", path.display());
    Ok((crate::prepare_bytes(&name, &bytes)?, revision.to_owned()))
}

/// Runs the rollout script with `sh`, its output on the terminal.
fn run_script(script: &str) -> Result<ExitCode, Error> {
    let file = tempfile::Builder::new()
        .prefix("gen-rollout-")
        .suffix(".sh")
        .tempfile()
        .map_err(|source| Error::Write {
            path: std::env::temp_dir(),
            source,
        })?;
    std::fs::write(file.path(), script).map_err(|source| Error::Write {
        path: file.path().to_owned(),
        source,
    })?;
    let status = std::process::Command::new("sh")
        .arg(file.path())
        .status()
        .map_err(|source| Error::Read {
            path: "sh".into(),
            source,
        })?;
    if status.success() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Error::RolloutFailed {
            status: status.to_string(),
        })
    }
}

/// `gen docs`: the file `gen render` writes, by the same template, on stdout.
fn docs(path: &Path, diagram: Option<Diagram>, global: &Global) -> Result<(), Error> {
    let prepared = prepare_within(path, global.max_inventory_bytes)?;
    let templates = templates_for(
        path,
        prepared.inventory.cluster.templates.as_deref(),
        global,
    )?;
    let file = match diagram {
        None => paths::CLUSTER_DOC,
        Some(Diagram::Dot) => paths::TOPOLOGY_DOT,
        Some(Diagram::Mermaid) => paths::TOPOLOGY_MERMAID,
    };
    let rendered = render::render_cluster_file(
        &prepared.cluster,
        file,
        &crate::inventory_name(path),
        &templates,
    )?;
    print_out(&rendered.contents)
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
/// `--quiet` leaves out warnings and the summary.
fn validate(path: &Path, format: Format, global: &Global) -> Result<ExitCode, Error> {
    // The templates the inventory names are part of what renders: they load too.
    let prepared = prepare_within(path, global.max_inventory_bytes).and_then(|prepared| {
        let overrides = template_overrides(
            global.templates.as_deref(),
            path,
            prepared.inventory.cluster.templates.as_deref(),
        );
        Templates::compiled(overrides.as_deref()).map(|_| prepared)
    });
    let (source, mut problems) = match prepared {
        Ok(prepared) => (prepared.source, prepared.warnings),
        Err(Error::Invalid {
            source_text,
            problems,
        }) => (source_text, problems),
        Err(other) if format == Format::Json => {
            print_out(&(report::error_json(&path.display().to_string(), &other)? + "\n"))?;
            return Ok(ExitCode::FAILURE);
        }
        Err(other) => return Err(other),
    };
    if global.quiet {
        problems.retain(|problem| problem.severity == Severity::Error);
    }
    let errors = problems
        .iter()
        .filter(|problem| problem.severity == Severity::Error)
        .count();
    match format {
        Format::Json => print_out(&(report::json(&source, &problems)? + "\n"))?,
        Format::Human => {
            report::diagnostics(&source, &problems);
            if !global.quiet {
                eprintln!(
                    "{}: {} error(s), {} warning(s)",
                    source.name,
                    errors,
                    problems.len() - errors
                );
            }
        }
    }
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The context one template sees, as pretty JSON.
pub fn context_json(
    prepared: &Prepared,
    host: Option<&str>,
    service: Option<&str>,
) -> Result<String, Error> {
    let cluster = &prepared.cluster;
    let find_host = |name: &str| {
        let hosts = || cluster.hosts.iter();
        hosts().find(|view| view.name == name).ok_or_else(|| {
            explain::unknown("managed host", name, hosts().map(|view| view.name.as_str()))
        })
    };
    let find_service = |name: &str| {
        let services = || cluster.services.iter();
        services().find(|view| view.name == name).ok_or_else(|| {
            explain::unknown("service", name, services().map(|view| view.name.as_str()))
        })
    };
    let context = RenderContext {
        cluster,
        host: host.map(find_host).transpose()?,
        service: service.map(find_service).transpose()?,
    };
    to_json("the template context", &context)
}
