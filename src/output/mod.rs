//! Output: the plan against disk, and applying it safely.
//!
//! Runs only after every file rendered and parsed. Each file is written to a
//! temporary file beside its destination and renamed over it, so it is always
//! either old or new. The manifest is written first as the union of what was and
//! what will be owned, and last as what is owned: a run cut short at any point
//! leaves a tree the next render recognises and completes.

pub mod diff;
pub mod manifest;
pub mod plan;

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::Error;
use crate::output::manifest::{MANIFEST, Manifest};
use crate::output::plan::{Action, Plan, destination};

/// Temporary files are named so; a render killed before renaming one leaves it behind.
pub const TEMPORARY_PREFIX: &str = ".gen-tmp-";

/// The file system operations a render performs, so failures can be injected in tests.
pub trait Disk {
    /// Replaces `path` with `contents` atomically, creating parent directories.
    fn write(&mut self, path: &Path, contents: &[u8]) -> io::Result<()>;
    /// Removes the file at `path`.
    fn remove(&mut self, path: &Path) -> io::Result<()>;
}

/// The real file system.
pub struct RealDisk;

impl Disk for RealDisk {
    fn write(&mut self, path: &Path, contents: &[u8]) -> io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let mut temporary = tempfile::Builder::new()
            .prefix(TEMPORARY_PREFIX)
            .tempfile_in(dir)?;
        temporary.write_all(contents)?;
        // Temporary files are private; generated files are read like any source file.
        temporary
            .as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))?;
        temporary.as_file().sync_all()?;
        temporary.persist(path).map_err(|error| error.error)?;
        Ok(())
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }
}

/// What applying a plan did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub written: Vec<String>,
    pub removed: Vec<String>,
    pub kept: usize,
}

/// Applies a plan. Conflicts stop it before anything is touched, unless `force`.
pub fn apply(plan: &Plan, force: bool, disk: &mut dyn Disk) -> Result<Applied, Error> {
    let conflicts: Vec<_> = plan.conflicts().collect();
    if !force && !conflicts.is_empty() {
        return Err(Error::Conflicts {
            files: conflicts
                .iter()
                .map(|(entry, conflict)| (entry.path.clone(), conflict.reason()))
                .collect(),
            diff: diff::unified(conflicts.iter().map(|(entry, _)| *entry)),
        });
    }
    let write = |disk: &mut dyn Disk, relative: &str, contents: &[u8]| {
        let path = destination(&plan.out, relative)?;
        disk.write(&path, contents)
            .map_err(|source| Error::Write { path, source })
    };
    if !plan.is_current() {
        write(disk, MANIFEST, &transition_manifest(plan).to_bytes()?)?;
    }
    remove_leftover_temporaries(plan);
    let mut applied = Applied::default();
    for entry in &plan.entries {
        match (entry.action, &entry.new) {
            (Action::Keep, _) => applied.kept += 1,
            (Action::Create | Action::Update | Action::Refuse(_), Some(new)) => {
                write(disk, &entry.path, new)?;
                applied.written.push(entry.path.clone());
            }
            (Action::Remove | Action::Refuse(_), None) => {
                let path = destination(&plan.out, &entry.path)?;
                disk.remove(&path).map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
                remove_empty_parents(&plan.out, &path);
                applied.removed.push(entry.path.clone());
            }
            (Action::Create | Action::Update, None) | (Action::Remove, Some(_)) => {}
        }
    }
    if !plan.manifest_current {
        write(disk, MANIFEST, &plan.manifest.to_bytes()?)?;
    }
    Ok(applied)
}

/// Owned during the run: everything owned before (with the hash still on disk)
/// and everything about to be written.
fn transition_manifest(plan: &Plan) -> Manifest {
    let mut manifest = plan.previous.clone();
    for (path, hash) in &plan.manifest.files {
        manifest
            .files
            .entry(path.clone())
            .or_insert_with(|| hash.clone());
    }
    manifest.note.clone_from(&plan.manifest.note);
    manifest
}

/// Temporary files of an earlier, killed render, in the directories gen writes to.
fn remove_leftover_temporaries(plan: &Plan) {
    let dirs: std::collections::BTreeSet<&Path> = plan
        .entries
        .iter()
        .filter_map(|entry| Path::new(&entry.path).parent())
        .collect();
    for dir in dirs {
        let Ok(listing) = fs::read_dir(plan.out.join(dir)) else {
            continue;
        };
        for entry in listing.flatten() {
            let is_temporary = entry
                .file_name()
                .to_string_lossy()
                .starts_with(TEMPORARY_PREFIX);
            if is_temporary && entry.file_type().is_ok_and(|kind| kind.is_file()) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Directories left empty by a removal go too, up to the output directory.
fn remove_empty_parents(out: &Path, removed: &Path) {
    let mut dir = removed.parent();
    while let Some(current) = dir {
        if current == out || fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}
