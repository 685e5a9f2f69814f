//! Golden files: every generated file of every valid fixture, one snapshot each,
//! named by its output path, so a snapshot diff reads like a diff of the tree.
//! The example inventory's golden files are `generated/` itself (checked in
//! `tests/golden.rs`), so they exist once.

use std::path::Path;

use libtest_mimic::{Failed, Trial};

use crate::support::{render, root};

pub fn trials() -> Vec<Trial> {
    crate::valid_fixtures()
        .into_iter()
        .map(|(name, inventory)| {
            Trial::test(format!("golden::{name}"), move || {
                snapshot_tree(&inventory, &name)
            })
        })
        .collect()
}

fn snapshot_tree(inventory: &Path, snapshot_dir: &str) -> Result<(), Failed> {
    let files = render(inventory);
    let snapshots = root().join("tests/snapshots").join(snapshot_dir);
    refuse_unreferenced_snapshots(&snapshots, &files)?;
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshots);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for file in &files {
            insta::assert_snapshot!(file.path.replace('/', "__"), file.contents);
        }
    });
    Ok(())
}

/// A snapshot of a file that is no longer generated would pass silently forever.
fn refuse_unreferenced_snapshots(
    snapshots: &Path,
    files: &[flakegen::render::RenderedFile],
) -> Result<(), Failed> {
    let Ok(entries) = std::fs::read_dir(snapshots) else {
        return Ok(());
    };
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".snap") else {
            continue;
        };
        if !files
            .iter()
            .any(|file| file.path.replace('/', "__") == stem)
        {
            return Err(format!(
                "{} is not generated any more: delete {name}",
                snapshots.display()
            )
            .into());
        }
    }
    Ok(())
}
