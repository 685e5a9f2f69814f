//! The plan: what a render would do to the output directory, decided before
//! anything is touched. `gen check` and `gen diff` only read it.

use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::error::Error;
use crate::output::manifest::{MANIFEST, Manifest};
use crate::output::reuse::Produced;
use crate::render::RenderedFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Remove,
    Keep,
    Refuse(Conflict),
}

/// Why gen will not touch a path without `--force`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// gen wrote it, and it was edited since.
    EditedByHand,
    /// gen did not write it, but would write a file of that name.
    NotWrittenByGen,
    /// It is a symbolic link or a directory, not a file gen could own.
    NotAFile,
}

impl Conflict {
    pub fn reason(self) -> &'static str {
        match self {
            Self::EditedByHand => "edited by hand since gen wrote it",
            Self::NotWrittenByGen => "exists and was not written by gen",
            Self::NotAFile => "is not a regular file",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// Path under the output directory, with `/` separators.
    pub path: String,
    /// Contents on disk, when it is a readable regular file.
    pub old: Option<Vec<u8>>,
    /// Contents gen produces, when it still produces this path.
    pub new: Option<Vec<u8>>,
    pub action: Action,
}

#[derive(Debug)]
pub struct Plan {
    pub out: PathBuf,
    /// One entry per produced or previously owned path, in path order.
    pub entries: Vec<Entry>,
    /// The manifest as it is on disk.
    pub previous: Manifest,
    /// The manifest once the plan is applied.
    pub manifest: Manifest,
    /// Whether the manifest on disk already equals `manifest`.
    pub manifest_current: bool,
    /// What fed each produced file's template and what the template made, by path.
    pub sources: Vec<(String, String, String)>,
}

impl Plan {
    /// Compares rendered files with the output directory and its manifest.
    /// The rendered files move into the plan: their contents are held once.
    pub fn build(out: &Path, files: Vec<RenderedFile>) -> Result<Self, Error> {
        if out.exists() && !out.is_dir() {
            return Err(Error::OutNotADirectory {
                path: out.to_owned(),
            });
        }
        let previous = Manifest::read(out)?;
        let manifest = Manifest::from_files(
            files
                .iter()
                .map(|file| (file.path.as_str(), file.contents.as_bytes())),
        );
        let sources = files
            .iter()
            .map(|file| (file.path.clone(), file.input.clone(), file.source.clone()))
            .collect();
        // A file read back from where it is, unchanged, is kept as it is.
        let on_disk: Vec<OnDisk> = files
            .par_iter()
            .map(|file| {
                if file.reused {
                    Ok(OnDisk::Same)
                } else {
                    read(out, &file.path)
                }
            })
            .collect::<Result<_, _>>()?;
        let mut entries: Vec<Entry> = files
            .into_iter()
            .zip(on_disk)
            .map(|(file, on_disk)| {
                produced(&previous, &file.path, on_disk, file.contents.into_bytes())
            })
            .collect();
        for path in previous.files.keys() {
            if manifest.files.contains_key(path) {
                continue;
            }
            let on_disk = read(out, path)?;
            if let Some(entry) = stale(&previous, path, on_disk) {
                entries.push(entry);
            }
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let manifest_current = read(out, MANIFEST)?.into_bytes() == Some(manifest.to_bytes()?);
        Ok(Self {
            out: out.to_owned(),
            entries,
            previous,
            manifest,
            manifest_current,
            sources,
        })
    }

    /// What made each file the plan leaves, for the next render to reuse.
    pub fn produced(&self) -> impl Iterator<Item = (String, Produced)> + '_ {
        self.sources.iter().filter_map(|(path, input, source)| {
            let contents = self.manifest.files.get(path)?;
            Some((
                path.clone(),
                Produced {
                    input: input.clone(),
                    source: source.clone(),
                    contents: contents.clone(),
                },
            ))
        })
    }

    /// Entries that a render would change or refuses to change.
    pub fn changes(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|entry| entry.action != Action::Keep)
    }

    pub fn conflicts(&self) -> impl Iterator<Item = (&Entry, Conflict)> {
        self.entries.iter().filter_map(|entry| match entry.action {
            Action::Refuse(conflict) => Some((entry, conflict)),
            _ => None,
        })
    }

    /// Whether the output directory is exactly what a render would leave.
    pub fn is_current(&self) -> bool {
        self.changes().next().is_none() && self.manifest_current
    }
}

/// What is on disk at a path.
enum OnDisk {
    Missing,
    File(Vec<u8>),
    /// What the file is to hold, as it was read back to be reused.
    Same,
    NotAFile,
}

impl OnDisk {
    fn into_bytes(self) -> Option<Vec<u8>> {
        match self {
            Self::File(bytes) => Some(bytes),
            Self::Missing | Self::Same | Self::NotAFile => None,
        }
    }
}

fn produced(previous: &Manifest, path: &str, on_disk: OnDisk, new: Vec<u8>) -> Entry {
    let (old, action) = match on_disk {
        OnDisk::Missing => (None, Action::Create),
        OnDisk::NotAFile => (None, Action::Refuse(Conflict::NotAFile)),
        OnDisk::Same => (None, Action::Keep),
        // Also what a render interrupted after this file leaves behind: already new.
        OnDisk::File(old) if old == new => (None, Action::Keep),
        OnDisk::File(old) if previous.owns(path, &old) => (Some(old), Action::Update),
        OnDisk::File(old) => {
            let conflict = if previous.files.contains_key(path) {
                Conflict::EditedByHand
            } else {
                Conflict::NotWrittenByGen
            };
            (Some(old), Action::Refuse(conflict))
        }
    };
    Entry {
        path: path.to_owned(),
        old,
        new: Some(new),
        action,
    }
}

/// A path gen wrote before and no longer produces.
fn stale(previous: &Manifest, path: &str, on_disk: OnDisk) -> Option<Entry> {
    let (old, action) = match on_disk {
        OnDisk::Missing | OnDisk::Same => return None,
        OnDisk::NotAFile => (None, Action::Refuse(Conflict::NotAFile)),
        OnDisk::File(old) if previous.owns(path, &old) => (Some(old), Action::Remove),
        OnDisk::File(old) => (Some(old), Action::Refuse(Conflict::EditedByHand)),
    };
    Some(Entry {
        path: path.to_owned(),
        old,
        new: None,
        action,
    })
}

fn read(out: &Path, relative: &str) -> Result<OnDisk, Error> {
    let path = destination(out, relative)?;
    match std::fs::symlink_metadata(&path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(OnDisk::Missing),
        Err(source) => Err(Error::Read { path, source }),
        Ok(meta) if !meta.is_file() => Ok(OnDisk::NotAFile),
        Ok(_) => std::fs::read(&path)
            .map(OnDisk::File)
            .map_err(|source| Error::Read { path, source }),
    }
}

/// The place of a relative output path, refused when it could leave `out`: the
/// path must be plain and relative, and no directory on the way a symbolic link.
/// Names are validated long before; this is the second line of defence.
pub fn destination(out: &Path, relative: &str) -> Result<PathBuf, Error> {
    let unsafe_path = |reason| Error::UnsafePath {
        path: relative.to_owned(),
        reason,
    };
    let path = Path::new(relative);
    let plain = path
        .components()
        .all(|part| matches!(part, Component::Normal(_)));
    if relative.is_empty() || !plain {
        return Err(unsafe_path("only plain relative paths may be written"));
    }
    let mut ancestor = out.to_owned();
    for part in path.parent().into_iter().flat_map(Path::components) {
        ancestor.push(part);
        if ancestor.is_symlink() {
            return Err(unsafe_path("a directory on the way is a symbolic link"));
        }
    }
    Ok(out.join(path))
}
