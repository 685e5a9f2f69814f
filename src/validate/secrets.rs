//! Secret hygiene: no secret value in the inventory, and well-formed age keys.

use super::{Part, Rules};
use crate::diagnostic::Diagnostic;

/// Words that make a key look like it holds a secret.
const SECRET_WORDS: [&str; 7] = [
    "password",
    "passwd",
    "token",
    "secret",
    "private_key",
    "privatekey",
    "api_key",
];

pub(super) fn check(rules: &mut Rules) {
    literal_secrets(rules);
    age_keys(rules);
}

/// A key ending in `File`, `Path` or similar names where a secret lives, not the secret.
fn names_a_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase().replace('-', "_");
    let points_elsewhere = ["file", "path", "command", "secrets"]
        .iter()
        .any(|end| lower.ends_with(end));
    SECRET_WORDS.iter().any(|word| lower.contains(word)) && !points_elsewhere
}

fn is_key_material(value: &str) -> bool {
    value.contains("-----BEGIN") && value.contains("PRIVATE KEY")
}

fn literal_secrets(rules: &mut Rules) {
    let inventory = rules.inventory;
    for (name, service) in &inventory.services {
        for (key, value) in &service.value.env {
            if (names_a_secret(key) && !value.is_empty()) || is_key_material(value) {
                let problem = Diagnostic::error("secret::literal", format!("`{key}` of service `{name}` looks like a secret written in the inventory"))
                    .path(format!("services.{name}.env.{key}"))
                    .help(format!(
                        "move it to the Nomad variable `nomad/jobs/{name}` (`nomad var put nomad/jobs/{name} {key}=...`) and list `{key}` under `secret_env`"
                    ));
                rules.report(rules.at(
                    problem,
                    &["services", name, "env", key],
                    Part::Value,
                    "secret value in the inventory",
                ));
            }
        }
    }
    for (name, host) in &inventory.hosts {
        for (option, value) in &host.value.nix {
            let mut found = Vec::new();
            secret_values(option, value, &mut found);
            for path in found {
                let problem = Diagnostic::error("secret::literal", format!("`{path}` of host `{name}` looks like a secret written in the inventory"))
                    .path(format!("hosts.{name}.nix.{option}"))
                    .help("put the secret in `secrets/<host>.yaml` with sops and point the option's `…File` variant at `config.sops.secrets.<name>.path` in a hand-written module");
                rules.report(rules.at(
                    problem,
                    &["hosts", name, "nix", option],
                    Part::Key,
                    "secret value in the inventory",
                ));
            }
        }
    }
}

/// Paths under `path` whose string value is a secret.
fn secret_values(path: &str, value: &serde_json::Value, found: &mut Vec<String>) {
    let last = path.rsplit('.').next().unwrap_or(path);
    match value {
        serde_json::Value::String(text)
            if (names_a_secret(last) && !text.is_empty()) || is_key_material(text) =>
        {
            found.push(path.to_owned());
        }
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                secret_values(&format!("{path}.{key}"), inner, found);
            }
        }
        serde_json::Value::Array(items) => {
            for inner in items {
                secret_values(path, inner, found);
            }
        }
        _ => {}
    }
}

/// `age1` and 58 bech32 characters: what `age-keygen -y` and `ssh-to-age` print.
fn is_age_key(key: &str) -> bool {
    const BECH32: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    key.len() == 62 && key.starts_with("age1") && key[4..].chars().all(|c| BECH32.contains(c))
}

fn age_keys(rules: &mut Rules) {
    let inventory = rules.inventory;
    let admin_keys: Vec<(String, &String)> = inventory
        .secrets
        .admins
        .iter()
        .map(|(name, key)| (format!("secrets.admins.{name}"), key))
        .collect();
    let host_keys: Vec<(String, &String)> = inventory
        .hosts
        .iter()
        .filter_map(|(name, host)| {
            Some((
                format!("hosts.{name}.age_key"),
                host.value.age_key.as_ref()?,
            ))
        })
        .collect();
    for (path, key) in admin_keys.iter().chain(&host_keys) {
        if !is_age_key(key) {
            let problem = Diagnostic::error("secret::invalid-age-key", format!("`{key}` is not a public age key"))
                .path(path.clone())
                .help("a public age key is `age1` and 58 more characters, as printed by `age-keygen -y` or `ssh-to-age`; never the private `AGE-SECRET-KEY-…`");
            let segments: Vec<&str> = path.split('.').collect();
            rules.report(rules.at(problem, &segments, Part::Value, "not an age public key"));
        }
    }
    if admin_keys.is_empty() && host_keys.is_empty() {
        return;
    }
    for (name, host) in &inventory.hosts {
        if host.value.managed && host.value.age_key.is_none() {
            let problem = Diagnostic::warning("secret::host-without-key", format!("Host `{name}` has no age key"))
                .path(format!("hosts.{name}"))
                .help("without `age_key` the host cannot decrypt `secrets/common.yaml` nor its own file: add `ssh-to-age < /persist/etc/ssh/ssh_host_ed25519_key.pub`");
            rules.report(rules.at(
                problem,
                &["hosts", name],
                Part::Key,
                "cannot decrypt secrets",
            ));
        }
    }
}
