//! Loading: the inventory file into typed values, keeping its text for diagnostics.

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::Source;
use crate::error::Error;
use crate::inventory::Inventory;

/// Reads and parses the inventory at `path`.
pub fn load(path: &Path) -> Result<(Source, Inventory), Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
        path: path.to_owned(),
    })?;
    let source = Source {
        name: path.display().to_string(),
        text: Arc::from(text),
    };
    match serde_saphyr::from_str::<Inventory>(&source.text) {
        Ok(inventory) => Ok((source, inventory)),
        Err(error) => Err(Error::Load {
            source_text: source,
            error: Box::new(error),
        }),
    }
}
