//! The manifest: which files in the output directory gen wrote, with the SHA-256
//! of what it wrote. Ownership is decided from it, and only from it.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    /// Reads the manifest of `out`; a missing or unreadable one owns nothing.
    pub fn read(out: &Path) -> Self {
        std::fs::read(out.join(MANIFEST))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        Self {
            note: "Written by gen: the files it generated here and their hashes. It removes or \
                   overwrites only these, and only while they are unchanged."
                .to_owned(),
            files: files
                .into_iter()
                .map(|(path, contents)| (path.to_owned(), hash(contents)))
                .collect(),
        }
    }

    /// Whether gen wrote exactly `contents` at `path`.
    pub fn owns(&self, path: &str, contents: &[u8]) -> bool {
        self.files
            .get(path)
            .is_some_and(|recorded| *recorded == hash(contents))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text.into_bytes()
    }
}

pub fn hash(contents: &[u8]) -> String {
    let mut text = String::from("sha256:");
    for byte in Sha256::digest(contents) {
        let _ = write!(text, "{byte:02x}");
    }
    text
}
