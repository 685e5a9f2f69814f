//! Files gen writes for people to edit: a starter inventory, and ejected templates.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::render::templates;
use crate::suggest;

/// The inventory `gen init` writes: a commented three-node cluster that renders as is.
pub const STARTER: &str = include_str!("starter.yaml");

/// Writes `inventory.yaml` (and its schema, for editors) into `dir`, never over an
/// existing inventory.
pub fn write(dir: &Path) -> Result<PathBuf, Error> {
    write_text(dir, STARTER)
}

/// Writes `text` as `inventory.yaml` (and the schema, for editors) into `dir`,
/// never over an existing inventory.
pub fn write_text(dir: &Path, text: &str) -> Result<PathBuf, Error> {
    let inventory = dir.join("inventory.yaml");
    create_new(&inventory, text)?;
    match create_new(
        &dir.join("inventory.schema.json"),
        &format!("{}\n", crate::inventory::schema_text()),
    ) {
        Ok(()) | Err(Error::Exists { .. }) => Ok(inventory),
        Err(error) => Err(error),
    }
}

/// Copies the embedded template `name` to `dir/name`, never over an existing file.
pub fn eject(dir: &Path, name: &str) -> Result<PathBuf, Error> {
    let Some(source) = templates::source(name) else {
        let names: Vec<&str> = templates::embedded().map(|(name, _)| name).collect();
        return Err(Error::UnknownTemplate {
            name: name.to_owned(),
            hint: suggest::hint(name, &names),
        });
    };
    let path = dir.join(name);
    create_new(&path, source)?;
    Ok(path)
}

fn create_new(path: &Path, contents: &str) -> Result<(), Error> {
    use std::io::Write;
    let failed = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut file = match std::fs::File::create_new(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Exists {
                path: path.to_owned(),
            });
        }
        Err(error) => return Err(failed(error)),
    };
    file.write_all(contents.as_bytes()).map_err(failed)
}
