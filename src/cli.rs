//! The command line: subcommands and flags only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Generate a NixOS cluster flake and its Nomad jobs from one inventory.
#[derive(Debug, Parser)]
#[command(name = "gen", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the inventory into the output directory.
    ///
    /// Every file is rendered and parsed in memory first; nothing is written
    /// unless all of them are valid.
    #[command(
        after_help = "Examples:\n  gen render\n  gen render --inventory cluster.yaml --out ../cluster-flake"
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
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
