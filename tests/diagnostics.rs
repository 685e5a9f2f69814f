//! Refusals that are not one fixture each (those are in `tests/data/invalid.rs`):
//! the size budget, usage errors, a refused render, and the documented codes.

use std::path::Path;

use crate::support::{inventory_in_tempdir, root};

#[test]
fn an_inventory_over_the_size_budget_is_refused_unread() {
    let huge = format!(
        "# expect: yaml::too-large\n{}",
        "#".repeat(flakegen::load::MAX_BYTES)
    );
    let (dir, path) = inventory_in_tempdir(&huge);
    let output = crate::support::gen_command()
        .args(["validate", "--format", "json", "--inventory"])
        .arg(&path)
        .output()
        .expect("run gen validate");
    drop(dir);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("\"yaml::too-large\""));
}

#[test]
fn usage_errors_exit_with_2() {
    let output = crate::support::gen_command()
        .args(["validate", "--format", "xml"])
        .output()
        .expect("run gen validate");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_refused_render_leaves_the_output_directory_untouched() {
    let example =
        std::fs::read_to_string(root().join("inventory.yaml")).expect("example inventory");
    let (dir, inventory) = inventory_in_tempdir(&example);
    let render = |inventory: &Path| {
        crate::support::gen_command()
            .args(["render", "--inventory"])
            .arg(inventory)
            .arg("--out")
            .arg(dir.path().join("generated"))
            .output()
            .expect("run gen render")
    };
    assert_eq!(render(&inventory).status.code(), Some(0));
    let snapshot = |root: &Path| -> Vec<(std::path::PathBuf, Vec<u8>, std::time::SystemTime)> {
        walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .map(|entry| entry.expect("walk"))
            .filter(|entry| entry.file_type().is_file())
            .map(|entry| {
                let meta = entry.metadata().expect("metadata");
                (
                    entry.path().to_owned(),
                    std::fs::read(entry.path()).expect("read"),
                    meta.modified().expect("mtime"),
                )
            })
            .collect()
    };
    let before = snapshot(&dir.path().join("generated"));
    std::fs::write(
        &inventory,
        example.replacen("primary: zippy", "primary: zipy", 1),
    )
    .expect("break inventory");
    let refused = render(&inventory);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        before,
        snapshot(&dir.path().join("generated")),
        "a refused render touched the output"
    );
}

/// `docs/diagnostics.md` holds the table the code registry generates.
#[test]
fn the_docs_list_every_diagnostic_code() {
    let docs = std::fs::read_to_string(root().join("docs/diagnostics.md")).expect("docs");
    let table: String = docs
        .lines()
        .skip_while(|line| !line.starts_with("| code |"))
        .take_while(|line| line.starts_with('|'))
        .flat_map(|line| [line, "\n"])
        .collect();
    let expected = flakegen::diagnostic::table();
    assert!(
        table == expected,
        "docs/diagnostics.md's table is not the registry's; replace it with:\n\n{expected}"
    );
}

/// A device that never ends is read only up to the budget, then refused.
#[test]
fn an_endless_file_is_refused_at_the_budget() {
    let output = crate::support::gen_command()
        .args(["validate", "--format", "json", "--inventory", "/dev/zero"])
        .output()
        .expect("run gen validate");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("\"yaml::too-large\""));
}

/// The budget is a setting: lowered, the example is refused; the default reads it.
#[test]
fn the_size_budget_is_a_flag() {
    let validate = |budget: &str| {
        crate::support::gen_command()
            .args([
                "validate",
                "--format",
                "json",
                "--max-inventory-bytes",
                budget,
            ])
            .current_dir(root())
            .output()
            .expect("run gen validate")
    };
    let small = validate("1000");
    assert_eq!(small.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&small.stdout).contains("\"yaml::too-large\""));
    assert_eq!(validate("100000").status.code(), Some(0));
}

/// Unknown keys are read past, so the rules report the rest in the same run.
#[test]
fn a_misspelt_key_does_not_hide_rule_problems() {
    let output = crate::support::gen_command()
        .args(["validate", "--format", "json", "--inventory"])
        .arg("tests/fixtures/invalid/yaml-unknown-key-and-rule-problems.yaml")
        .current_dir(root())
        .output()
        .expect("run gen validate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("\"yaml::unknown-key\""), "{stdout}");
    assert!(stdout.contains("\"hosts::duplicate-address\""), "{stdout}");
}

/// The codes of what preparing an inventory reports, errors and warnings.
fn codes(prepared: Result<flakegen::Prepared, flakegen::error::Error>) -> Vec<String> {
    match prepared {
        Ok(prepared) => prepared
            .warnings
            .iter()
            .map(|warning| warning.code.as_str().to_owned())
            .collect(),
        Err(flakegen::error::Error::Invalid { problems, .. }) => problems
            .iter()
            .map(|problem| problem.code.as_str().to_owned())
            .collect(),
        Err(other) => vec![other.to_string()],
    }
}

/// The quick load (types and shape, no places) and the full one (with every
/// place) accept and refuse the same inventories, with the same diagnostics.
#[test]
fn the_quick_load_judges_as_the_full_one() {
    let mut fixtures: Vec<std::path::PathBuf> =
        std::fs::read_dir(root().join("tests/fixtures/invalid"))
            .expect("fixtures")
            .map(|entry| entry.expect("entry").path())
            .collect();
    for entry in std::fs::read_dir(root().join("tests/fixtures/valid")).expect("fixtures") {
        fixtures.push(entry.expect("entry").path().join("inventory.yaml"));
    }
    fixtures.push(root().join("inventory.yaml"));
    assert!(fixtures.len() > 150);
    for fixture in fixtures {
        let bytes = std::fs::read(&fixture).expect("read");
        let quick = codes(flakegen::prepare(&fixture));
        let full = codes(flakegen::prepare_bytes("inventory.yaml", &bytes));
        assert_eq!(quick, full, "{}", fixture.display());
    }
}
