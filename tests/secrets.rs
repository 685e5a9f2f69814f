//! `gen secrets` lists what the generated modules read, the runbook names all
//! of it, and `gen secrets check` finds each way a sops file can be wrong: the
//! example's sops files (dummy values, real format) are the fixture.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::{render, root};

fn run(args: &[&str]) -> Output {
    crate::support::gen_command()
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run gen")
}

fn catalogue(inventory: &Path) -> Vec<Value> {
    let output = run(&[
        "secrets",
        "--format",
        "json",
        "--inventory",
        &inventory.display().to_string(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn names(catalogue: &[Value]) -> BTreeSet<String> {
    catalogue
        .iter()
        .flat_map(|file| file["secrets"].as_array().cloned().unwrap_or_default())
        .map(|secret| secret["name"].as_str().expect("a name").to_owned())
        .collect()
}

/// The secrets the rendered modules declare or read, by name.
fn read_by_modules(inventory: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in render(inventory)
        .iter()
        .filter(|file| file.path.ends_with(".nix"))
    {
        for marker in ["sops.secrets.", "sops.placeholder."] {
            for (start, _) in file.contents.match_indices(marker) {
                let name: String = file.contents[start + marker.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                names.insert(name);
            }
        }
    }
    names
}

#[test]
fn the_list_is_what_the_modules_read() {
    let mut inventories = vec![root().join("inventory.yaml")];
    for entry in std::fs::read_dir(root().join("tests/fixtures/valid")).expect("fixtures") {
        inventories.push(entry.expect("fixture").path().join("inventory.yaml"));
    }
    for inventory in inventories {
        assert_eq!(
            names(&catalogue(&inventory)),
            read_by_modules(&inventory),
            "{}",
            inventory.display()
        );
    }
}

#[test]
fn the_runbook_names_every_file_and_secret() {
    let runbook = std::fs::read_to_string(root().join("generated/BOOTSTRAP.md")).expect("runbook");
    for file in catalogue(&root().join("inventory.yaml")) {
        let path = file["path"].as_str().expect("a path");
        let section = runbook
            .split("\n### ")
            .find(|section| section.starts_with(&format!("`{path}`")))
            .unwrap_or_else(|| panic!("BOOTSTRAP.md has no section for {path}"));
        for secret in file["secrets"].as_array().expect("secrets") {
            let name = secret["name"].as_str().expect("a name");
            assert!(section.contains(&format!("`{name}`")), "{path}: no {name}");
        }
    }
}

/// The example's sops files, copied into a new output directory and changed by `change`.
fn checked(change: impl FnOnce(&Path)) -> (Output, Vec<Value>) {
    let out = tempfile::tempdir().expect("temporary directory");
    let secrets = out.path().join("secrets");
    std::fs::create_dir(&secrets).expect("secrets directory");
    for entry in std::fs::read_dir(root().join("generated/secrets")).expect("example secrets") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, secrets.join(path.file_name().expect("a name"))).expect("copy");
    }
    change(&secrets);
    let out_arg = out.path().display().to_string();
    let output = run(&["secrets", "check", "--out", &out_arg, "--format", "json"]);
    let findings = serde_json::from_slice(&output.stdout).expect("JSON findings");
    (output, findings)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{} lacks {from}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

fn codes(findings: &[Value]) -> Vec<&str> {
    findings
        .iter()
        .filter_map(|finding| finding["code"].as_str())
        .collect()
}

#[test]
fn the_example_secrets_pass_the_check() {
    let (output, findings) = checked(|_| {});
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_missing_key_fails_the_check() {
    let (output, findings) = checked(|secrets| {
        let file = secrets.join("quorum.yaml");
        let text = std::fs::read_to_string(&file).expect("read");
        let kept: Vec<&str> = text
            .lines()
            .filter(|line| !line.starts_with("nomad-gossip-key:"))
            .collect();
        std::fs::write(&file, kept.join("\n")).expect("write");
    });
    assert_eq!(codes(&findings), ["secrets::missing-key"]);
    assert_eq!(findings[0]["key"], "nomad-gossip-key");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn an_extra_key_fails_in_a_shared_file_and_is_a_warning_in_a_hosts_own() {
    let extra = "forgotten: ENC[AES256_GCM,data:ZHVtbXk=,iv:AA==,tag:AA==,type:str]\nsops:";
    let (output, findings) =
        checked(|secrets| edit(&secrets.join("cluster-members.yaml"), "sops:", extra));
    assert_eq!(codes(&findings), ["secrets::unused-key"]);
    assert_eq!(output.status.code(), Some(1));
    let (output, findings) = checked(|secrets| edit(&secrets.join("c1.yaml"), "sops:", extra));
    assert_eq!(codes(&findings), ["secrets::unused-host-key"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_wrong_recipient_fails_the_check() {
    // quorum.yaml encrypted to a worker's key instead of c3's.
    let (output, findings) = checked(|secrets| {
        edit(
            &secrets.join("quorum.yaml"),
            "age1ur7dfnjw858rmcy37g2ptwmu6qgl4s5gcsszp2re72xz5su8m7ds905xst",
            "age1z266zre6z8ns3hz5z2pnc3at0smg5gdealse9yme8my8nnngxqvqr9jkx7",
        );
    });
    assert_eq!(
        codes(&findings),
        ["secrets::wrong-recipients", "secrets::wrong-recipients"]
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn plain_text_and_missing_files_fail_the_check() {
    let (_, findings) = checked(|secrets| {
        edit(
            &secrets.join("c2.yaml"),
            "kopia-password: ENC[",
            "kopia-password: hunter2 # ENC[",
        );
        std::fs::remove_file(secrets.join("nfs-services.yaml")).expect("remove");
    });
    assert_eq!(
        codes(&findings),
        ["secrets::missing-file", "secrets::not-encrypted"]
    );
}
