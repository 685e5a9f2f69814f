//! The manifest: which files in the output directory gen wrote, with the SHA-256
//! of what it wrote. Ownership is decided from it, and only from it.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// File name of the manifest inside the output directory.
pub const MANIFEST: &str = ".gen-manifest.json";

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Why this file exists, for whoever finds it.
    #[serde(default)]
    pub note: String,
    /// Output path → `sha256:<hex>` of the contents gen wrote there.
    pub files: BTreeMap<String, String>,
}

impl Manifest {
    /// Reads the manifest of `out`; a missing one owns nothing. One that cannot
    /// be read or parsed is an error: read as empty, it would disown every file.
    pub fn read(out: &Path) -> Result<Self, Error> {
        let path = out.join(MANIFEST);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(source) => return Err(Error::Read { path, source }),
        };
        serde_json::from_slice(&bytes).map_err(|error| Error::CorruptManifest {
            path,
            reason: error.to_string(),
        })
    }

    /// The manifest of `files`: each path, its contents, and their digest
    /// when it is already known; the others are hashed, in parallel.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a [u8], Option<&'a str>)>,
    ) -> Self {
        let files: Vec<(&str, &[u8], Option<&str>)> = files.into_iter().collect();
        Self {
            note: "Written by gen: the files it generated here and their hashes. It removes or \
                   overwrites only these, and only while they are unchanged."
                .to_owned(),
            files: files
                .into_par_iter()
                .map(|(path, contents, known)| {
                    let digest = known.map_or_else(|| hash(contents), str::to_owned);
                    (path.to_owned(), digest)
                })
                .collect::<Vec<_>>()
                .into_iter()
                .collect(),
        }
    }

    /// Whether gen wrote exactly `contents` at `path`.
    pub fn owns(&self, path: &str, contents: &[u8]) -> bool {
        self.files
            .get(path)
            .is_some_and(|recorded| *recorded == hash(contents))
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut text = serde_json::to_string_pretty(self).map_err(|source| Error::Serialize {
            what: "the manifest",
            source,
        })?;
        text.push('\n');
        Ok(text.into_bytes())
    }
}

pub fn hash(contents: &[u8]) -> String {
    let mut text = String::with_capacity(71);
    text.push_str("sha256:");
    text.push_str(&hex(&Sha256::digest(contents)));
    text
}

/// Bytes as lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}
