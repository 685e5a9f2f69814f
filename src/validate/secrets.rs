//! Secret hygiene: no secret value in the inventory, and well-formed age keys.

use super::{Rules, key, value};
use crate::diagnostic::Code;

/// Words that make a key look like it holds a secret, wherever they stand in it.
const SECRET_WORDS: [&str; 8] = [
    "password",
    "passwd",
    "passphrase",
    "token",
    "secret",
    "private_key",
    "privatekey",
    "api_key",
];

/// Endings that make a key look like it holds a secret: `DB_PASS`, `SMTP_PWD`, `S3_KEY`.
const SECRET_ENDINGS: [&str; 4] = ["_pass", "_pwd", "_key", "_credentials"];

pub(super) fn check(rules: &mut Rules) {
    literal_secrets(rules);
    public_keys(rules);
    age_keys(rules);
}

/// A key ending in `File`, `Path` or similar names where a secret lives, not the secret.
fn names_a_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase().replace('-', "_");
    let points_elsewhere = ["file", "path", "command", "secrets"]
        .iter()
        .any(|end| lower.ends_with(end));
    let secret = SECRET_WORDS.iter().any(|word| lower.contains(word))
        || SECRET_ENDINGS.iter().any(|end| lower.ends_with(end));
    secret && !points_elsewhere
}

/// Private key material of any kind: PEM and OpenSSH private keys, age identities,
/// and connection strings that carry a password (`postgres://user:pass@host`).
fn is_key_material(value: &str) -> bool {
    let pem = value.contains("-----BEGIN") && value.contains("PRIVATE KEY");
    let age = value.to_ascii_uppercase().contains("AGE-SECRET-KEY-1");
    pem || age || has_password_in_url(value)
}

/// `scheme://user:password@host…`, with a password that is not a placeholder.
fn has_password_in_url(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((credentials, _)) = authority.rsplit_once('@') else {
        return false;
    };
    credentials
        .split_once(':')
        .is_some_and(|(_, password)| !password.is_empty() && !password.starts_with("${"))
}

/// SSH keys that reach `authorized_keys`: each entry exactly one public key.
fn public_keys(rules: &mut Rules) {
    let inventory = rules.inventory;
    let admin = inventory
        .cluster
        .admin
        .ssh_keys
        .iter()
        .enumerate()
        .map(|(index, key)| (["cluster", "admin", "ssh_keys"], index, key));
    let replication = inventory
        .storage
        .services
        .iter()
        .flat_map(|share| share.value.replication_keys.iter().enumerate())
        .map(|(index, key)| (["storage", "services", "replication_keys"], index, key));
    for (within, index, key) in admin.chain(replication) {
        let index = index.to_string();
        let path = [within[0], within[1], within[2], index.as_str()];
        if is_key_material(key) || key.contains("openssh-key-v1") {
            rules.flag(
                Code::SecretLiteral,
                value(&path, "a private key"),
                "A private key is written in the inventory where its public key belongs",
            )
            .hint("paste the `.pub` file (`ssh-keygen -y -f <key>` prints it); and consider that private key compromised");
        } else if key.contains(['\n', '\r'])
            || ssh_key::PublicKey::from_openssh(key.trim()).is_err()
        {
            rules.flag(
                Code::SecretInvalidSshKey,
                value(&path, "not one public key"),
                "This entry is not exactly one OpenSSH public key",
            );
        }
    }
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

/// What `age-keygen -y` and `ssh-to-age` print: bech32 with the `age` prefix,
/// a valid checksum and a 32-byte X25519 key.
fn is_age_key(key: &str) -> bool {
    key.starts_with("age1")
        && bech32::decode(key)
            .is_ok_and(|(prefix, data)| prefix.as_str() == "age" && data.len() == 32)
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
        if is_key_material(age_key) {
            rules
                .flag(
                    Code::SecretLiteral,
                    value(&path, "a private age key"),
                    "A private age key is written in the inventory where its public key belongs",
                )
                .hint("write the public key, `age-keygen -y <identity file>`; and consider that identity compromised");
        } else if !is_age_key(age_key) {
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
    host_keys_are_their_own(rules);
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

/// Each host decrypts its own secrets file with its key: two hosts with one key
/// read each other's secrets.
fn host_keys_are_their_own(rules: &mut Rules) {
    let mut owners: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for (name, host) in &rules.inventory.hosts {
        let Some(age_key) = host.value.age_key.as_deref() else {
            continue;
        };
        match owners.get(age_key) {
            Some(first) => {
                let first_place = rules.span(value(&["hosts", first, "age_key"], ""));
                rules
                    .flag(
                        Code::SecretDuplicateAgeKey,
                        value(&["hosts", name, "age_key"], "used again here"),
                        format!("Hosts `{first}` and `{name}` have the same age key"),
                    )
                    .also(first_place, "first used here");
            }
            None => {
                owners.insert(age_key, name);
            }
        }
    }
}
