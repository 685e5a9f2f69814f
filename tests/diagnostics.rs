//! Every invalid inventory under `tests/fixtures/invalid/` is refused with the
//! diagnostic its first line names (`# expect: <code>`), located, as people read
//! it and as JSON. Both forms are snapshots.

use std::path::Path;
use std::process::Output;

use crate::support::{inventory_in_tempdir, root};

fn validate(relative: &Path, format: &str) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["validate", "--format", format, "--inventory"])
        .arg(relative)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run gen validate")
}

fn expected_code(text: &str) -> &str {
    text.lines()
        .next()
        .and_then(|line| line.strip_prefix("# expect: "))
        .expect("the fixture starts with `# expect: <code>`")
}

#[test]
fn each_invalid_inventory_is_refused_with_its_diagnostic() {
    let mut fixtures: Vec<_> = std::fs::read_dir(root().join("tests/fixtures/invalid"))
        .expect("invalid fixtures")
        .map(|entry| entry.expect("fixture").path())
        .collect();
    fixtures.sort();
    assert!(
        fixtures.len() >= 40,
        "only {} invalid fixtures",
        fixtures.len()
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/invalid"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let _guard = settings.bind_to_scope();

    for fixture in fixtures {
        let name = fixture
            .file_stem()
            .expect("fixture name")
            .to_string_lossy()
            .into_owned();
        let relative = fixture.strip_prefix(root()).expect("under the repository");
        let text =
            String::from_utf8_lossy(&std::fs::read(&fixture).expect("read fixture")).into_owned();
        let code = expected_code(&text);

        let json = validate(relative, "json");
        let diagnostics: Vec<serde_json::Value> =
            serde_json::from_slice(&json.stdout).expect("JSON diagnostics");
        let found = diagnostics
            .iter()
            .find(|diagnostic| diagnostic["code"] == code)
            .unwrap_or_else(|| panic!("{name}: no `{code}` in {diagnostics:#?}"));
        let is_error = found["severity"] == "error";
        assert_eq!(
            json.status.code(),
            Some(i32::from(is_error)),
            "{name}: exit code"
        );
        assert!(
            found["line"].is_u64() && found["column"].is_u64(),
            "{name}: `{code}` has no position"
        );
        for key in [
            "severity", "code", "message", "path", "file", "line", "column", "hint",
        ] {
            assert!(found.get(key).is_some(), "{name}: JSON lacks `{key}`");
        }

        let human = validate(relative, "human");
        let stderr = String::from_utf8_lossy(&human.stderr).into_owned();
        let position = format!(
            "{}:{}:{}",
            relative.display(),
            found["line"],
            found["column"]
        );
        assert!(
            stderr.contains(&position),
            "{name}: the human form does not show {position}:\n{stderr}"
        );
        assert!(
            !stderr.contains('\u{1b}'),
            "{name}: colour despite NO_COLOR"
        );

        insta::assert_snapshot!(format!("{name}.human"), stderr);
        insta::assert_snapshot!(
            format!("{name}.json"),
            String::from_utf8_lossy(&json.stdout)
        );
    }
}

#[test]
fn an_inventory_over_the_size_budget_is_refused_unread() {
    let huge = format!(
        "# expect: yaml::too-large\n{}",
        "#".repeat(flakegen::load::MAX_BYTES)
    );
    let (dir, path) = inventory_in_tempdir(&huge);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gen"))
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
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gen"))
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
        std::process::Command::new(env!("CARGO_BIN_EXE_gen"))
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

/// The README's table of diagnostic codes lists exactly the codes gen raises.
#[test]
fn the_readme_lists_every_diagnostic_code() {
    let mut raised = std::collections::BTreeSet::new();
    for entry in walkdir::WalkDir::new(root().join("src")) {
        let entry = entry.expect("walk src");
        if entry.path().extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(entry.path()).expect("read source");
            for piece in text.split('"').skip(1).step_by(2) {
                let family = piece.split("::").next().unwrap_or_default();
                let inventory_family = [
                    "yaml",
                    "name",
                    "roles",
                    "hosts",
                    "cluster",
                    "reference",
                    "storage",
                    "service",
                    "secret",
                ];
                if inventory_family.contains(&family)
                    && piece.contains("::")
                    && !piece.contains(' ')
                {
                    raised.insert(piece.to_owned());
                }
            }
        }
    }
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let listed: std::collections::BTreeSet<String> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .filter(|code| code.contains("::"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        raised, listed,
        "README's code table and the source disagree"
    );
}
