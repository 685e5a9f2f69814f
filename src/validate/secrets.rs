//! Secret hygiene: no secret value in the inventory, and well-formed age keys.

use super::{Rules, key, value};
use crate::diagnostic::Code;

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
        for (variable, text) in &service.value.env {
            if (names_a_secret(variable) && !text.is_empty()) || is_key_material(text) {
                rules
                    .flag(
                        Code::SecretLiteral,
                        value(&["services", name, "env", variable], "secret value in the inventory"),
                        format!("`{variable}` of service `{name}` looks like a secret written in the inventory"),
                    )
                    .hint(format!(
                        "move it to the Nomad variable `nomad/jobs/{name}` (`nomad var put nomad/jobs/{name} {variable}=...`) and list `{variable}` under `secret_env`"
                    ));
            }
        }
    }
    for (name, host) in &inventory.hosts {
        for (option, option_value) in &host.value.nix {
            let mut found = Vec::new();
            secret_values(option, option_value, &mut found);
            for path in found {
                rules
                    .flag(
                        Code::SecretLiteral,
                        key(&["hosts", name, "nix", option], "secret value in the inventory"),
                        format!("`{path}` of host `{name}` looks like a secret written in the inventory"),
                    )
                    .hint("put the secret in `secrets/<host>.yaml` with sops and point the option's `…File` variant at `config.sops.secrets.<name>.path` in a hand-written module");
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
    let admin_keys = inventory
        .secrets
        .admins
        .iter()
        .map(|(name, key)| (["secrets", "admins", name.as_str()], key));
    let host_keys = inventory.hosts.iter().filter_map(|(name, host)| {
        Some((
            ["hosts", name.as_str(), "age_key"],
            host.value.age_key.as_ref()?,
        ))
    });
    let mut any = false;
    for (path, age_key) in admin_keys.chain(host_keys) {
        any = true;
        if !is_age_key(age_key) {
            rules.flag(
                Code::SecretInvalidAgeKey,
                value(&path, "not an age public key"),
                format!("`{age_key}` is not a public age key"),
            );
        }
    }
    if !any {
        return;
    }
    for (name, host) in &inventory.hosts {
        if host.value.managed && host.value.age_key.is_none() {
            rules.flag(
                Code::SecretHostWithoutKey,
                key(&["hosts", name], "cannot decrypt secrets"),
                format!("Host `{name}` has no age key"),
            );
        }
    }
}
