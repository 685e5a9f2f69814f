//! Hermetic evaluation: each generated flake is evaluated by Nix with stub inputs
//! (tests/nix), its `deploy` output validated against deploy-rs's own schema, every
//! module followed through its imports, and its hosts compared with the inventory.
//!
//! Nix is not a build dependency: without `nix-instantiate` these checks are
//! reported as ignored, and under `CI=true` as failed; `.ci/run` installs it.

use std::collections::BTreeMap;
use std::path::Path;

use flakegen::output::plan::Plan;
use flakegen::output::{RealDisk, apply};

use libtest_mimic::{Failed, Trial};
use proptest::strategy::{Strategy, ValueTree};

use crate::support::{no_nul, root};

pub fn trials() -> Vec<Trial> {
    let nix = |name: &str, test: fn() -> Result<(), Failed>| {
        crate::needing(&["nix-instantiate"], format!("nix::{name}"), test)
    };
    let mut trials = vec![
        nix(
            "the_committed_flake_evaluates",
            the_committed_flake_evaluates,
        ),
        nix("a_missing_import_is_caught", a_missing_import_is_caught),
        nix("the_tool_flake_evaluates", the_tool_flake_evaluates),
        nix(
            "a_deploy_node_without_hostname_is_caught",
            a_deploy_node_without_hostname_is_caught,
        ),
        nix(
            "literals_evaluate_to_their_value",
            literals_evaluate_to_their_value,
        ),
        nix(
            "numbers_evaluate_to_their_value",
            numbers_evaluate_to_their_value,
        ),
    ];
    let mut inventories = vec![("starter".to_owned(), root().join("src/starter.yaml"))];
    inventories.extend(crate::valid_fixtures());
    for (name, inventory) in inventories {
        trials.push(crate::needing(
            &["nix-instantiate"],
            format!("nix::evaluates::{name}"),
            move || rendered_flake_evaluates(&inventory),
        ));
    }
    trials
}

fn no_problems(problems: &[String]) -> Result<(), Failed> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{problems:#?}").into())
    }
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
pub fn render_into_tempdir(inventory: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = flakegen::render_inventory(inventory).expect("renders");
    let plan = Plan::build(dir.path(), files).expect("plan");
    apply(&plan, false, &mut RealDisk).expect("write");
    dir
}

fn the_committed_flake_evaluates() -> Result<(), Failed> {
    no_problems(&problems(
        &root().join("generated"),
        &root().join("inventory.yaml"),
    ))
}

/// gen's own flake: its package is gen as Cargo builds it, from every file
/// the build reads, and `nix run .#gen` runs the `gen` binary.
fn the_tool_flake_evaluates() -> Result<(), Failed> {
    let output = std::process::Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json"])
        .arg(root().join("tests/nix/tool-flake.nix"))
        .output()?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    let flake: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let systems = serde_json::json!(["aarch64-linux", "x86_64-linux"]);
    let expected = [
        ("pname", serde_json::json!(env!("CARGO_PKG_NAME"))),
        ("version", serde_json::json!(env!("CARGO_PKG_VERSION"))),
        ("mainProgram", serde_json::json!("gen")),
        ("lockFile", serde_json::json!("Cargo.lock")),
        ("packages", systems.clone()),
        ("apps", systems.clone()),
        ("shells", systems),
    ];
    let mut wrong: Vec<String> = expected
        .into_iter()
        .filter(|(key, value)| flake[key] != *value)
        .map(|(key, value)| format!("{key}: {} instead of {value}", flake[key]))
        .collect();
    if !flake["app"]
        .as_str()
        .is_some_and(|app| app.ends_with("/bin/gen"))
    {
        wrong.push(format!("the app runs {}", flake["app"]));
    }
    // Cargo reads these to build: the manifest, the lock, the build script, the
    // targets it finds, and the templates the code embeds.
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "src",
        "templates",
        "benches",
        "examples",
    ] {
        let present = root().join(needed).exists();
        let built_from = flake["sources"]
            .as_array()
            .is_some_and(|sources| sources.contains(&serde_json::json!(needed)));
        if present && !built_from {
            wrong.push(format!("the package is not built from {needed}"));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n").into())
    }
}

fn rendered_flake_evaluates(inventory: &Path) -> Result<(), Failed> {
    let flake = render_into_tempdir(inventory);
    no_problems(&problems(flake.path(), inventory))
}

fn a_missing_import_is_caught() -> Result<(), Failed> {
    let inventory = root().join("inventory.yaml");
    let flake = render_into_tempdir(&inventory);
    std::fs::remove_file(flake.path().join("common/workstation-node.nix"))?;
    caught(
        &problems(flake.path(), &inventory),
        "workstation-node.nix does not exist",
    )
}

/// Whether one of `problems` says `what`.
fn caught(problems: &[String], what: &str) -> Result<(), Failed> {
    if problems.iter().any(|problem| problem.contains(what)) {
        Ok(())
    } else {
        Err(format!("`{what}` not caught: {problems:#?}").into())
    }
}

fn a_deploy_node_without_hostname_is_caught() -> Result<(), Failed> {
    let inventory = root().join("inventory.yaml");
    let flake = render_into_tempdir(&inventory);
    let flake_nix = flake.path().join("flake.nix");
    let text = std::fs::read_to_string(&flake_nix)?;
    let broken = text.replacen("hostname = \"10.0.0.11\";", "", 1);
    if text == broken {
        return Err("c1's hostname is not in flake.nix".into());
    }
    std::fs::write(&flake_nix, broken)?;
    caught(
        &problems(flake.path(), &inventory),
        "\"hostname\" is a required property",
    )
}

/// The real Nix evaluator agrees with rnix: a sample of literals the `nix`
/// filter makes evaluates to the strings they were made from.
fn literals_evaluate_to_their_value() -> Result<(), Failed> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let samples: Vec<String> = (0..500)
        .map(|_| no_nul().new_tree(&mut runner).map(|tree| tree.current()))
        .collect::<Result<_, _>>()?;
    let literals: Vec<String> = samples
        .iter()
        .map(|text| flakegen::render::filters::nix_string(text))
        .collect();
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("samples.nix");
    std::fs::write(&file, format!("[\n{}\n]\n", literals.join("\n")))?;
    let output = std::process::Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json"])
        .arg(&file)
        .output()?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    let evaluated: Vec<String> = serde_json::from_slice(&output.stdout)?;
    if evaluated.len() != samples.len() {
        return Err("nix evaluated a different number of literals".into());
    }
    for ((value, sample), literal) in evaluated.iter().zip(&samples).zip(&literals) {
        if value != sample {
            return Err(format!("nix evaluated {literal} differently").into());
        }
    }
    Ok(())
}

/// Every number the `nix` filter writes evaluates to the number it was given:
/// Nix compares each literal with the same number read by its JSON parser.
fn numbers_evaluate_to_their_value() -> Result<(), Failed> {
    let numbers = [
        "0",
        "1",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "0.1",
        "1e-7",
        "-2.5",
        "3.0",
        "1.5e300",
        "123456.789",
        "1.7976931348623157e308",
        "2.2250738585072014e-308",
    ];
    let mut checks = Vec::new();
    for text in numbers {
        let number: serde_json::Value = serde_json::from_str(text)?;
        let literal = flakegen::render::filters::nix(&number)?;
        let json = flakegen::render::filters::nix_string(text);
        checks.push(format!("({literal} == builtins.fromJSON {json})"));
    }
    let output = std::process::Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", "--expr"])
        .arg(format!("[ {} ]", checks.join(" ")))
        .output()?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    let equal: Vec<bool> = serde_json::from_slice(&output.stdout)?;
    let wrong: Vec<&str> = numbers
        .iter()
        .zip(&equal)
        .filter(|(_, equal)| !**equal)
        .map(|(number, _)| *number)
        .collect();
    if equal.len() == numbers.len() && wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("Nix reads these differently: {wrong:?}").into())
    }
}
