//! Every shell script the generated modules run passes shellcheck: the scripts
//! of `generated/` and of each valid fixture, taken out of the modules by Nix
//! (`tests/nix/scripts.nix`) exactly as NixOS hands them to bash. Free text
//! that reaches a script is data: run with stub commands, the script passes it
//! on as it was written.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};
use proptest::strategy::{Strategy, ValueTree};
use serde_json::json;

use crate::support::{no_nul, root, three_servers};

pub fn trials() -> Vec<Trial> {
    crate::flakes()
        .into_iter()
        .map(|(name, inventory)| {
            crate::needing(
                &["nix-instantiate", "shellcheck"],
                format!("shellcheck::{name}"),
                move || scripts_pass_shellcheck(inventory.as_deref()),
            )
        })
        .chain([crate::needing(
            &["nix-instantiate", "bash"],
            "shell::exclude_patterns_are_data".to_owned(),
            exclude_patterns_are_data,
        )])
        .chain(plan_scenarios::SCENARIOS.iter().map(|scenario| {
            crate::needing(
                &["shellcheck"],
                format!("shellcheck::plan::{}", scenario.name),
                move || rollout_passes_shellcheck(scenario),
            )
        }))
        .collect()
}

#[path = "../plan_scenarios.rs"]
mod plan_scenarios;

/// The rollout `gen plan` prints for a change is a script shellcheck accepts.
fn rollout_passes_shellcheck(scenario: &plan_scenarios::Scenario) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    scenario.write(dir.path());
    let plan = plan_scenarios::plan(dir.path(), &[]);
    if !plan.status.success() {
        return Err(String::from_utf8_lossy(&plan.stderr).into_owned().into());
    }
    let script = dir.path().join("rollout.sh");
    std::fs::write(&script, &plan.stdout)?;
    let check = std::process::Command::new("shellcheck")
        .args(["--shell=sh", "--severity=style"])
        .arg(&script)
        .output()?;
    if check.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&check.stdout).into_owned().into())
    }
}

/// The scripts of the example's `generated/`, or of `inventory` rendered afresh.
fn scripts_pass_shellcheck(inventory: Option<&Path>) -> Result<(), Failed> {
    let (_rendered, flake) = crate::flake_dir(inventory);
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
    let mut scripts: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&output.stdout)?;
    if let Ok(text) = std::fs::read_to_string(flake.join(flakegen::paths::NFS_SCRIPT)) {
        scripts.insert("nfs-services".to_owned(), text);
    }
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

/// Any text as a backup exclude pattern is either refused with a located
/// diagnostic, or handed by the backup script, run with stub commands, to
/// Kopia's policy as exactly one argument.
fn exclude_patterns_are_data() -> Result<(), Failed> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let one_line = no_nul().prop_map(|text| text.replace(char::is_control, ""));
    let mut samples = vec!["it's \"$(touch pwned)\" `id` ${HOME} $$ *.tmp !keep #x \\".to_owned()];
    for _ in 0..48 {
        samples.push(no_nul().new_tree(&mut runner)?.current());
        samples.push(one_line.new_tree(&mut runner)?.current());
    }
    let work = tempfile::tempdir()?;
    let mut accepted = Vec::new();
    for (index, text) in samples.iter().enumerate() {
        let data = work.path().join(format!("data{index}"));
        std::fs::create_dir(&data)?;
        let inventory = backing_up(&data, text);
        match flakegen::prepare_bytes("inventory.yaml", inventory.as_bytes()) {
            Ok(_) => {
                let file = work.path().join(format!("inventory{index}.yaml"));
                std::fs::write(&file, &inventory)?;
                accepted.push((text, data, crate::nix::render_into_tempdir(&file)));
            }
            Err(flakegen::error::Error::Invalid { problems, .. }) => {
                if let Some(problem) = problems.iter().find(|problem| problem.at.is_none()) {
                    return Err(format!("`{}` has no place, for {text:?}", problem.code).into());
                }
            }
            Err(other) => return Err(format!("{text:?}: {other}").into()),
        }
    }
    if accepted.len() < samples.len() / 3 {
        return Err(format!(
            "only {} of {} samples rendered",
            accepted.len(),
            samples.len()
        )
        .into());
    }
    let flakes: Vec<&Path> = accepted.iter().map(|(_, _, flake)| flake.path()).collect();
    let scripts = backup_scripts(&flakes)?;
    let stubs = stub_commands(work.path())?;
    for ((text, data, _), script) in accepted.iter().zip(&scripts) {
        let calls = run_backup(script, &stubs, data)?;
        let expected = [
            "policy".to_owned(),
            "set".to_owned(),
            format!("root@host:{}", data.display()),
            format!("--add-ignore={text}"),
            "--add-ignore=.kopia-snapshots".to_owned(),
        ];
        if !calls.contains(&expected.to_vec()) {
            return Err(format!("{text:?} did not reach kopia as one argument: {calls:?}").into());
        }
    }
    Ok(())
}

/// A small valid inventory backing up `data`, excluding `pattern`.
fn backing_up(data: &Path, pattern: &str) -> String {
    let mut inventory = three_servers();
    inventory["hosts"]["nas"] = json!({ "managed": false, "address": "10.0.0.9" });
    inventory["backup"] = json!({ "kopia": {
        "server": "nas",
        "server_cert_fingerprint": "3f2a9c1e7b8d4f6a0c5e2b9d7a1f3c8e6b4d2a0f9e7c5b3a1d8f6e4c2b0a9d7e",
        "paths": [data],
        "exclude": [pattern],
    } });
    serde_json::to_string_pretty(&inventory).expect("JSON is YAML")
}

/// The backup script of each flake, in one evaluation.
fn backup_scripts(flakes: &[&Path]) -> Result<Vec<String>, Failed> {
    let dirs: Vec<String> = flakes
        .iter()
        .map(|flake| format!("{}", flake.display()))
        .collect();
    let expression = format!(
        "map (dir: (import {} {{ flakeDir = /. + dir; extraPaths = [ ]; }}).kopia-backup) (builtins.fromJSON {})",
        root().join("tests/nix/scripts.nix").display(),
        flakegen::render::filters::nix_string(&serde_json::to_string(&dirs)?),
    );
    let output = std::process::Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", "--expr", &expression])
        .output()?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Commands that stand in for the ones the backup script runs: they succeed
/// and do nothing, `cat` prints a password, and `kopia` records its arguments.
fn stub_commands(work: &Path) -> Result<PathBuf, Failed> {
    use std::os::unix::fs::PermissionsExt;
    let stubs = work.join("stubs");
    std::fs::create_dir(&stubs)?;
    for (name, body) in [
        (
            "kopia",
            "printf '%s\\0' \"$@\" >>\"$KOPIA_CALLS\"; echo >>\"$KOPIA_CALLS\"",
        ),
        ("btrfs", "exit 0"),
        ("mkdir", "exit 0"),
        ("cat", "echo password"),
    ] {
        let path = stubs.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(stubs)
}

/// Runs the backup script; the arguments of each `kopia` call.
fn run_backup(script: &str, stubs: &Path, data: &Path) -> Result<Vec<Vec<String>>, Failed> {
    let calls = data.join("kopia-calls");
    let output = std::process::Command::new("bash")
        .args(["-c", script])
        .env("PATH", format!("{}:/usr/bin:/bin", stubs.display()))
        .env("KOPIA_CALLS", &calls)
        .current_dir(data)
        .output()?;
    if output.status.success() {
        Ok(std::fs::read_to_string(calls)?
            .lines()
            .map(|line| line.split_terminator('\0').map(str::to_owned).collect())
            .collect())
    } else {
        Err(format!(
            "the backup script failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into())
    }
}
