//! What a newcomer runs into first: each test here failed once, and says what a
//! user saw instead of what they see now.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::support::root;

fn gen_in(dir: &Path, args: &[&str]) -> Output {
    crate::support::gen_command()
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run gen")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A directory holding a copy of the example inventory, with `extra` appended
/// under its `cluster:` section.
fn workspace(cluster_extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let example =
        std::fs::read_to_string(root().join("inventory.yaml")).expect("example inventory");
    let inventory = example.replacen("cluster:\n", &format!("cluster:\n{cluster_extra}"), 1);
    std::fs::write(dir.path().join("inventory.yaml"), inventory).expect("write inventory");
    dir
}

/// Ejects `services/job.hcl` and marks it, so renders show whether it was used.
fn eject_marked_job(dir: &Path, ejected: &Path) {
    let eject = gen_in(dir, &["templates", "eject", "services/job.hcl"]);
    assert_eq!(eject.status.code(), Some(0), "{}", stderr(&eject));
    let text = std::fs::read_to_string(ejected).expect("ejected template");
    std::fs::write(ejected, format!("# customised\n{text}")).expect("edit template");
}

fn assert_the_override_is_used(dir: &Path, ejected: &Path) {
    let render = gen_in(dir, &["render"]);
    assert_eq!(render.status.code(), Some(0), "{}", stderr(&render));
    let job = std::fs::read_to_string(dir.join("generated/services/whoami.hcl")).expect("job");
    assert!(
        job.contains("# customised"),
        "render ignored the ejected template"
    );
    let check = gen_in(dir, &["check"]);
    assert_eq!(check.status.code(), Some(0), "check: {}", stdout(&check));
    let list = gen_in(dir, &["templates", "list"]);
    let marked = format!(
        "services/job.hcl\t(overridden by {})",
        ejected.strip_prefix(dir).unwrap_or(ejected).display()
    );
    assert!(stdout(&list).contains(&marked), "{}", stdout(&list));
}

#[test]
fn an_ejected_template_is_used_by_every_command_without_flags() {
    let dir = workspace("");
    let ejected = dir.path().join("templates/services/job.hcl");
    eject_marked_job(dir.path(), &ejected);
    assert_the_override_is_used(dir.path(), &ejected);
}

#[test]
fn eject_and_list_honour_cluster_templates() {
    let dir = workspace("  templates: custom\n");
    let ejected: PathBuf = dir.path().join("custom/services/job.hcl");
    eject_marked_job(dir.path(), &ejected);
    assert!(!dir.path().join("templates").exists());
    assert_the_override_is_used(dir.path(), &ejected);
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    for args in [
        ["hosts", "--json"].as_slice(),
        ["context"].as_slice(),
        ["schema"].as_slice(),
    ] {
        let mut child = crate::support::gen_command()
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gen");
        // The reader goes away before gen writes, as `| head -1` does.
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("wait for gen");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("panicked"), "{args:?}");
    }
}

#[test]
fn a_corrupt_manifest_is_an_error_not_an_empty_one() {
    let dir = workspace("");
    assert_eq!(gen_in(dir.path(), &["render"]).status.code(), Some(0));
    let manifest = dir.path().join("generated/.gen-manifest.json");
    std::fs::write(&manifest, "{ not json").expect("corrupt the manifest");
    let flake = std::fs::read(dir.path().join("generated/flake.nix")).expect("flake");
    for command in ["render", "check"] {
        let output = gen_in(dir.path(), &[command]);
        assert_eq!(output.status.code(), Some(1), "{command}");
        assert!(
            stderr(&output).contains("output::corrupt-manifest"),
            "{command}: {}",
            stderr(&output)
        );
    }
    assert_eq!(
        std::fs::read(dir.path().join("generated/flake.nix")).expect("flake"),
        flake
    );
}

#[test]
fn quiet_validate_prints_only_errors() {
    let fixture = "tests/fixtures/invalid/roles-single-server.yaml";
    let loud = gen_in(&root(), &["validate", "--inventory", fixture]);
    assert!(stderr(&loud).contains("roles::single-server"));
    let quiet = gen_in(&root(), &["validate", "--quiet", "--inventory", fixture]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr(&quiet), "", "a warning or summary despite --quiet");
}

#[test]
fn an_output_path_that_is_a_file_is_named_as_such() {
    let dir = workspace("");
    std::fs::write(dir.path().join("flake"), "").expect("a file");
    let output = gen_in(dir.path(), &["render", "--out", "flake"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("`flake` is not a directory"), "{message}");
    assert!(message.contains("output::not-a-directory"), "{message}");
}

#[test]
fn a_missing_inventory_suggests_gen_init() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = gen_in(dir.path(), &["render"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("cli::no-inventory"), "{message}");
    assert!(message.contains("gen init"), "{message}");
}

#[test]
fn json_validation_reports_file_errors_as_json() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = gen_in(dir.path(), &["validate", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let diagnostics: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON on standard output");
    assert_eq!(diagnostics[0]["code"], "cli::no-inventory");
    assert_eq!(diagnostics[0]["file"], "inventory.yaml");
    assert!(
        diagnostics[0]["hint"]
            .as_str()
            .is_some_and(|hint| hint.contains("gen init"))
    );
}

#[test]
fn every_manual_page_the_manual_names_is_written() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = gen_in(dir.path(), &["man", "--dir", "man"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let main_page = std::fs::read_to_string(dir.path().join("man/gen.1")).expect("gen.1");
    let main_page = main_page.replace('\\', "");
    let named: Vec<&str> = main_page
        .split(char::is_whitespace)
        .filter_map(|word| word.strip_suffix("(1)"))
        .filter(|page| page.starts_with("gen-"))
        .collect();
    assert!(named.len() >= 10, "{named:?}");
    for page in named {
        assert!(
            dir.path().join(format!("man/{page}.1")).is_file(),
            "gen.1 names {page}(1), which is not written"
        );
    }
    assert!(dir.path().join("man/gen-templates-eject.1").is_file());
}

#[test]
fn help_states_the_exit_codes() {
    let help = gen_in(&root(), &["--help"]);
    let text = stdout(&help);
    assert!(text.contains("Exit codes:"), "{text}");
    assert!(text.contains("2  usage error"), "{text}");
}

#[test]
fn explain_names_the_output_directory_it_is_given() {
    let output = gen_in(&root(), &["explain", "c1", "--out", "../cluster-flake"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("deploy ../cluster-flake#c1"),
        "{}",
        stdout(&output)
    );
    let default = gen_in(&root(), &["explain", "c1"]);
    assert!(stdout(&default).contains("deploy ./generated#c1"));
}

#[test]
fn ci_finds_the_binary_where_cargo_puts_it() {
    let script = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    assert!(
        !script.contains("gen=target/release/gen"),
        ".ci/run must follow CARGO_TARGET_DIR"
    );
    assert!(script.contains("CARGO_TARGET_DIR"));
}

#[test]
fn the_readme_installs_locked_and_starts_a_repository() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    assert!(readme.contains("cargo install --locked"));
    assert!(readme.contains("git init"));
    assert!(
        readme.lines().count() < 200,
        "the README is a user's page: reference material goes to docs/"
    );
}

/// Renders the example with one override of `name`: `from` replaced by `to` in
/// its embedded source. Returns the run and whether anything was written.
fn render_with_broken_template(name: &str, from: &str, to: &str) -> (Output, bool) {
    let dir = workspace("");
    let source = flakegen::render::templates::source(name).expect("an embedded template");
    assert!(source.contains(from), "{name} contains {from:?}");
    let path = dir.path().join("templates").join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("override directory");
    std::fs::write(&path, source.replacen(from, to, 1)).expect("write override");
    let output = gen_in(dir.path(), &["render"]);
    (output, dir.path().join("generated").exists())
}

#[test]
fn a_misspelt_variable_is_an_error_in_every_template() {
    for (name, from, to, misspelt) in [
        ("hosts/default.nix", "host.name", "host.nmae", "nmae"),
        ("services/job.hcl", "service.name", "service.nmae", "nmae"),
        (
            "hosts/default.nix",
            "host.is_worker",
            "host.is_wroker",
            "is_wroker",
        ),
        ("flake.nix", "cluster.nixpkgs", "cluster.nixpgks", "nixpgks"),
    ] {
        let (output, wrote) = render_with_broken_template(name, from, to);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {message}");
        assert!(message.contains(&format!("templates/{name}")), "{message}");
        assert!(message.contains(misspelt), "{message}");
        assert!(!wrote, "{name}: a refused render wrote files");
    }
}

#[test]
fn a_value_without_a_serialising_filter_is_refused() {
    let (output, wrote) =
        render_with_broken_template("hosts/default.nix", "host.name | nix", "host.name");
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("reaches the output without a serialising"),
        "{message}"
    );
    assert!(!wrote);
}

/// What renders is checked by validate too: a template directory the inventory
/// names, and the templates in it.
#[test]
fn validate_loads_the_templates_the_inventory_names() {
    let missing = workspace("  templates: nope\n");
    let output = gen_in(missing.path(), &["validate"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let broken = workspace("  templates: mine\n");
    let dir = broken.path().join("mine/services");
    std::fs::create_dir_all(&dir).expect("override directory");
    std::fs::write(dir.join("job.hcl"), "job {{ service.nmae | hcl }} {\n}\n").expect("override");
    let output = gen_in(broken.path(), &["validate"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("nmae"), "{}", stderr(&output));
    // Templates compile only when a file needs one; validate compiles them all.
    std::fs::write(dir.join("job.hcl"), "{% if service.name %}\njob {}\n").expect("override");
    let output = gen_in(broken.path(), &["validate"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("job.hcl"), "{}", stderr(&output));
}
