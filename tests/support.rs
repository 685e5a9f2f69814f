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

/// Whether `nix-instantiate` is missing. Then says so on the terminal itself,
/// past the test harness's capture, so a skipped check is never a silent pass.
pub fn nix_is_missing(check: &str) -> bool {
    use std::io::Write;
    let missing = std::process::Command::new("nix-instantiate")
        .arg("--version")
        .output()
        .is_err();
    if missing {
        let _ = writeln!(
            std::io::stderr(),
            "NOT RUN: {check}: nix-instantiate is not installed (.ci/run installs Debian's nix-bin)"
        );
    }
    missing
}
