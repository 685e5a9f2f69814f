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
