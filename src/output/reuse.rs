//! What an earlier render of the same output directory can spare this one.
//!
//! Rendering a file, laying it out and checking it cost most of a render. Two
//! digests say when that work would give the bytes already on disk, by this
//! same build of gen: the digest of what feeds the file's template (the whole
//! cluster view, the user's templates, the header and the path), which spares
//! the template too, and the digest of the template's output, which spares
//! the layout and the check when the view changed elsewhere. Such a file is
//! read back instead. When the inventory itself is the one that made the
//! files (the same bytes, with the same templates), every file is read back
//! and the inventory is not even parsed. The cache that holds the digests
//! lives outside the output directory (it is no part of the flake), in the
//! user's cache directory; losing it only costs time.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::manifest::{hash, hex};
use super::plan::{OnDisk, OutDir, read};
use crate::render::{RenderedFile, Target};

/// The files of one output directory that may be read back instead of laid out.
#[derive(Debug, Default)]
pub struct Reuse {
    /// The output directory, when there is one to read from.
    out: Option<PathBuf>,
    /// The same, opened.
    dir: Option<OutDir>,
    files: BTreeMap<String, Produced>,
    /// The inventory that made `files`, when it may be trusted without reading it.
    inventory: Option<Known>,
    /// Files already read back, for renders that share this reuse (`gen plan`
    /// renders twice); `None` for one render, which reads each file once.
    read_back: Option<std::sync::Mutex<HashMap<String, String>>>,
}

/// What made a file and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Produced {
    /// Digest of the build and what fed the template (see [`Reuse::input`]).
    pub input: String,
    /// Digest of the build, the path, the header and the template output.
    pub source: String,
    /// `sha256:<hex>` of the file gen wrote.
    pub contents: String,
    /// The template that made it (its name, or the path of the user's
    /// override), whether that is the user's, and what for, as they were: a
    /// file read back whole is not checked again, and these only name a file
    /// that fails its check.
    pub template: String,
    pub overridden: bool,
    pub target: Target,
}

/// The inventory a render was made of, recorded when it raised no warning (a
/// run that does not read it could not print them): while its bytes, its file
/// name and the user's templates are the same, so is every file it renders to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    /// The inventory's `cluster.templates`, which says where the user's
    /// templates are before the inventory is read.
    pub configured_templates: Option<String>,
    /// [`Reuse::made`] of that render.
    pub made: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    build: String,
    #[serde(default)]
    inventory: Option<Known>,
    /// Ordered, so an unchanged cache is written the same and left alone.
    files: BTreeMap<String, Produced>,
}

impl Reuse {
    /// Nothing to reuse: every file is laid out and checked.
    pub fn none() -> Self {
        Self::default()
    }

    /// What the last render into `out` left, by this build of gen; nothing when
    /// there is no cache, it cannot be read, or another build wrote it.
    pub fn of(out: &Path) -> Self {
        match cache_path(out) {
            Some((cache, _)) => Self::read_from(&cache, out),
            // No output directory yet (or no cache directory): nothing to read back.
            None => Self::none(),
        }
    }

    /// [`Reuse::of`], with the cache at `cache`.
    pub fn read_from(cache: &Path, out: &Path) -> Self {
        let cached: CacheFile = std::fs::read(cache)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let (files, inventory) = if cached.build == build_id() {
            (cached.files, cached.inventory)
        } else {
            (BTreeMap::new(), None)
        };
        Self {
            out: Some(out.to_owned()),
            dir: OutDir::open(out),
            files,
            inventory,
            read_back: None,
        }
    }

    /// The digest of what a whole render is made of: this build, the
    /// inventory's file name (each file's header names it) and text, and the
    /// user's templates.
    pub fn made(inventory_name: &str, text: &str, overrides: &str) -> String {
        digest([
            build_id().as_bytes(),
            inventory_name.as_bytes(),
            text.as_bytes(),
            overrides.as_bytes(),
        ])
    }

    /// Whether no file may be read back: a first render, or one with no cache.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The inventory the cached files were rendered from, when it is known.
    pub fn known(&self) -> Option<&Known> {
        self.inventory.as_ref()
    }

    /// Every file of the last render, read back, when what `made` digests made
    /// that render and every file is still on disk as it was written; `None`
    /// as soon as one is not.
    pub fn read_back_all(&self, made: &str) -> Option<Vec<RenderedFile>> {
        if self.inventory.as_ref()?.made != made {
            return None;
        }
        self.files
            .par_iter()
            .map(|(path, produced)| {
                Some(RenderedFile {
                    path: path.clone(),
                    contents: self.as_written(path, produced)?,
                    template: produced.template.clone(),
                    overridden: produced.overridden,
                    target: produced.target.clone(),
                    input: produced.input.clone(),
                    source: produced.source.clone(),
                    reused: Some(produced.contents.clone()),
                })
            })
            .collect()
    }

    /// The digest of what makes the file at `path`.
    pub fn source(path: &str, overridden: bool, header: &str, raw: &str) -> String {
        digest([
            build_id().as_bytes(),
            path.as_bytes(),
            &[u8::from(overridden)],
            header.as_bytes(),
            raw.as_bytes(),
        ])
    }

    /// The digest of what feeds the template of the file at `path`: the
    /// digest of the cluster view (every file's context is made of it), of
    /// the user's templates, and the header.
    pub fn input(path: &str, cluster: &str, overrides: &str, header: &str) -> String {
        digest([
            build_id().as_bytes(),
            path.as_bytes(),
            cluster.as_bytes(),
            overrides.as_bytes(),
            header.as_bytes(),
        ])
    }

    /// [`Reuse::of`], for several renders: a file one of them has read back
    /// is not read from disk again by another.
    pub fn shared(out: &Path) -> Self {
        Self {
            read_back: Some(std::sync::Mutex::default()),
            ..Self::of(out)
        }
    }

    /// The file at `path` as the last render wrote it, and the digest of its
    /// template's output, when what feeds its template, `input`, made it and
    /// it is still on disk unchanged.
    pub fn unchanged(&self, path: &str, input: &str) -> Option<(String, &Produced)> {
        let produced = self
            .files
            .get(path)
            .filter(|produced| produced.input == input)?;
        Some((self.as_written(path, produced)?, produced))
    }

    /// The file at `path` as the last render wrote it, and its digest, when
    /// `source` made it and it is still on disk unchanged.
    pub fn contents(&self, path: &str, source: &str) -> Option<(String, String)> {
        let produced = self
            .files
            .get(path)
            .filter(|produced| produced.source == source)?;
        Some((self.as_written(path, produced)?, produced.contents.clone()))
    }

    /// The file at `path`, when it is still on disk as `produced` says.
    fn as_written(&self, path: &str, produced: &Produced) -> Option<String> {
        let Some(read_back) = &self.read_back else {
            return self.read(path, produced);
        };
        let known = read_back
            .lock()
            .ok()
            .and_then(|read| read.get(path).cloned());
        if known.is_some() {
            return known;
        }
        let contents = self.read(path, produced)?;
        if let Ok(mut read) = read_back.lock() {
            read.insert(path.to_owned(), contents.clone());
        }
        Some(contents)
    }

    fn read(&self, path: &str, produced: &Produced) -> Option<String> {
        // Only a regular file reached without a symbolic link, as the plan reads.
        let Ok(OnDisk::File(bytes)) = read(self.out.as_ref()?, self.dir.as_ref(), path) else {
            return None;
        };
        (hash(&bytes) == produced.contents)
            .then(|| String::from_utf8(bytes).ok())
            .flatten()
    }

    /// Records what made each file now in `out`, and the inventory that made
    /// them all, for the next render. A cache that cannot be written is left
    /// alone: it only saves time. Writing one also removes the caches of
    /// output directories that are gone (scratch renders, tests), which would
    /// otherwise pile up.
    pub fn save(
        out: &Path,
        files: impl IntoIterator<Item = (String, Produced)>,
        inventory: Option<Known>,
    ) {
        let Some((cache, out)) = cache_path(out) else {
            return;
        };
        // Named before written: a cache is never without the name of its directory.
        let owner = cache.with_extension(OWNER);
        if std::fs::read(&owner).ok().as_deref() != Some(out.as_os_str().as_bytes()) {
            write_whole(&owner, out.as_os_str().as_bytes());
        }
        if Self::write_to(&cache, files, inventory)
            && let Some(dir) = cache.parent()
        {
            remove_orphans(dir);
        }
    }

    /// [`Reuse::save`], with the cache at `path`, and without the output
    /// directory's name: whether the cache was written (it changed).
    pub fn write_to(
        path: &Path,
        files: impl IntoIterator<Item = (String, Produced)>,
        inventory: Option<Known>,
    ) -> bool {
        let cache = CacheFile {
            build: build_id().to_owned(),
            inventory,
            files: files.into_iter().collect(),
        };
        let Ok(bytes) = serde_json::to_vec(&cache) else {
            return false;
        };
        if std::fs::read(path).is_ok_and(|cached| cached == bytes) {
            return false;
        }
        write_whole(path, &bytes)
    }
}

/// Writes `bytes` to `path` whole or not at all; whether it was written.
fn write_whole(path: &Path, bytes: &[u8]) -> bool {
    // A name of this run's own: two renders at once each write theirs whole.
    let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
    let written = path
        .parent()
        .is_some_and(|dir| std::fs::create_dir_all(dir).is_ok())
        && std::fs::write(&temporary, bytes).is_ok();
    if written && std::fs::rename(&temporary, path).is_err() {
        let _ = std::fs::remove_file(&temporary);
        return false;
    }
    written
}

/// Beside each cache, `<digest>.out` names the output directory it is for.
const OWNER: &str = "out";

/// Removes each cache in `dir` whose output directory is no longer there, or
/// that names none (a cache of an older gen, or one whose name was lost).
/// One removed wrongly (a disk not mounted now) only costs a render its time.
fn remove_orphans(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for cache in entries.flatten().map(|entry| entry.path()) {
        if cache.extension() != Some(OsStr::new("json")) {
            continue;
        }
        let owner = cache.with_extension(OWNER);
        let named = std::fs::read(&owner).unwrap_or_default();
        let out = Path::new(OsStr::from_bytes(&named));
        if !out.is_absolute() || !out.is_dir() {
            let _ = std::fs::remove_file(&cache);
            let _ = std::fs::remove_file(&owner);
        }
    }
}

/// The digest of `parts`, each length-prefixed so no two lists of parts share one.
pub fn digest<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update(part.len().to_le_bytes());
        digest.update(part);
    }
    hex(&digest.finalize())
}

/// The digest of `value` as JSON, written straight into the digest.
pub fn digest_of(value: &impl Serialize) -> Result<String, serde_json::Error> {
    struct Digesting(Sha256);
    impl std::io::Write for Digesting {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, Digesting(Sha256::new()));
    serde_json::to_writer(&mut buffered, value)?;
    let digesting = buffered
        .into_inner()
        .map_err(|error| serde_json::Error::io(error.into_error()))?;
    Ok(hex(&digesting.0.finalize()))
}

/// This build of gen: its version and the digest of its sources (`build.rs`).
/// A rebuilt or upgraded gen lays everything out again.
fn build_id() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), "+", env!("GEN_BUILD_ID"))
}

/// `$XDG_CACHE_HOME/flakegen/<digest of the output directory>.json`, or under
/// `~/.cache` without it, and the output directory's canonical path.
fn cache_path(out: &Path) -> Option<(PathBuf, PathBuf)> {
    // The XDG specification: a relative path is to be ignored.
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    let out = std::fs::canonicalize(out).ok()?;
    let digest = Sha256::digest(out.as_os_str().as_encoded_bytes());
    let name = hex(&digest[..12]);
    Some((base.join("flakegen").join(format!("{name}.json")), out))
}

#[cfg(test)]
mod tests {
    use super::Reuse;

    /// Each part of what makes a file changes its digest.
    #[test]
    fn digests_follow_what_makes_a_file() {
        let digest = Reuse::source("a.nix", false, "# h\n", "{ }");
        assert_eq!(digest, Reuse::source("a.nix", false, "# h\n", "{ }"));
        assert_ne!(digest, Reuse::source("a.nix", true, "# h\n", "{ }"));
        assert_ne!(digest, Reuse::source("b.nix", false, "# h\n", "{ }"));
        assert_ne!(digest, Reuse::source("a.nix", false, "# g\n", "{ }"));
        assert_ne!(digest, Reuse::source("a.nix", false, "# h\n", "{ x = 1; }"));
        let input = Reuse::input("a.nix", "c", "o", "# h\n");
        assert_eq!(input, Reuse::input("a.nix", "c", "o", "# h\n"));
        assert_ne!(input, Reuse::input("b.nix", "c", "o", "# h\n"));
        assert_ne!(input, Reuse::input("a.nix", "d", "o", "# h\n"));
        assert_ne!(input, Reuse::input("a.nix", "c", "p", "# h\n"));
        assert_ne!(input, Reuse::input("a.nix", "c", "o", "# g\n"));
        let made = Reuse::made("inventory.yaml", "hosts: {}", "o");
        assert_eq!(made, Reuse::made("inventory.yaml", "hosts: {}", "o"));
        assert_ne!(made, Reuse::made("other.yaml", "hosts: {}", "o"));
        assert_ne!(made, Reuse::made("inventory.yaml", "hosts: { }", "o"));
        assert_ne!(made, Reuse::made("inventory.yaml", "hosts: {}", "p"));
    }
}
