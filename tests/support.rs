//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use flakegen::render::RenderedFile;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `gen` binary, with its cache of earlier renders under the build's
/// temporary directory, not the developer's home (a test may set its own).
pub fn gen_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gen"));
    command.env(
        "XDG_CACHE_HOME",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache"),
    );
    command
}

/// Renders an inventory, failing the test with the error when it does not render.
pub fn render(inventory: &Path) -> Vec<RenderedFile> {
    flakegen::render_inventory(inventory)
        .unwrap_or_else(|error| panic!("{} does not render: {error}", inventory.display()))
}

/// Writes `text` as `inventory.yaml` in a new temporary directory.
pub fn inventory_in_tempdir(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("inventory.yaml");
    std::fs::write(&path, text).expect("write inventory");
    (dir, path)
}

/// Strings that exercise every escape, mixed with anything at all.
pub fn tricky_string() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let pieces = prop_oneof![
        Just("${".to_owned()),
        Just("$${".to_owned()),
        Just("%{".to_owned()),
        Just("''".to_owned()),
        Just("\\".to_owned()),
        Just("\"".to_owned()),
        Just("\n".to_owned()),
        Just("\t".to_owned()),
        Just("\r".to_owned()),
        Just("$".to_owned()),
        any::<String>(),
    ];
    proptest::collection::vec(pieces, 0..8).prop_map(|pieces| pieces.concat())
}

/// [`tricky_string`] without NUL, which Nix strings cannot hold.
pub fn no_nul() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::strategy::Strategy;
    tricky_string().prop_map(|text| text.replace('\0', ""))
}

/// The smallest valid inventory with a quorum: three servers, nothing else.
pub fn three_servers() -> serde_json::Value {
    let server = |address: &str| {
        serde_json::json!({
            "address": address,
            "roles": ["cluster-member", "nomad-worker", "nomad-server"]
        })
    };
    serde_json::json!({
        "cluster": {
            "name": "lab",
            "domain": "lab.lan",
            "state_version": "25.05",
            "nixpkgs": "github:NixOS/nixpkgs/nixos-25.05",
            "admin": {
                "user": "admin",
                "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIS6wbAFLNEa1UIqDnH73dDDNzBhGFXgOj+U3n95UK19 admin@lab"]
            }
        },
        "hosts": {
            "s1": server("10.0.0.1"),
            "s2": server("10.0.0.2"),
            "s3": server("10.0.0.3")
        }
    })
}
