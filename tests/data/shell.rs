//! Every shell script the generated modules run passes shellcheck: the scripts
//! of `generated/` and of each valid fixture, taken out of the modules by Nix
//! (`tests/nix/scripts.nix`) exactly as NixOS hands them to bash.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};

use crate::support::root;

pub fn trials() -> Vec<Trial> {
    let mut flakes = vec![("example".to_owned(), None)];
    flakes.extend(
        crate::valid_fixtures()
            .into_iter()
            .map(|(name, inventory)| (name, Some(inventory))),
    );
    flakes
        .into_iter()
        .map(|(name, inventory)| {
            crate::needing(
                &["nix-instantiate", "shellcheck"],
                format!("shellcheck::{name}"),
                move || scripts_pass_shellcheck(inventory.as_deref()),
            )
        })
        .collect()
}

/// The scripts of the example's `generated/`, or of `inventory` rendered afresh.
fn scripts_pass_shellcheck(inventory: Option<&Path>) -> Result<(), Failed> {
    let rendered = inventory.map(crate::nix::render_into_tempdir);
    let flake: PathBuf = rendered
        .as_ref()
        .map_or_else(|| root().join("generated"), |dir| dir.path().to_owned());
    let output = std::process::Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json"])
        .arg(root().join("tests/nix/scripts.nix"))
        .arg("--arg")
        .arg("flakeDir")
        .arg(&flake)
        .output()?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    let scripts: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&output.stdout)?;
    let dir = tempfile::tempdir()?;
    let mut findings = String::new();
    for (name, text) in &scripts {
        let path = dir.path().join(format!("{name}.sh"));
        std::fs::write(&path, format!("#!/usr/bin/env bash\n{text}"))?;
        // SC2041: a one-element `for x in 'a'` list is meant as a literal.
        let check = std::process::Command::new("shellcheck")
            .args(["--shell=bash", "--severity=warning", "--exclude=SC2041"])
            .arg(&path)
            .output()?;
        if !check.status.success() {
            findings.push_str(&String::from_utf8_lossy(&check.stdout));
        }
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(findings.into())
    }
}
