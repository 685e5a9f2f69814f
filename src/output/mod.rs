//! Output: the plan against disk, and applying it safely.
//!
//! Runs only after every file rendered and parsed. Each file is written to a
//! temporary file beside its destination and renamed over it, so it is always
//! either old or new. The manifest is written first as the union of what was and
//! what will be owned, and last as what is owned: a run cut short at any point
//! leaves a tree the next render recognises and completes.
//!
//! Durability costs a few file system syncs per render, not one per file: every
//! temporary file is written, then one `syncfs` makes their contents durable
//! before any is renamed into place; another makes the renames durable before
//! the final manifest records them (a first render's transition manifest is
//! already the final one). When `render` returns, every file is on disk.
//!
//! A first render, into a directory that is not there, writes the whole tree
//! into a new directory beside it under its final names, makes it durable, and
//! renames it into place: a crash leaves no output directory (and a staged one,
//! which the next render removes) or all of it, for one rename in all.

pub mod diff;
pub mod manifest;
pub mod plan;
pub mod reuse;

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::Error;
use crate::output::manifest::{MANIFEST, Manifest};
use crate::output::plan::{Action, Destinations, Plan, destination};

/// Temporary files are named so; a render killed before renaming one leaves it behind.
pub const TEMPORARY_PREFIX: &str = ".gen-tmp-";

/// The file system operations a render performs, so failures can be injected in tests.
pub trait Disk {
    /// Writes `contents` to a new temporary file beside `path`, creating the
    /// directory; returns the temporary file. Not yet durable.
    fn stage(&mut self, path: &Path, contents: &[u8]) -> io::Result<PathBuf>;
    /// Makes everything written so far on `dir`'s file system durable.
    fn sync(&mut self, dir: &Path) -> io::Result<()>;
    /// Renames a staged file over its destination.
    fn commit(&mut self, staged: &Path, path: &Path) -> io::Result<()>;
    /// Stages each file as [`Disk::stage`] does, in any order; the result of
    /// each file tried, in order. This one stops at the first failure.
    fn stage_all(&mut self, files: &[(PathBuf, &[u8])]) -> Vec<io::Result<PathBuf>> {
        until_failure(files, |(path, contents)| self.stage(path, contents))
    }
    /// Commits each staged file as [`Disk::commit`] does, in any order; the
    /// result of each file tried, in order. This one stops at the first failure.
    fn commit_all(&mut self, files: &[(&Path, &Path)]) -> Vec<io::Result<()>> {
        until_failure(files, |(staged, path)| self.commit(staged, path))
    }
    /// Removes the file at `path`.
    fn remove(&mut self, path: &Path) -> io::Result<()>;
    /// Makes a new, empty directory beside `dir` (named after it, see
    /// [`staging_prefix`]), creating their parent; returns it.
    fn stage_directory(&mut self, dir: &Path) -> io::Result<PathBuf>;
    /// Renames the staged directory to `dir`, where nothing may be yet.
    fn publish(&mut self, staged: &Path, dir: &Path) -> io::Result<()>;
    /// Writes `contents` to a new file at `path`, creating its directory. Not yet durable.
    fn create(&mut self, path: &Path, contents: &[u8]) -> io::Result<()>;
    /// Creates each file as [`Disk::create`] does, in any order; the result of
    /// each file tried, in order. This one stops at the first failure.
    fn create_all(&mut self, files: &[(PathBuf, &[u8])]) -> Vec<io::Result<()>> {
        until_failure(files, |(path, contents)| self.create(path, contents))
    }
}

/// The result of `each` for every item in turn, up to the first failure.
fn until_failure<T, R>(
    items: &[T],
    mut each: impl FnMut(&T) -> io::Result<R>,
) -> Vec<io::Result<R>> {
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let result = each(item);
        let failed = result.is_err();
        results.push(result);
        if failed {
            break;
        }
    }
    results
}

/// The real file system.
pub struct RealDisk;

/// Creating and renaming files costs mostly system time, which runs on every
/// core: the real disk stages and commits many files in parallel, one
/// directory per thread at a time (see [`by_directory`]).
impl Disk for RealDisk {
    fn stage(&mut self, path: &Path, contents: &[u8]) -> io::Result<PathBuf> {
        fs::create_dir_all(parent_of(path))?;
        stage_file(path, contents)
    }

    fn stage_all(&mut self, files: &[(PathBuf, &[u8])]) -> Vec<io::Result<PathBuf>> {
        by_directory(
            files,
            |(path, _)| path,
            |dir| fs::create_dir_all(dir),
            |(path, contents)| stage_file(path, contents),
        )
    }

    fn commit_all(&mut self, files: &[(&Path, &Path)]) -> Vec<io::Result<()>> {
        by_directory(
            files,
            |(_, path)| path,
            |_| Ok(()),
            |(staged, path)| fs::rename(staged, path),
        )
    }

    fn sync(&mut self, dir: &Path) -> io::Result<()> {
        let handle = fs::File::open(dir)?;
        rustix::fs::syncfs(&handle).map_err(io::Error::from)
    }

    fn commit(&mut self, staged: &Path, path: &Path) -> io::Result<()> {
        fs::rename(staged, path)
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn stage_directory(&mut self, dir: &Path) -> io::Result<PathBuf> {
        let prefix = staging_prefix(dir)
            .ok_or_else(|| io::Error::other("the output directory has no name"))?;
        fs::create_dir_all(parent_of(dir))?;
        let staged = tempfile::Builder::new()
            .prefix(&prefix)
            .rand_bytes(STAGING_SUFFIX_LEN)
            .make_in(parent_of(dir), |path| fs::create_dir(path))?;
        staged.into_temp_path().keep().map_err(|error| error.error)
    }

    fn publish(&mut self, staged: &Path, dir: &Path) -> io::Result<()> {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, staged, CWD, dir, RenameFlags::NOREPLACE) {
            // A file system that cannot refuse to replace (NFS before Linux 6.x).
            Err(rustix::io::Errno::INVAL) if is_absent(dir) => fs::rename(staged, dir),
            result => result.map_err(io::Error::from),
        }
    }

    fn create(&mut self, path: &Path, contents: &[u8]) -> io::Result<()> {
        fs::create_dir_all(parent_of(path))?;
        create_file(path, contents)
    }

    fn create_all(&mut self, files: &[(PathBuf, &[u8])]) -> Vec<io::Result<()>> {
        by_directory(
            files,
            |(path, _)| path,
            |dir| fs::create_dir_all(dir),
            |(path, contents)| create_file(path, contents),
        )
    }
}

/// Random characters that end the name of a staged directory.
const STAGING_SUFFIX_LEN: usize = 6;

/// The start of the name of a directory staged to become `dir`, when `dir` has
/// a name short enough to make one.
pub fn staging_prefix(dir: &Path) -> Option<String> {
    const NAME_MAX: usize = 255;
    let name = dir.file_name()?.to_str()?;
    let prefix = format!("{TEMPORARY_PREFIX}{name}.");
    (prefix.len() + STAGING_SUFFIX_LEN <= NAME_MAX).then_some(prefix)
}

/// Whether `name` is one gen gives a directory staged under `prefix`.
fn is_staged_name(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix).is_some_and(|suffix| {
        suffix.len() == STAGING_SUFFIX_LEN && suffix.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// An exclusive lock on the directory at `path`, held while the handle lives:
/// a render staging it holds it, so another never takes it for a crash's leftover.
fn lock_directory(path: &Path, wait: bool) -> io::Result<fs::File> {
    use rustix::fs::{FlockOperation, flock};
    let handle = fs::File::open(path)?;
    let operation = if wait {
        FlockOperation::LockExclusive
    } else {
        FlockOperation::NonBlockingLockExclusive
    };
    flock(&handle, operation)?;
    Ok(handle)
}

/// The directory holding `path`; `.` for a bare name.
fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `each` of `items`, in parallel across directories and in turn within one;
/// the result of each item, in order. Creating, renaming or making a directory
/// entry locks the directory: threads that shared one would only spin on its
/// lock, and a directory's first item makes it (`prepare`) once, not per file.
/// Items of one directory are adjacent, as paths in path order are; the largest
/// directories start first, so the others fill the remaining threads.
fn by_directory<T: Sync, R: Send>(
    items: &[T],
    path: impl Fn(&T) -> &Path + Sync,
    prepare: impl Fn(&Path) -> io::Result<()> + Sync,
    each: impl Fn(&T) -> io::Result<R> + Sync,
) -> Vec<io::Result<R>> {
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if parent_of(path(&items[run.start])) == parent_of(path(item)) => {
                run.end = index + 1;
            }
            _ => runs.push(index..index + 1),
        }
    }
    runs.sort_by_key(|run| std::cmp::Reverse(run.len()));
    let mut done: Vec<(usize, io::Result<R>)> = runs
        .into_par_iter()
        .flat_map_iter(|run| {
            let prepared = prepare(parent_of(path(&items[run.start])));
            run.map(|index| {
                let result = match &prepared {
                    Ok(()) => each(&items[index]),
                    Err(error) => Err(same_error(error)),
                };
                (index, result)
            })
            .collect::<Vec<_>>()
        })
        .collect();
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// `error` again, for another file of the directory it stopped: the same
/// system error where it is one.
fn same_error(error: &io::Error) -> io::Error {
    error.raw_os_error().map_or_else(
        || io::Error::new(error.kind(), error.to_string()),
        io::Error::from_raw_os_error,
    )
}

/// Writes `contents` to a new temporary file beside `path`, whose directory exists.
fn stage_file(path: &Path, contents: &[u8]) -> io::Result<PathBuf> {
    let mut temporary = tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .tempfile_in(parent_of(path))?;
    temporary.write_all(contents)?;
    // Temporary files are private; generated files are read like any source file.
    temporary
        .as_file()
        .set_permissions(fs::Permissions::from_mode(0o644))?;
    temporary
        .into_temp_path()
        .keep()
        .map_err(|error| error.error)
}

/// Writes `contents` to a new file at `path`, whose directory exists, read like
/// any source file.
fn create_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(contents)?;
    file.set_permissions(fs::Permissions::from_mode(0o644))
}

/// Replaces the user's file at `path` with `contents`, as an editor that keeps
/// backups would: a sibling written and synced, then renamed over it, with the
/// file's permissions. A crash leaves the old file or the new one.
pub fn replace_file(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let failed = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    let permissions = fs::metadata(path).map_err(failed)?.permissions();
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .tempfile_in(dir)
        .map_err(failed)?;
    temporary.write_all(contents).map_err(failed)?;
    temporary
        .as_file()
        .set_permissions(permissions)
        .map_err(failed)?;
    temporary.as_file().sync_all().map_err(failed)?;
    temporary
        .persist(path)
        .map_err(|error| failed(error.error))?;
    fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(failed)
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
    remove_leftover_temporaries(plan);
    remove_leftover_staged_directories(&plan.out);
    let mut writer = Writer {
        out: &plan.out,
        disk,
        staged: VecDeque::new(),
        staged_directory: None,
    };
    let applied = if is_absent(&plan.out) && staging_prefix(&plan.out).is_some() {
        writer.publish(plan)
    } else {
        writer.apply(plan)
    };
    // What was staged but never renamed, after a failure; the next run would clear it too.
    for (temporary, _, _) in &writer.staged {
        let _ = fs::remove_file(temporary);
    }
    if let Some(dir) = &writer.staged_directory {
        let _ = fs::remove_dir_all(dir);
    }
    applied
}

/// Whether nothing is at `path`, not even a link.
fn is_absent(path: &Path) -> bool {
    matches!(fs::symlink_metadata(path), Err(error) if error.kind() == io::ErrorKind::NotFound)
}

/// Applying a plan: the disk, and the files staged and not yet renamed into place.
struct Writer<'a> {
    out: &'a Path,
    disk: &'a mut dyn Disk,
    /// Temporary file, destination and output path of each staged file.
    staged: VecDeque<(PathBuf, PathBuf, String)>,
    /// The directory a first render writes, until it is renamed into place.
    staged_directory: Option<PathBuf>,
}

impl Writer<'_> {
    /// A first render: the whole tree written into a directory beside the
    /// output directory, made durable, then renamed to it at once.
    fn publish(&mut self, plan: &Plan) -> Result<Applied, Error> {
        let failed = |path: PathBuf| move |source| Error::Write { path, source };
        // `out` by its name beside the staged directory (`generated/.` is `generated`).
        let target = match self.out.file_name() {
            Some(name) => parent_of(self.out).join(name),
            None => self.out.to_owned(),
        };
        let staged = self
            .disk
            .stage_directory(&target)
            .map_err(failed(target.clone()))?;
        self.staged_directory = Some(staged.clone());
        let _lock = lock_directory(&staged, true).map_err(failed(staged.clone()))?;
        let manifest = plan.manifest.to_bytes()?;
        let mut relative = vec![MANIFEST];
        let mut files = vec![(staged.join(MANIFEST), manifest.as_slice())];
        let mut places = Destinations::new(&staged);
        for entry in &plan.entries {
            if let Some(new) = &entry.new {
                files.push((places.of(&entry.path)?, new.as_slice()));
                relative.push(&entry.path);
            }
        }
        let mut results = self.disk.create_all(&files).into_iter();
        for path in &relative {
            let result = results
                .next()
                .unwrap_or_else(|| Err(io::Error::other("not written")));
            result.map_err(failed(target.join(path)))?;
        }
        self.disk.sync(&staged).map_err(failed(target.clone()))?;
        self.disk
            .publish(&staged, &target)
            .map_err(failed(target.clone()))?;
        self.staged_directory = None;
        self.sync()?;
        Ok(Applied {
            written: relative
                .iter()
                .skip(1)
                .map(|path| (*path).to_owned())
                .collect(),
            ..Applied::default()
        })
    }

    fn apply(&mut self, plan: &Plan) -> Result<Applied, Error> {
        let transition = if plan.is_current() {
            None
        } else {
            Some(transition_manifest(plan).to_bytes()?)
        };
        if let Some(transition) = &transition {
            self.stage(MANIFEST, transition)?;
        }
        let mut applied = Applied::default();
        let mut changed = Vec::new();
        for entry in &plan.entries {
            match (entry.action, &entry.new) {
                (Action::Keep, _) => applied.kept += 1,
                (Action::Create | Action::Update | Action::Refuse(_), Some(new)) => {
                    changed.push((entry.path.as_str(), new.as_slice()));
                }
                _ => {}
            }
        }
        self.stage_all(&changed)?;
        // The transition manifest is in place, durably, before any file changes.
        if transition.is_some() {
            self.sync()?;
            self.commit_next()?;
            self.sync()?;
        }
        applied.written = self.commit_staged()?;
        for entry in &plan.entries {
            if matches!(entry.action, Action::Remove | Action::Refuse(_)) && entry.new.is_none() {
                self.remove(&entry.path)?;
                applied.removed.push(entry.path.clone());
            }
        }
        self.sync()?;
        let manifest = plan.manifest.to_bytes()?;
        // Where nothing was owned that is not owned now, with the same hash (a
        // first render, files only added), the transition manifest is the final one.
        if !plan.manifest_current && transition.as_ref() != Some(&manifest) {
            self.stage(MANIFEST, &manifest)?;
            self.sync()?;
            self.commit_next()?;
            self.sync()?;
        }
        Ok(applied)
    }

    fn stage(&mut self, relative: &str, contents: &[u8]) -> Result<(), Error> {
        let path = destination(self.out, relative)?;
        let temporary = self
            .disk
            .stage(&path, contents)
            .map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        self.staged
            .push_back((temporary, path, relative.to_owned()));
        Ok(())
    }

    /// Stages every file of `files` (output path and contents); on a failure,
    /// those staged are still recorded, to be cleared.
    fn stage_all(&mut self, files: &[(&str, &[u8])]) -> Result<(), Error> {
        let mut places = Destinations::new(self.out);
        let destinations = files
            .iter()
            .map(|(relative, contents)| Ok((places.of(relative)?, *contents)))
            .collect::<Result<Vec<_>, Error>>()?;
        let results = self.disk.stage_all(&destinations);
        let mut first_failure = None;
        for ((relative, _), ((path, _), result)) in
            files.iter().zip(destinations.into_iter().zip(results))
        {
            match result {
                Ok(temporary) => self
                    .staged
                    .push_back((temporary, path, (*relative).to_owned())),
                Err(source) => {
                    first_failure.get_or_insert(Error::Write { path, source });
                }
            }
        }
        first_failure.map_or(Ok(()), Err)
    }

    /// Renames every staged file into place; returns their output paths. On
    /// a failure, those not renamed stay staged, to be cleared.
    fn commit_staged(&mut self) -> Result<Vec<String>, Error> {
        let staged: Vec<_> = self.staged.drain(..).collect();
        let moves: Vec<(&Path, &Path)> = staged
            .iter()
            .map(|(temporary, path, _)| (temporary.as_path(), path.as_path()))
            .collect();
        let results = self.disk.commit_all(&moves);
        let mut committed = Vec::with_capacity(staged.len());
        let mut first_failure = None;
        let mut results = results.into_iter();
        for (temporary, path, relative) in staged {
            match results.next() {
                Some(Ok(())) => committed.push(relative),
                Some(Err(source)) => {
                    first_failure.get_or_insert(Error::Write {
                        path: path.clone(),
                        source,
                    });
                    self.staged.push_back((temporary, path, relative));
                }
                None => self.staged.push_back((temporary, path, relative)),
            }
        }
        first_failure.map_or(Ok(committed), Err)
    }

    /// Renames the first staged file into place; returns its output path.
    fn commit_next(&mut self) -> Result<String, Error> {
        let Some((temporary, path, relative)) = self.staged.pop_front() else {
            return Err(Error::Write {
                path: self.out.to_owned(),
                source: io::Error::other("nothing staged to rename"),
            });
        };
        if let Err(source) = self.disk.commit(&temporary, &path) {
            self.staged.push_front((temporary, path.clone(), relative));
            return Err(Error::Write { path, source });
        }
        Ok(relative)
    }

    fn remove(&mut self, relative: &str) -> Result<(), Error> {
        let path = destination(self.out, relative)?;
        self.disk.remove(&path).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        remove_empty_parents(self.out, &path);
        Ok(())
    }

    fn sync(&mut self) -> Result<(), Error> {
        self.disk.sync(self.out).map_err(|source| Error::Write {
            path: self.out.to_owned(),
            source,
        })
    }
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
///
/// A render stages a file only to change it, so a temporary file it left beside
/// one means that file, or the manifest, is not what the inventory renders.
/// When the whole tree is, only the final manifest's temporary, staged in the
/// output directory itself, can be left: only that directory is looked at.
fn remove_leftover_temporaries(plan: &Plan) {
    let dirs: std::collections::BTreeSet<&Path> = if plan.is_current() {
        std::iter::once(Path::new("")).collect()
    } else {
        plan.entries
            .iter()
            .filter_map(|entry| Path::new(&entry.path).parent())
            .collect()
    };
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

/// Directories a first render into `out` staged and a crash left beside it:
/// named as gen names them, and locked by no render still running.
fn remove_leftover_staged_directories(out: &Path) {
    let (Some(prefix), Ok(listing)) = (staging_prefix(out), fs::read_dir(parent_of(out))) else {
        return;
    };
    for entry in listing.flatten() {
        let is_staged = is_staged_name(&entry.file_name().to_string_lossy(), &prefix);
        if is_staged
            && entry.file_type().is_ok_and(|kind| kind.is_dir())
            && let Ok(_lock) = lock_directory(&entry.path(), false)
        {
            let _ = fs::remove_dir_all(entry.path());
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    use super::by_directory;

    #[test]
    fn each_directory_is_prepared_once_and_results_keep_their_order() {
        let paths: Vec<PathBuf> = [
            "flake.nix",
            "hosts/a/x",
            "hosts/a/y",
            "hosts/b/x",
            "s/1",
            "s/2",
            "s/3",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let prepared = Mutex::new(Vec::new());
        let results = by_directory(
            &paths,
            PathBuf::as_path,
            |dir| {
                prepared
                    .lock()
                    .map_err(|_| std::io::Error::other("poisoned"))?
                    .push(dir.to_owned());
                if dir == Path::new("hosts/b") {
                    return Err(std::io::Error::from_raw_os_error(28));
                }
                Ok(())
            },
            |path| Ok(path.display().to_string()),
        );
        let written: Vec<String> = results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|error| format!("error {:?}", error.raw_os_error()))
            })
            .collect();
        assert_eq!(
            written,
            [
                "flake.nix",
                "hosts/a/x",
                "hosts/a/y",
                "error Some(28)",
                "s/1",
                "s/2",
                "s/3"
            ]
        );
        let mut prepared = prepared.into_inner().unwrap_or_default();
        prepared.sort();
        let expected: Vec<PathBuf> = [".", "hosts/a", "hosts/b", "s"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(prepared, expected);
    }
}
