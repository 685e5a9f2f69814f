//! Every invalid inventory under `tests/fixtures/invalid/` is refused with the
//! diagnostic its first line names (`# expect: <code>`), located, as people read
//! it and as JSON. Both forms are snapshots; each fixture is its own test case.

use std::path::{Path, PathBuf};
use std::process::Output;

use libtest_mimic::{Failed, Trial};

use crate::support::root;

pub fn trials() -> Vec<Trial> {
    let fixtures = crate::entries(&root().join("tests/fixtures/invalid"));
    assert!(
        fixtures.len() >= 40,
        "only {} invalid fixtures",
        fixtures.len()
    );
    fixtures
        .into_iter()
        .map(|fixture| {
            let name = fixture
                .file_stem()
                .expect("fixture name")
                .to_string_lossy()
                .into_owned();
            Trial::test(format!("invalid::{name}"), move || refused(&name, &fixture))
        })
        .collect()
}

fn validate(relative: &Path, format: &str) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(["validate", "--format", format, "--inventory"])
        .arg(relative)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run gen validate")
}

fn expected_code(text: &str) -> Result<&str, Failed> {
    text.lines()
        .next()
        .and_then(|line| line.strip_prefix("# expect: "))
        .ok_or_else(|| "the fixture does not start with `# expect: <code>`".into())
}

fn refused(name: &str, fixture: &PathBuf) -> Result<(), Failed> {
    let relative = fixture.strip_prefix(root()).expect("under the repository");
    let text = String::from_utf8_lossy(&std::fs::read(fixture)?).into_owned();
    let code = expected_code(&text)?;

    let json = validate(relative, "json");
    let diagnostics: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout)?;
    let found = diagnostics
        .iter()
        .find(|diagnostic| diagnostic["code"] == code)
        .ok_or_else(|| format!("no `{code}` in {diagnostics:#?}"))?;
    let is_error = found["severity"] == "error";
    if json.status.code() != Some(i32::from(is_error)) {
        return Err(format!("exit code {:?}", json.status.code()).into());
    }
    if !(found["line"].is_u64() && found["column"].is_u64()) {
        return Err(format!("`{code}` has no position").into());
    }
    for key in [
        "severity", "code", "message", "path", "file", "line", "column", "hint",
    ] {
        if found.get(key).is_none() {
            return Err(format!("the JSON lacks `{key}`").into());
        }
    }

    let human = validate(relative, "human");
    let stderr = String::from_utf8_lossy(&human.stderr).into_owned();
    let position = format!(
        "{}:{}:{}",
        relative.display(),
        found["line"],
        found["column"]
    );
    if !stderr.contains(&position) {
        return Err(format!("the human form does not show {position}:\n{stderr}").into());
    }
    if stderr.contains('\u{1b}') {
        return Err("colour despite NO_COLOR".into());
    }

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/invalid"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!(format!("{name}.human"), stderr);
        insta::assert_snapshot!(
            format!("{name}.json"),
            String::from_utf8_lossy(&json.stdout)
        );
    });
    Ok(())
}
