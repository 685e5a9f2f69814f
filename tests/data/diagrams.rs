//! The topology diagrams, read by their own tools: Graphviz renders every
//! `topology.dot` to SVG, and Mermaid's parser (under node, from the npm
//! modules in `$MERMAID_MODULES`, by default `target/mermaid-check/node_modules`,
//! where `.ci/run` installs them) reads every `topology.mmd` and the diagram in
//! `CLUSTER.md`.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use crate::support::root;

pub fn trials() -> Vec<Trial> {
    let mut inventories = vec![
        ("example".to_owned(), root().join("inventory.yaml")),
        ("starter".to_owned(), root().join("src/starter.yaml")),
    ];
    inventories.extend(crate::valid_fixtures());
    let mut trials = Vec::new();
    for (name, inventory) in inventories {
        let dot_inventory = inventory.clone();
        trials.push(crate::needing(
            &["dot"],
            format!("diagrams::dot::{name}"),
            move || graphviz_renders(&dot_inventory),
        ));
        trials.push(crate::lacking(
            missing_mermaid(),
            format!("diagrams::mermaid::{name}"),
            move || mermaid_parses(&inventory),
        ));
    }
    trials
}

fn modules() -> PathBuf {
    std::env::var_os("MERMAID_MODULES").map_or_else(
        || root().join("target/mermaid-check/node_modules"),
        PathBuf::from,
    )
}

fn missing_mermaid() -> Vec<String> {
    let mut missing = Vec::new();
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        missing.push("node".to_owned());
    }
    for module in ["mermaid", "jsdom"] {
        if !modules().join(module).join("package.json").is_file() {
            missing.push(format!(
                "the npm module {module} in {}",
                modules().display()
            ));
        }
    }
    missing
}

/// The inventory's output, rendered into a temporary directory.
fn rendered(inventory: &Path) -> Result<tempfile::TempDir, Failed> {
    let out = tempfile::tempdir()?;
    let files = flakegen::render_inventory(inventory).map_err(|error| error.to_string())?;
    for file in files {
        let path = out.path().join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, file.contents)?;
    }
    Ok(out)
}

fn graphviz_renders(inventory: &Path) -> Result<(), Failed> {
    let out = rendered(inventory)?;
    let output = std::process::Command::new("dot")
        .arg("-Tsvg")
        .arg(out.path().join("docs/topology.dot"))
        .output()?;
    // Graphviz warns on stderr of what it draws otherwise than asked.
    if output.status.success() && output.stdout.starts_with(b"<?xml") && output.stderr.is_empty() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned().into())
    }
}

/// The diagram file, and the `mermaid` block of `CLUSTER.md`, which must hold
/// the same diagram.
fn mermaid_parses(inventory: &Path) -> Result<(), Failed> {
    let out = rendered(inventory)?;
    let diagram = out.path().join("docs/topology.mmd");
    let document = std::fs::read_to_string(out.path().join("docs/CLUSTER.md"))?;
    let block = document
        .split("```mermaid\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .ok_or("CLUSTER.md has no mermaid block")?;
    let embedded = out.path().join("embedded.mmd");
    std::fs::write(&embedded, block)?;
    let file = std::fs::read_to_string(&diagram)?;
    if !file.contains(block.trim()) {
        return Err("the diagram in CLUSTER.md is not topology.mmd's".into());
    }
    let output = std::process::Command::new("node")
        .arg(root().join("tests/mermaid/check.mjs"))
        .arg(&diagram)
        .arg(&embedded)
        .env("MERMAID_MODULES", modules())
        .output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned().into())
    }
}
