//! The example's hosts, evaluated: ACLs deny by default, TLS verifies both
//! ends, gossip is encrypted, and every key and token comes from sops, through
//! files outside the Nix store (`tests/nix/security.nix` reads the settings).

use libtest_mimic::{Failed, Trial};
use serde_json::{Value, json};

use crate::support::root;

pub fn trials() -> Vec<Trial> {
    vec![crate::needing(
        &["nix-instantiate"],
        "security::the_example_is_secure_by_default".to_owned(),
        the_example_is_secure_by_default,
    )]
}

/// Setting (JSON pointer into what `security.nix` reports) → the value that keeps the LAN out.
fn expected() -> Vec<(&'static str, Value)> {
    let placeholder = |name: &str| json!(format!("<placeholder of {name}>"));
    vec![
        ("/consul/extraConfig/acl/enabled", json!(true)),
        ("/consul/extraConfig/acl/default_policy", json!("deny")),
        (
            "/consul/extraConfig/acl/enable_token_persistence",
            json!(false),
        ),
        ("/consul/extraConfig/encrypt_verify_incoming", json!(true)),
        ("/consul/extraConfig/encrypt_verify_outgoing", json!(true)),
        (
            "/consul/extraConfig/tls/defaults/verify_outgoing",
            json!(true),
        ),
        (
            "/consul/extraConfig/tls/internal_rpc/verify_server_hostname",
            json!(true),
        ),
        ("/consul/extraConfig/auto_encrypt/tls", json!(true)),
        ("/consulServer/tls/defaults/verify_incoming", json!(true)),
        ("/consulServer/auto_encrypt/allow_tls", json!(true)),
        ("/nomad/settings/acl/enabled", json!(true)),
        ("/nomad/settings/tls/http", json!(true)),
        ("/nomad/settings/tls/rpc", json!(true)),
        ("/nomad/settings/tls/verify_server_hostname", json!(true)),
        ("/nomad/settings/tls/verify_https_client", json!(true)),
        ("/nomad/settings/consul/auto_advertise", json!(false)),
        (
            "/rendered/consul-secrets.json/encrypt",
            placeholder("consul-gossip-key"),
        ),
        (
            "/rendered/consul-secrets.json/acl/tokens/agent",
            placeholder("consul-agent-token"),
        ),
        (
            "/rendered/nomad-secrets.json/consul/token",
            placeholder("nomad-consul-token"),
        ),
        (
            "/rendered/nomad-gossip.json/server/encrypt",
            placeholder("nomad-gossip-key"),
        ),
        // Shared secrets only where every reader needs them; per-host ones in the host's file.
        ("/secrets/consul-gossip-key", json!("cluster-members.yaml")),
        ("/secrets/consul-server-key", json!("quorum.yaml")),
        ("/secrets/nomad-gossip-key", json!("quorum.yaml")),
        ("/secrets/consul-agent-token", Value::Null),
        ("/secrets/nomad-agent-key", Value::Null),
    ]
}

fn the_example_is_secure_by_default() -> Result<(), Failed> {
    let output = std::process::Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json"])
        .arg(root().join("tests/nix/security.nix"))
        .arg("--arg")
        .arg("flakeDir")
        .arg(root().join("generated"))
        .output()?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
    }
    let settings: Value = serde_json::from_slice(&output.stdout)?;
    let wrong: Vec<String> = expected()
        .into_iter()
        .filter(|(pointer, value)| settings.pointer(pointer) != Some(value))
        .map(|(pointer, value)| {
            format!("{pointer} is {:?}, not {value}", settings.pointer(pointer))
        })
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n").into())
    }
}
