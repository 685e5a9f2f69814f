//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use flakegen::render::RenderedFile;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
