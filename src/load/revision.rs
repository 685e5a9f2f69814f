//! An earlier version of the inventory, read from the git repository that holds it.

use std::path::Path;
use std::process::Command;

use crate::error::Error;

/// The bytes of the inventory at `path` as git has it at `revision`.
pub fn at_revision(path: &Path, revision: &str) -> Result<Vec<u8>, Error> {
    let failed = |message: String| Error::Previous {
        revision: revision.to_owned(),
        message,
    };
    if revision.starts_with('-') || revision.contains(':') {
        return Err(failed("not a revision name".to_owned()));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| failed("the inventory path names no file".to_owned()))?;
    // `REV:./NAME` is relative to the working directory, which git sets to `dir`.
    let object = format!("{revision}:./{}", name.to_string_lossy());
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", "--no-textconv", &object])
        .output()
        .map_err(|error| failed(format!("cannot run git: {error}")))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(failed(
            stderr.lines().next().unwrap_or("git failed").to_owned(),
        ))
    }
}
