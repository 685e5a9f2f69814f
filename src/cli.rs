//! The command line: subcommands and flags only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Generate a NixOS cluster flake and its Nomad jobs from one inventory.
#[derive(Debug, Parser)]
#[command(name = "gen", version, about, long_about = None)]
#[command(after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

/// Shown under every `--help`.
const EXIT_CODES: &str =
    "Start with `gen init`, edit inventory.yaml, then `gen validate` and `gen render`.

Exit codes:
  0  success
  1  invalid inventory, `gen check` found drift, or a refused or failed change
  2  usage error (unknown flag or subcommand)";

#[derive(Debug, Args)]
pub struct Global {
    /// Print only errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print each file written or removed.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Largest inventory read, in bytes; a larger file is refused unread.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = crate::load::MAX_BYTES)]
    pub max_inventory_bytes: usize,
    /// Directory of template overrides, over the embedded templates file by file
    /// (default: the inventory's `cluster.templates`, else `templates/` beside the inventory).
    #[arg(long, global = true, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the inventory into the output directory.
    ///
    /// Every file is rendered and parsed in memory first; nothing is written
    /// unless all of them are valid. Files gen did not write are never touched.
    #[command(
        after_help = "Examples:\n  gen render\n  gen render --inventory cluster.yaml --out ../cluster-flake\n  gen render --force   # overwrite files edited by hand"
    )]
    Render {
        #[command(flatten)]
        target: Target,
        /// Overwrite or remove files gen wrote that were edited by hand since, and
        /// files at generated paths that gen did not write.
        #[arg(long)]
        force: bool,
    },
    /// Exit 0 when the output directory is what the inventory renders to, 1 otherwise.
    ///
    /// Lists the files that would be created, changed or removed, and those edited
    /// by hand. For CI and pre-commit hooks.
    #[command(
        after_help = "Examples:\n  gen check\n  gen check --inventory cluster.yaml --out flake"
    )]
    Check {
        #[command(flatten)]
        target: Target,
    },
    /// Show what `gen render` would change, as a unified diff.
    #[command(after_help = "Examples:\n  gen diff\n  gen diff | less -R")]
    Diff {
        #[command(flatten)]
        target: Target,
    },
    /// Check the inventory and report every problem: exit 0 valid, 1 invalid.
    ///
    /// Each diagnostic has a stable code, the key path, the file, line and column,
    /// and a hint where one exists. Warnings do not fail validation.
    #[command(
        after_help = "Examples:\n  gen validate\n  gen validate --inventory cluster.yaml --format json"
    )]
    Validate {
        #[command(flatten)]
        inventory: InventoryArg,
        /// `human` (for people, on stderr) or `json` (one object per diagnostic, on stdout).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Write a new, commented inventory for a three-node cluster, or the
    /// inventory of an existing hand-written flake repository (`--from`).
    ///
    /// `--from` reads `flake.nix` (`nixosConfigurations`, deploy-rs nodes, the
    /// nixpkgs input), each `hosts/<name>/default.nix` (the role modules it
    /// imports from `common/`, its own modules, plain option values),
    /// `common/` (the admin account, state version, time zone) and
    /// `services/*.hcl`, and lists at the top of the inventory what it could
    /// not carry over. Nothing in the repository is changed.
    #[command(
        after_help = "Examples:\n  gen init\n  gen init my-cluster\n  gen init --from ../old-cluster-flake new-cluster"
    )]
    Init {
        /// Directory to write `inventory.yaml` into (created when missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// A flake repository laid out like gen's output, to read the inventory from.
        #[arg(long, value_name = "REPO")]
        from: Option<PathBuf>,
    },
    /// List the hosts: system, address, roles, profile, managed.
    #[command(after_help = "Examples:\n  gen hosts\n  gen hosts --json | jq '.[].name'")]
    Hosts {
        #[command(flatten)]
        inventory: InventoryArg,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Explain a host: its roles and why it has them, its files, how to deploy it,
    /// and the services that may run on it.
    #[command(
        after_help = "Examples:\n  gen explain c1\n  gen explain c1 --out ../cluster-flake\n  gen explain --service postgres"
    )]
    Explain {
        #[command(flatten)]
        target: Target,
        /// Host name.
        #[arg(required_unless_present = "service", conflicts_with = "service")]
        host: Option<String>,
        /// Explain a service instead: where it can run and why, who may reach its
        /// ports, its data, its secrets, and what the task sees.
        #[arg(long, value_name = "NAME")]
        service: Option<String>,
    },
    /// Print the cluster explained (`docs/CLUSTER.md`), or its topology diagram,
    /// as `gen render` writes them into the output's `docs/`.
    #[command(
        after_help = "Examples:\n  gen docs\n  gen docs --diagram dot | dot -Tsvg > topology.svg\n  gen docs --diagram mermaid"
    )]
    Docs {
        #[command(flatten)]
        inventory: InventoryArg,
        /// Print the topology diagram alone, for Graphviz (`dot`) or Mermaid.
        #[arg(long, value_enum)]
        diagram: Option<Diagram>,
    },
    /// Say what a change of the inventory does to the running cluster, and the
    /// order to roll it out in.
    ///
    /// Compares the inventory with its version at a git revision (`--since`,
    /// default `HEAD`) or with another file (`--before`), both rendered with the
    /// same templates: which hosts change and why, which switch live and which
    /// must reboot, which jobs' allocations are replaced, which secrets change.
    /// Prints the rollout as a shell script (or JSON): quorum members one at a
    /// time, the services share's standbys before its primary, workers drained
    /// in batches, the hosts nothing depends on together.
    #[command(
        after_help = "Examples:\n  gen plan\n  gen plan --since main --format json\n  gen plan --before old-inventory.yaml\n  gen plan > rollout.sh && sh rollout.sh\n  gen plan --run"
    )]
    Plan(PlanArgs),
    /// Print the template context as JSON, for template authors.
    #[command(
        after_help = "Examples:\n  gen context\n  gen context --host c1\n  gen context --service immich"
    )]
    Context {
        #[command(flatten)]
        inventory: InventoryArg,
        /// The context of this host's templates.
        #[arg(long, conflicts_with = "service")]
        host: Option<String>,
        /// The context of this service's job template.
        #[arg(long)]
        service: Option<String>,
    },
    /// Work with the embedded templates and their overrides.
    Templates {
        #[command(subcommand)]
        command: TemplatesCommand,
        #[command(flatten)]
        inventory: InventoryArg,
    },
    /// Move the NFS services share to a standby: edit the inventory, render, and
    /// print the ordered runbook.
    ///
    /// Only `storage.services.primary`, the standby list and the generation change
    /// in the inventory; comments and layout stay. Nothing is deployed: the
    /// runbook (also `docs/NFS_FAILOVER.md` in the output) says what to run, in order.
    #[command(
        after_help = "Examples:\n  gen failover sparky\n  gen failover sparky --out ../cluster-flake"
    )]
    Failover {
        #[command(flatten)]
        target: Target,
        /// The standby that becomes the primary.
        standby: String,
    },
    /// List every secret the generated configuration reads: its sops file, the
    /// hosts that can decrypt it, what it is for and how to make it.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  gen secrets\n  gen secrets --format json\n  gen secrets check --out ../cluster-flake"
    )]
    Secrets {
        #[command(subcommand)]
        command: Option<SecretsCommand>,
        #[command(flatten)]
        inventory: InventoryArg,
        /// `human` (a list for people) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the JSON Schema of the inventory, for editors.
    #[command(after_help = "Examples:\n  gen schema > inventory.schema.json")]
    Schema,
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  gen completions bash > ~/.local/share/bash-completion/completions/gen\n  gen completions fish > ~/.config/fish/completions/gen.fish"
    )]
    Completions {
        /// Shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write every page into a directory.
    #[command(
        after_help = "Examples:\n  gen man > gen.1 && man ./gen.1\n  gen man --dir share/man/man1   # gen.1 and one page per subcommand"
    )]
    Man {
        /// Write `gen.1` and a page per subcommand (`gen-render.1`, …) here.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List the embedded templates, marking those the override directory replaces.
    #[command(
        after_help = "Examples:\n  gen templates list\n  gen templates list --templates my-templates"
    )]
    List,
    /// Copy an embedded template into the override directory to edit it.
    #[command(
        after_help = "Examples:\n  gen templates eject hosts/default.nix\n  gen templates eject services/job.hcl --templates my-templates"
    )]
    Eject {
        /// Template name, as `gen templates list` prints it.
        name: String,
    },
}

/// A diagram language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Diagram {
    /// Graphviz DOT.
    Dot,
    /// Mermaid, as GitHub and Gitea draw it.
    Mermaid,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Compare the sops files under the output directory with that list: exit 1 on a problem.
    ///
    /// Reports missing files and keys, keys nothing reads, values in plain text, and
    /// files not encrypted to exactly the admins and the hosts that read them. Reads
    /// only what sops leaves in plain text: no decryption key is needed. For CI and
    /// a pre-deploy hook.
    #[command(
        after_help = "Examples:\n  gen secrets check\n  gen secrets check --out ../cluster-flake --format json"
    )]
    Check {
        #[command(flatten)]
        target: Target,
        /// `human` (for people, on stderr) or `json` (one object per problem, on stdout).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: Target,
    /// The git revision of the inventory to compare with (default `HEAD`).
    #[arg(long, value_name = "REV", conflicts_with = "before")]
    pub since: Option<String>,
    /// The earlier inventory, as a file, instead of a git revision.
    #[arg(long, value_name = "FILE")]
    pub before: Option<PathBuf>,
    /// `human` (the rollout as a commented shell script) or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Workers deployed at once (default: a third of the workers).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub batch_size: Option<u16>,
    /// Run the rollout (with `sh`), stopping at the first step that fails.
    #[arg(long, conflicts_with = "format")]
    pub run: bool,
}

#[derive(Debug, Args)]
pub struct Target {
    #[command(flatten)]
    pub inventory: InventoryArg,
    /// Output directory.
    #[arg(long, default_value = "generated")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct InventoryArg {
    /// Inventory file.
    #[arg(long, default_value = "inventory.yaml")]
    pub inventory: PathBuf,
}
