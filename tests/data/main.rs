//! Data-driven tests: one test case per fixture, so a failure names its file and
//! the other fixtures still run, and the checks that need Nix.
//!
//! A check that needs a tool it cannot find is reported as ignored, never as
//! passed; under `CI=true` (set by `.ci/run`, which installs the tools) it fails.

mod diagrams;
mod firewall;
mod golden;
mod invalid;
mod nfs;
mod nix;
mod security;
mod shell;
#[allow(
    dead_code,
    reason = "shared with the main test crate, which uses all of it"
)]
#[path = "../support.rs"]
mod support;

use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let arguments = Arguments::from_args();
    let mut trials = Vec::new();
    trials.extend(invalid::trials());
    trials.extend(golden::trials());
    trials.extend(nix::trials());
    trials.extend(shell::trials());
    trials.extend(firewall::trials());
    trials.extend(security::trials());
    trials.extend(nfs::trials());
    trials.extend(diagrams::trials());
    libtest_mimic::run(&arguments, trials).exit();
}

/// A test case that needs `tools`: ignored when one is missing on a developer's
/// machine, failed when one is missing in CI.
fn needing(
    tools: &[&str],
    name: String,
    test: impl FnOnce() -> Result<(), Failed> + Send + 'static,
) -> Trial {
    let missing: Vec<String> = tools
        .iter()
        .filter(|tool| {
            std::process::Command::new(tool)
                .arg("--version")
                .output()
                .is_err()
        })
        .map(|tool| (*tool).to_owned())
        .collect();
    lacking(missing, name, test)
}

/// A trial that runs when nothing is `missing`; ignored otherwise, and failed
/// under `CI=true`, where `.ci/run` installs everything.
fn lacking(
    missing: Vec<String>,
    name: String,
    test: impl FnOnce() -> Result<(), Failed> + Send + 'static,
) -> Trial {
    let in_ci = std::env::var("CI").is_ok_and(|value| value == "true");
    match (missing.is_empty(), in_ci) {
        (false, true) => Trial::test(name, move || {
            Err(format!(
                "{} not installed, and CI must run this check: .ci/run installs it",
                missing.join(" and ")
            )
            .into())
        }),
        (false, false) => Trial::test(name, test).with_ignored_flag(true),
        (true, _) => Trial::test(name, test),
    }
}

/// Name and inventory of each valid fixture (`tests/fixtures/valid/<name>/inventory.yaml`).
fn valid_fixtures() -> Vec<(String, std::path::PathBuf)> {
    let fixtures: Vec<(String, std::path::PathBuf)> =
        entries(&support::root().join("tests/fixtures/valid"))
            .into_iter()
            .map(|fixture| {
                let name = fixture
                    .file_name()
                    .expect("fixture name")
                    .to_string_lossy()
                    .into_owned();
                (name, fixture.join("inventory.yaml"))
            })
            .collect();
    assert!(fixtures.len() >= 3, "the valid fixtures are missing");
    fixtures
}

/// The example (`None`: the committed `generated/`) and each valid fixture's
/// inventory, by name: the flakes the checks of rendered output run on.
fn flakes() -> Vec<(String, Option<std::path::PathBuf>)> {
    std::iter::once(("example".to_owned(), None))
        .chain(
            valid_fixtures()
                .into_iter()
                .map(|(name, inventory)| (name, Some(inventory))),
        )
        .collect()
}

/// The output of `inventory` rendered afresh, or the committed `generated/`;
/// the directory lives as long as the guard.
fn flake_dir(
    inventory: Option<&std::path::Path>,
) -> (Option<tempfile::TempDir>, std::path::PathBuf) {
    match inventory {
        Some(inventory) => {
            let dir = nix::render_into_tempdir(inventory);
            let path = dir.path().to_owned();
            (Some(dir), path)
        }
        None => (None, support::root().join("generated")),
    }
}

/// Each entry of `dir`, sorted.
fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    paths.sort();
    paths
}
