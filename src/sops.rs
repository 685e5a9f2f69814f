//! `gen secrets check`: the sops files under the output directory against the
//! secrets the configuration reads. Only what sops leaves in plain text is read
//! (the keys, the recipients), so no decryption key is needed.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::{Code, Severity};
use crate::model::secrets::SecretFile;

/// One problem with one sops file.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: &'static str,
    pub code: &'static str,
    /// Path relative to the output directory.
    pub file: String,
    /// The secret concerned, when it is one.
    pub key: Option<String>,
    pub message: String,
}

impl Finding {
    fn new(code: Code, file: &SecretFile, key: Option<&str>, message: String) -> Self {
        Self {
            severity: code.severity().as_str(),
            code: code.as_str(),
            file: file.path.clone(),
            key: key.map(str::to_owned),
            message,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error.as_str()
    }
}

/// Every problem of the sops files under `out`, file by file in catalogue order.
pub fn check(out: &Path, catalogue: &[SecretFile]) -> Vec<Finding> {
    catalogue
        .iter()
        .flat_map(|file| check_file(out, file))
        .collect()
}

fn check_file(out: &Path, file: &SecretFile) -> Vec<Finding> {
    let text = match std::fs::read_to_string(out.join(&file.path)) {
        Ok(text) => text,
        Err(error) => {
            let message = if error.kind() == std::io::ErrorKind::NotFound {
                format!("does not exist: create it with `sops {}`", file.path)
            } else {
                format!("cannot be read: {error}")
            };
            return vec![Finding::new(Code::SecretsMissingFile, file, None, message)];
        }
    };
    let Ok(document @ Value::Object(_)) = serde_saphyr::from_str::<Value>(&text) else {
        let message = "is not a YAML mapping: not a sops file".to_owned();
        return vec![Finding::new(Code::SecretsNotSops, file, None, message)];
    };
    let Some(metadata) = document.get("sops") else {
        let message = "has no `sops` metadata: its values are in plain text".to_owned();
        return vec![Finding::new(Code::SecretsNotSops, file, None, message)];
    };
    let mut findings = recipients(file, metadata);
    findings.extend(keys(file, &document));
    findings
}

/// The file must be encrypted to exactly the admins and its readers.
fn recipients(file: &SecretFile, metadata: &Value) -> Vec<Finding> {
    let found: BTreeSet<&str> = metadata["age"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["recipient"].as_str())
        .collect();
    let wanted: BTreeSet<&str> = file.recipients.iter().map(String::as_str).collect();
    let mut findings = Vec::new();
    for missing in wanted.difference(&found) {
        findings.push(Finding::new(
            Code::SecretsWrongRecipients,
            file,
            None,
            format!(
                "is not encrypted to {missing}, who must read it: run `sops updatekeys {}`",
                file.path
            ),
        ));
    }
    for extra in found.difference(&wanted) {
        findings.push(Finding::new(
            Code::SecretsWrongRecipients,
            file,
            None,
            format!(
                "is encrypted to {extra}, which `.sops.yaml` does not name for it: run `sops updatekeys {}` and rotate its secrets",
                file.path
            ),
        ));
    }
    findings
}

/// Every secret present and encrypted; nothing else in a shared file.
fn keys(file: &SecretFile, document: &Value) -> Vec<Finding> {
    let Value::Object(entries) = document else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for secret in &file.secrets {
        match entries.get(secret.name) {
            None => findings.push(Finding::new(
                Code::SecretsMissingKey,
                file,
                Some(secret.name),
                format!("has no `{}`: {}", secret.name, secret.purpose),
            )),
            Some(Value::String(value)) if value.starts_with("ENC[") => {}
            Some(_) => findings.push(Finding::new(
                Code::SecretsNotEncrypted,
                file,
                Some(secret.name),
                format!("holds `{}` in plain text", secret.name),
            )),
        }
    }
    for name in entries.keys().filter(|name| *name != "sops") {
        if file.secrets.iter().all(|secret| secret.name != name) {
            let code = if file.shared {
                Code::SecretsUnusedKey
            } else {
                Code::SecretsUnusedHostKey
            };
            findings.push(Finding::new(
                code,
                file,
                Some(name),
                format!("holds `{name}`, which no generated module reads"),
            ));
        }
    }
    findings
}
