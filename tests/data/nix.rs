//! Hermetic evaluation: each generated flake is evaluated by Nix with stub inputs
//! (tests/nix), its `deploy` output validated against deploy-rs's own schema, every
//! module followed through its imports, and its hosts compared with the inventory.
//!
//! Nix is not a build dependency: without `nix-instantiate` these tests say they
//! did not run. `.ci/run` installs it, so CI always runs them.

use std::collections::BTreeMap;
use std::path::Path;

use flakegen::output::plan::Plan;
use flakegen::output::{RealDisk, apply};

use crate::support::root;

fn nix_is_missing() -> bool {
    crate::support::nix_is_missing("hermetic evaluation of generated flakes")
}

/// What `check-flake.nix` reports about the flake in `flake_dir`.
fn evaluate(flake_dir: &Path) -> Result<serde_json::Value, String> {
    let output = std::process::Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json"])
        .arg(root().join("tests/nix/check-flake.nix"))
        .arg("--arg")
        .arg("flakeDir")
        .arg(flake_dir)
        .output()
        .map_err(|error| error.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    serde_json::from_slice(&output.stdout).map_err(|error| error.to_string())
}

/// Every problem with the flake in `flake_dir`, rendered from `inventory`.
fn problems(flake_dir: &Path, inventory: &Path) -> Vec<String> {
    let report = match evaluate(flake_dir) {
        Ok(report) => report,
        Err(error) => return vec![format!("evaluation failed: {error}")],
    };
    let mut problems: Vec<String> = report["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|problem| problem.as_str().unwrap_or_default().to_owned())
        .collect();

    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/deploy-rs/interface.json"))
            .expect("deploy-rs schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    problems.extend(validator.iter_errors(&report["deploy"]).map(|error| {
        format!(
            "deploy does not match deploy-rs's schema: {error} at {}",
            error.instance_path()
        )
    }));

    let cluster = flakegen::prepare(inventory)
        .expect("inventory is valid")
        .cluster;
    let expected: BTreeMap<String, serde_json::Value> = cluster
        .hosts
        .iter()
        .map(|host| (host.name.clone(), serde_json::Value::from(host.system)))
        .collect();
    let actual: BTreeMap<String, serde_json::Value> = report["hosts"]
        .as_object()
        .map(|hosts| {
            hosts
                .iter()
                .map(|(name, system)| (name.clone(), system.clone()))
                .collect()
        })
        .unwrap_or_default();
    if actual != expected {
        problems.push(format!(
            "nixosConfigurations {actual:?} are not the managed hosts {expected:?}"
        ));
    }
    problems
}

/// Renders `inventory` into a new directory, as `gen render` would.
fn render_into_tempdir(inventory: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = flakegen::render_inventory(inventory).expect("renders");
    let plan = Plan::build(dir.path(), &files).expect("plan");
    apply(&plan, false, &mut RealDisk).expect("write");
    dir
}

#[test]
fn the_committed_flake_evaluates_and_deploy_rs_accepts_it() {
    if nix_is_missing() {
        return;
    }
    let problems = problems(&root().join("generated"), &root().join("inventory.yaml"));
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_fixture_and_the_starter_flake_evaluate_and_deploy_rs_accepts_them() {
    if nix_is_missing() {
        return;
    }
    let mut checked = 0;
    let mut inventories = vec![root().join("src/starter.yaml")];
    for entry in std::fs::read_dir(root().join("tests/fixtures/valid")).expect("fixtures") {
        inventories.push(entry.expect("fixture").path().join("inventory.yaml"));
    }
    for inventory in inventories {
        let flake = render_into_tempdir(&inventory);
        let problems = problems(flake.path(), &inventory);
        assert!(
            problems.is_empty(),
            "{}: {problems:#?}",
            inventory.display()
        );
        checked += 1;
    }
    assert!(checked >= 4);
}

#[test]
fn a_missing_import_is_caught() {
    if nix_is_missing() {
        return;
    }
    let inventory = root().join("inventory.yaml");
    let flake = render_into_tempdir(&inventory);
    std::fs::remove_file(flake.path().join("common/workstation-node.nix"))
        .expect("remove a module");
    let problems = problems(flake.path(), &inventory);
    eprintln!("caught: {problems:#?}");
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("workstation-node.nix does not exist")),
        "{problems:#?}"
    );
}

#[test]
fn a_deploy_node_without_hostname_is_caught() {
    if nix_is_missing() {
        return;
    }
    let inventory = root().join("inventory.yaml");
    let flake = render_into_tempdir(&inventory);
    let flake_nix = flake.path().join("flake.nix");
    let text = std::fs::read_to_string(&flake_nix).expect("flake.nix");
    let broken = text.replacen("hostname = \"10.0.0.11\";", "", 1);
    assert_ne!(text, broken, "c1's hostname is in flake.nix");
    std::fs::write(&flake_nix, broken).expect("write flake.nix");
    let problems = problems(flake.path(), &inventory);
    eprintln!("caught: {problems:#?}");
    assert!(
        problems
            .iter()
            .any(|problem| problem.contains("\"hostname\" is a required property")),
        "{problems:#?}"
    );
}
