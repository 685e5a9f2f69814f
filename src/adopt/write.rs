//! The adopted inventory as YAML text: block mappings, with every scalar and
//! flow collection written as JSON, which YAML reads as written.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::{FoundCluster, FoundHost, FoundService};
use crate::inventory::{Role, deploy_key};

/// Deploy settings every host has with one value go to `cluster.deploy`.
pub(super) fn inventory(
    cluster: &FoundCluster,
    hosts: &BTreeMap<String, FoundHost>,
    services: &BTreeMap<String, FoundService>,
    unmapped: &[String],
) -> String {
    let mut out = String::from(
        "# yaml-language-server: $schema=./inventory.schema.json\n\
         # Written by `gen init --from` from a hand-written flake repository.\n\
         # Check every value, then `gen validate` and `gen render`.\n",
    );
    if !unmapped.is_empty() {
        out.push_str("#\n# Not carried over: do these by hand.\n");
        for item in unmapped {
            let _ = writeln!(out, "#   - {}", crate::report::escape_controls(item));
        }
    }
    let shared = shared_deploy(hosts);
    cluster_section(&mut out, cluster, hosts, &shared);
    share_section(&mut out, hosts);
    out.push_str("\nhosts:\n");
    for (name, host) in hosts {
        host_entry(&mut out, name, host, &shared);
    }
    if !services.is_empty() {
        out.push_str("\nservices:\n");
        for (name, service) in services {
            service_entry(&mut out, name, service);
        }
    }
    out
}

fn cluster_section(
    out: &mut String,
    cluster: &FoundCluster,
    hosts: &BTreeMap<String, FoundHost>,
    shared: &BTreeMap<String, Value>,
) {
    let _ = writeln!(
        out,
        "\ncluster:\n  name: {}",
        json(&cluster.name.clone().into())
    );
    let _ = writeln!(
        out,
        "  domain: {}  # a guess: hosts without an address are <host>.<domain>",
        json(&domain(hosts).into())
    );
    let state_version = cluster
        .state_version
        .clone()
        .unwrap_or_else(|| "25.05".to_owned());
    let _ = writeln!(out, "  state_version: {}", json(&state_version.into()));
    let nixpkgs = cluster
        .nixpkgs
        .clone()
        .unwrap_or_else(|| "github:NixOS/nixpkgs/nixos-25.05".to_owned());
    let _ = writeln!(out, "  nixpkgs: {}", json(&nixpkgs.into()));
    if let Some(zone) = &cluster.time_zone {
        let _ = writeln!(out, "  time_zone: {}", json(&zone.clone().into()));
    }
    let (user, keys) = cluster
        .admin
        .clone()
        .unwrap_or_else(|| ("admin".to_owned(), Vec::new()));
    let _ = writeln!(out, "  admin:\n    user: {}", json(&user.into()));
    let _ = writeln!(out, "    ssh_keys: {}", json(&Value::Array(keys)));
    if !shared.is_empty() {
        out.push_str("  deploy:\n");
        for (key, value) in shared {
            let _ = writeln!(out, "    {}: {}", deploy_key(key), json(value));
        }
    }
}

/// The services share, from the hosts that import the NFS roles' modules.
fn share_section(out: &mut String, hosts: &BTreeMap<String, FoundHost>) {
    let with = |role: Role| -> Vec<Value> {
        hosts
            .iter()
            .filter(|(_, host)| host.roles.contains(&role))
            .map(|(name, _)| name.clone().into())
            .collect()
    };
    let primaries = with(Role::NfsServicesServer);
    let Some(primary) = primaries.first() else {
        return;
    };
    let _ = writeln!(
        out,
        "\nstorage:\n  services:\n    primary: {}",
        json(primary)
    );
    let _ = writeln!(
        out,
        "    standbys: {}",
        json(&Value::Array(with(Role::NfsServicesStandby)))
    );
}

/// The domain the hosts' names share, when their addresses are names.
fn domain(hosts: &BTreeMap<String, FoundHost>) -> String {
    hosts
        .iter()
        .find_map(|(name, host)| {
            host.address
                .as_deref()?
                .strip_prefix(&format!("{name}."))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "lan".to_owned())
}

/// The deploy settings all hosts share, with one value.
fn shared_deploy(hosts: &BTreeMap<String, FoundHost>) -> BTreeMap<String, Value> {
    let mut hosts = hosts.values();
    let Some(first) = hosts.next() else {
        return BTreeMap::new();
    };
    let rest: Vec<&FoundHost> = hosts.collect();
    first
        .deploy
        .iter()
        .filter(|(key, value)| rest.iter().all(|host| host.deploy.get(*key) == Some(value)))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

fn host_entry(out: &mut String, name: &str, host: &FoundHost, shared: &BTreeMap<String, Value>) {
    let _ = writeln!(out, "  {}:", key(name));
    if let Some(address) = &host.address {
        let _ = writeln!(out, "    address: {}", json(&address.clone().into()));
    }
    if let Some(system) = host.system.filter(|system| *system != "x86_64-linux") {
        let _ = writeln!(out, "    system: {system}");
    }
    let roles: Vec<Value> = host
        .roles
        .iter()
        .filter(|role| !matches!(role, Role::NfsServicesServer | Role::NfsServicesStandby))
        .map(|role| role.as_str().into())
        .collect();
    if !roles.is_empty() {
        let _ = writeln!(out, "    roles: {}", json(&Value::Array(roles)));
    }
    if let Some(profile) = host.profile {
        let _ = writeln!(out, "    profile: {profile}");
    }
    if let Some(loader) = host.boot_loader.filter(|loader| *loader != "systemd-boot") {
        let _ = writeln!(out, "    boot_loader: {loader}");
    }
    if !host.modules.is_empty() {
        let modules = host.modules.iter().cloned().map(Value::from).collect();
        let _ = writeln!(out, "    modules: {}", json(&Value::Array(modules)));
    }
    let own: Vec<(&String, &Value)> = host
        .deploy
        .iter()
        .filter(|(key, _)| !shared.contains_key(*key))
        .collect();
    if !own.is_empty() {
        out.push_str("    deploy:\n");
        for (setting, value) in own {
            let _ = writeln!(out, "      {}: {}", deploy_key(setting), json(value));
        }
    }
    if !host.nix.is_empty() {
        out.push_str("    nix:\n");
        for (option, value) in &host.nix {
            let _ = writeln!(out, "      {}: {}", key(option), json(value));
        }
    }
}

fn service_entry(out: &mut String, name: &str, service: &FoundService) {
    let _ = writeln!(out, "  {}:", key(name));
    let image = service.image.clone().unwrap_or_else(|| "FIXME".to_owned());
    let _ = writeln!(out, "    image: {}", json(&image.into()));
    if let Some(count) = service.count.filter(|count| *count != 1) {
        let _ = writeln!(out, "    count: {count}");
    }
    let maps = [
        ("ports", &service.ports),
        ("env", &service.env),
        ("resources", &service.resources),
    ];
    for (field, map) in maps {
        if !map.is_empty() {
            let object: serde_json::Map<String, Value> = map
                .iter()
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            let _ = writeln!(out, "    {field}: {}", json(&Value::Object(object)));
        }
    }
}

/// A mapping key, quoted unless it is a plain word.
fn key(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        name.to_owned()
    } else {
        json(&name.into())
    }
}

fn json(value: &Value) -> String {
    value.to_string()
}
