//! Writing: rendered files into the output directory.
//!
//! Runs only after every file rendered and parsed. Each file goes to a temporary
//! file beside its destination and is renamed over it, so a file is never seen
//! half written; files whose contents are unchanged are left alone.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use crate::error::Error;
use crate::render::RenderedFile;

/// What a write did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
}

pub fn write(out: &Path, files: &[RenderedFile]) -> Result<Written, Error> {
    let targets: Vec<PathBuf> = files
        .iter()
        .map(|file| destination(out, &file.path))
        .collect::<Result<_, _>>()?;
    let mut written = Written::default();
    for (file, target) in files.iter().zip(targets) {
        if fs::read(&target).is_ok_and(|old| old == file.contents.as_bytes()) {
            written.unchanged.push(file.path.clone());
            continue;
        }
        replace(&target, file.contents.as_bytes())?;
        written.changed.push(file.path.clone());
    }
    Ok(written)
}

/// The destination of a relative output path, refused when it could leave `out`.
fn destination(out: &Path, relative: &str) -> Result<PathBuf, Error> {
    let unsafe_path = |reason| Error::UnsafePath {
        path: relative.to_owned(),
        reason,
    };
    let path = Path::new(relative);
    if !path
        .components()
        .all(|part| matches!(part, Component::Normal(_)))
    {
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

fn replace(target: &Path, contents: &[u8]) -> Result<(), Error> {
    let failed = |source| Error::Write {
        path: target.to_owned(),
        source,
    };
    let dir = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(failed)?;
    let mut temporary = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    temporary.write_all(contents).map_err(failed)?;
    // Temporary files are private; generated files are read by everyone like any source file.
    temporary
        .as_file()
        .set_permissions(fs::Permissions::from_mode(0o644))
        .map_err(failed)?;
    temporary.as_file().sync_all().map_err(failed)?;
    temporary
        .persist(target)
        .map_err(|error| failed(error.error))?;
    Ok(())
}
