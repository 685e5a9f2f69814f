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
        inventory: InventoryArg,
        /// Output directory.
        #[arg(long, default_value = "generated")]
        out: PathBuf,
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

#[derive(Debug, Args)]
pub struct InventoryArg {
    /// Inventory file.
    #[arg(long, default_value = "inventory.yaml")]
    pub inventory: PathBuf,
}
