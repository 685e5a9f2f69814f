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
    /// What made each produced file, by path, for the next render to reuse.
    pub what_made: Vec<(String, Produced)>,
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
        let dir = OutDir::open(out);
        // Nothing is beneath a directory that is not there (a first render).
        let absent = super::is_absent(out);
        let manifest = Manifest::from_files(files.iter().map(|file| {
            let known = file.reused.as_deref();
            (file.path.as_str(), file.contents.as_bytes(), known)
        }));
        let what_made = files
            .iter()
            .filter_map(|file| {
                let contents = manifest.files.get(&file.path)?.clone();
                Some((file.path.clone(), what_made(file, contents)))
            })
            .collect();
        // A file read back from where it is, unchanged, is kept as it is.
        let on_disk: Vec<OnDisk> = files
            .par_iter()
            .map(|file| {
                if file.reused.is_some() {
                    Ok(OnDisk::Same)
                } else if absent {
                    plain(&file.path).map(|()| OnDisk::Missing)
                } else {
                    read(out, dir.as_ref(), &file.path)
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
            let on_disk = read(out, dir.as_ref(), path)?;
            if let Some(entry) = stale(&previous, path, on_disk) {
                entries.push(entry);
            }
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let manifest_current =
            read(out, dir.as_ref(), MANIFEST)?.into_bytes() == Some(manifest.to_bytes()?);
        Ok(Self {
            out: out.to_owned(),
            entries,
            previous,
            manifest,
            manifest_current,
            what_made,
        })
    }

    /// What made each file the plan leaves, for the next render to reuse.
    pub fn produced(&self) -> impl Iterator<Item = (String, Produced)> + '_ {
        self.what_made.iter().cloned()
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
pub(super) enum OnDisk {
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

/// What made `file`, which holds `contents` (its manifest digest).
fn what_made(file: &RenderedFile, contents: String) -> Produced {
    Produced {
        input: file.input.clone(),
        source: file.source.clone(),
        contents,
        template: file.template.clone(),
        overridden: file.overridden,
        target: file.target.clone(),
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

/// What is at `relative` in `out`: a regular file reached without a symbolic
/// link is read, through `dir` where it can be.
pub(super) fn read(out: &Path, dir: Option<&OutDir>, relative: &str) -> Result<OnDisk, Error> {
    match dir.map(|dir| dir.read(relative)) {
        Some(Beneath::File(bytes)) => return Ok(OnDisk::File(bytes)),
        Some(Beneath::Missing) => return Ok(OnDisk::Missing),
        Some(Beneath::Unsure) | None => {}
    }
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

/// The output directory, opened once, so each file beneath it is reached with
/// one system call (`openat2`, Linux 5.6) instead of one per directory on the
/// way, which a large tree would pay thousands of times.
#[derive(Debug)]
pub struct OutDir(rustix::fd::OwnedFd);

/// A file read beneath the output directory.
enum Beneath {
    /// A regular file, reached without a symbolic link.
    File(Vec<u8>),
    Missing,
    /// Anything else (a link, a special file, an error, a kernel without
    /// `openat2`): the careful way tells what it is.
    Unsure,
}

impl OutDir {
    /// The directory `out`, when it can be opened.
    pub fn open(out: &Path) -> Option<Self> {
        use rustix::fs::{Mode, OFlags};
        rustix::fs::open(
            out,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()
        .map(Self)
    }

    /// The file at `relative`, read in one pass of the kernel's path walk that
    /// neither follows a link nor leaves the directory.
    fn read(&self, relative: &str) -> Beneath {
        use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
        if !is_plain(relative) {
            return Beneath::Unsure;
        }
        // Non-blocking, so a FIFO put there opens at once, to be refused below.
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS;
        let fd = match rustix::fs::openat2(&self.0, relative, flags, Mode::empty(), resolve) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Beneath::Missing,
            Err(_) => return Beneath::Unsure,
        };
        let Ok(stat) = rustix::fs::fstat(&fd) else {
            return Beneath::Unsure;
        };
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return Beneath::Unsure;
        }
        // Its size is known: read straight into a buffer of that size, to the end.
        let mut bytes = Vec::with_capacity(usize::try_from(stat.st_size).unwrap_or(0) + 1);
        loop {
            if bytes.len() == bytes.capacity() {
                bytes.reserve(bytes.capacity());
            }
            match rustix::io::read(&fd, rustix::buffer::spare_capacity(&mut bytes)) {
                Ok(0) => return Beneath::File(bytes),
                // Read more, or be interrupted and read again.
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(_) => return Beneath::Unsure,
            }
        }
    }
}

/// `relative`, refused unless it is a plain relative path.
fn plain(relative: &str) -> Result<(), Error> {
    if is_plain(relative) {
        Ok(())
    } else {
        Err(Error::UnsafePath {
            path: relative.to_owned(),
            reason: "only plain relative paths may be written",
        })
    }
}

/// Whether `relative` is a plain relative path: names only, no `..`, no root.
fn is_plain(relative: &str) -> bool {
    !relative.is_empty()
        && Path::new(relative)
            .components()
            .all(|part| matches!(part, Component::Normal(_)))
}

/// The place of a relative output path, refused when it could leave `out`: the
/// path must be plain and relative, and no directory on the way a symbolic link.
/// Names are validated long before; this is the second line of defence.
pub fn destination(out: &Path, relative: &str) -> Result<PathBuf, Error> {
    Destinations::new(out).of(relative)
}

/// [`destination`] of many paths: each directory on the way is looked at once,
/// not once for every file beneath it.
pub struct Destinations<'a> {
    out: &'a Path,
    plain_directories: std::collections::HashSet<PathBuf>,
}

impl<'a> Destinations<'a> {
    pub fn new(out: &'a Path) -> Self {
        Self {
            out,
            plain_directories: std::collections::HashSet::new(),
        }
    }

    /// The place of `relative`, as [`destination`] finds it.
    pub fn of(&mut self, relative: &str) -> Result<PathBuf, Error> {
        plain(relative)?;
        let unsafe_path = |reason| Error::UnsafePath {
            path: relative.to_owned(),
            reason,
        };
        let path = Path::new(relative);
        let mut ancestor = self.out.to_owned();
        for part in path.parent().into_iter().flat_map(Path::components) {
            ancestor.push(part);
            if self.plain_directories.contains(&ancestor) {
                continue;
            }
            if ancestor.is_symlink() {
                return Err(unsafe_path("a directory on the way is a symbolic link"));
            }
            self.plain_directories.insert(ancestor.clone());
        }
        Ok(self.out.join(path))
    }
}

#[cfg(test)]
mod tests {
    use super::{Beneath, Destinations, OutDir};

    /// The one-call read answers only for a regular file reached without a
    /// link, or a missing one; anything else goes the careful way. A FIFO is
    /// never waited on.
    #[test]
    fn only_plain_files_are_read_beneath_the_output() {
        use std::os::unix::fs::symlink;
        let out = tempfile::tempdir().expect("temporary directory");
        let root = out.path();
        std::fs::create_dir(root.join("hosts")).expect("mkdir");
        std::fs::write(root.join("hosts/a.nix"), "{ }\n").expect("write");
        symlink(root.join("hosts/a.nix"), root.join("hosts/link.nix")).expect("link");
        symlink(root.join("hosts"), root.join("linked")).expect("link");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
        let dir = OutDir::open(root).expect("open");
        assert!(matches!(dir.read("hosts/a.nix"), Beneath::File(bytes) if bytes == b"{ }\n"));
        assert!(matches!(dir.read("hosts/b.nix"), Beneath::Missing));
        for unsure in [
            "hosts/link.nix",
            "linked/a.nix",
            "fifo",
            "hosts",
            "../x",
            "/etc/passwd",
            "",
        ] {
            assert!(matches!(dir.read(unsure), Beneath::Unsure), "{unsure}");
        }
    }

    /// A directory looked at once for many files is refused for each of them.
    #[test]
    fn every_file_beneath_a_linked_directory_is_refused() {
        let out = tempfile::tempdir().expect("temporary directory");
        let elsewhere = tempfile::tempdir().expect("temporary directory");
        std::os::unix::fs::symlink(elsewhere.path(), out.path().join("linked")).expect("link");
        let mut places = Destinations::new(out.path());
        assert!(places.of("plain/a.nix").is_ok());
        assert!(places.of("plain/b.nix").is_ok());
        assert!(places.of("linked/a.nix").is_err());
        assert!(places.of("linked/deeper/b.nix").is_err());
        assert!(places.of("../a.nix").is_err());
    }
}
