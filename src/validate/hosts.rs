//! Hosts: managed or not, their addresses, and the admin who can log in.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::{Rules, key, value};
use crate::diagnostic::Code;
use crate::inventory::{is_relative_nix_path, option_path_segments};

pub(super) fn check(rules: &mut Rules) {
    unmanaged_hosts(rules);
    addresses(rules);
    members_have_ips(rules);
    option_values_leave_generated_ones_alone(rules);
    module_paths(rules);
    admin_can_log_in(rules);
}

/// The Consul agent binds to the member's address; a name leaves it to guess
/// among the host's private addresses, and Docker's bridge is one of them.
fn members_have_ips(rules: &mut Rules) {
    for (name, host) in &rules.inventory.hosts {
        let host = &host.value;
        let is_member = host
            .roles
            .iter()
            .any(|role| role.value == crate::inventory::Role::ClusterMember);
        // An address that is no address at all is reported as such.
        let named = match host.address.as_deref() {
            None => true,
            Some(address) => address.parse::<IpAddr>().is_err() && is_address(address),
        };
        if host.managed && is_member && named {
            let message = format!("Cluster member `{name}` has no IP address");
            let address = ["hosts", name, "address"];
            let host_key = ["hosts", name];
            let at = if host.address.is_some() {
                value(&address, "not an IP address")
            } else {
                key(&host_key, "no address")
            };
            rules.flag(Code::HostsMemberWithoutIp, at, message);
        }
    }
}

/// Option paths the generated host file sets itself; a plain value for one of
/// them (or inside one) would define it twice.
const GENERATED_OPTIONS: [&str; 8] = [
    "imports",
    "networking.hostName",
    "networking.domain",
    "sops.defaultSopsFile",
    "system.stateVersion",
    "time.timeZone",
    "users.mutableUsers",
    "cluster",
];

/// Records each leaf `option` sets in `set`; one set before is reported.
fn set_once<'a>(
    rules: &mut Rules,
    name: &str,
    at: &[&str],
    option: &'a str,
    leaves: Vec<Vec<String>>,
    set: &mut Vec<(Vec<String>, &'a str)>,
) {
    for leaf in leaves {
        let overlapping = set
            .iter()
            .find(|(other, _)| other.starts_with(&leaf) || leaf.starts_with(other));
        if let Some((other, first)) = overlapping {
            let first_place = rules.span(key(&["hosts", name, "nix", first], ""));
            let shorter = if other.len() <= leaf.len() {
                other
            } else {
                &leaf
            };
            rules
                .flag(
                    Code::HostsNixDuplicate,
                    key(at, "set again here"),
                    format!("Host `{name}` sets `{}` twice", shorter.join(".")),
                )
                .also(first_place, "first set here");
            return;
        }
        set.push((leaf, option));
    }
}

/// `nix` keys are option paths; each option is set once, and never one gen sets.
/// A value a group gave is judged where the group writes it, once.
fn option_values_leave_generated_ones_alone(rules: &mut Rules) {
    let mut judged: BTreeSet<(String, String)> = BTreeSet::new();
    for (name, host) in &rules.inventory.hosts {
        let mut set: Vec<(Vec<String>, &str)> = Vec::new();
        for (option, value) in &host.value.nix {
            let from = rules.inventory.origins.of(name, &format!("nix.{option}"));
            if let Some(group) = from
                && !judged.insert((group.to_owned(), option.clone()))
            {
                continue;
            }
            let (section, owner, whose) = match from {
                Some(group) => ("groups", group, format!("group `{group}`")),
                None => ("hosts", name.as_str(), format!("host `{name}`")),
            };
            let at = [section, owner, "nix", option.as_str()];
            let Some(segments) = option_path_segments(option) else {
                rules.flag(
                    Code::HostsInvalidOptionPath,
                    key(&at, "not an option path"),
                    format!("`{option}` of {whose} is not an option path"),
                );
                continue;
            };
            if let Some(number) = unrepresentable_number(value) {
                rules.flag(
                    Code::HostsNixNumber,
                    key(&at, "a number Nix cannot hold"),
                    format!("`{option}` of {whose} holds {number}, which Nix cannot represent"),
                );
            }
            let mut leaves = Vec::new();
            leaf_paths(segments, value, &mut leaves);
            if let Some(generated) = leaves.iter().find_map(|leaf| generated_clash(leaf)) {
                rules.flag(
                    Code::HostsNixConflict,
                    key(&at, "set by gen"),
                    format!(
                        "`{option}` of {whose} sets `{generated}`, which gen sets in the host file"
                    ),
                );
                continue;
            }
            set_once(rules, name, &at, option, leaves, &mut set);
        }
    }
}

/// A number in a `nix` value that has no Nix literal: an integer beyond 64
/// signed bits, or a float so small Nix's parser refuses it.
fn unrepresentable_number(value: &serde_json::Value) -> Option<&serde_json::Number> {
    match value {
        serde_json::Value::Number(number) => {
            let too_large = number.is_u64() && !number.is_i64();
            let subnormal = number
                .as_f64()
                .is_some_and(|float| float != 0.0 && !float.is_normal());
            (too_large || (subnormal && !number.is_i64())).then_some(number)
        }
        serde_json::Value::Array(items) => items.iter().find_map(unrepresentable_number),
        serde_json::Value::Object(map) => map.values().find_map(unrepresentable_number),
        _ => None,
    }
}

/// The option gen sets that `leaf` would set too, or one below it.
fn generated_clash(leaf: &[String]) -> Option<&'static str> {
    GENERATED_OPTIONS.into_iter().find(|generated| {
        let generated: Vec<&str> = generated.split('.').collect();
        let common = generated.len().min(leaf.len());
        generated[..common]
            .iter()
            .zip(&leaf[..common])
            .all(|(a, b)| *a == b)
    })
}

/// Full option paths of a `nix` value: its key and, for a mapping, its keys below.
fn leaf_paths(path: Vec<String>, value: &serde_json::Value, leaves: &mut Vec<Vec<String>>) {
    match value.as_object().filter(|map| !map.is_empty()) {
        Some(map) => {
            for (key, inner) in map {
                let mut below = path.clone();
                below.push(key.clone());
                leaf_paths(below, inner, leaves);
            }
        }
        None => leaves.push(path),
    }
}

/// Hand-written modules are imported from the host's directory, inside the flake.
fn module_paths(rules: &mut Rules) {
    for (name, host) in &rules.inventory.hosts {
        for (index, module) in host.value.modules.iter().enumerate() {
            if is_relative_nix_path(module) && stays_in_flake(module) {
                continue;
            }
            rules.flag(
                Code::HostsInvalidModulePath,
                value(
                    &["hosts", name, "modules", &index.to_string()],
                    "not a path inside the flake",
                ),
                format!("`{module}` is not a module path inside the flake"),
            );
        }
    }
}

/// A path from `hosts/<host>/` that does not climb out of the output directory.
fn stays_in_flake(path: &str) -> bool {
    let mut depth: i32 = 2;
    for part in path.split('/') {
        match part {
            ".." => depth -= 1,
            "." | "" => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

fn unmanaged_hosts(rules: &mut Rules) {
    for (name, host) in &rules.inventory.hosts {
        let value = &host.value;
        if value.managed {
            continue;
        }
        if !value.roles.is_empty() {
            rules.flag(
                Code::HostsUnmanagedWithRoles,
                super::value(
                    &["hosts", name, "roles", "0"],
                    "no configuration is generated for this host",
                ),
                format!("Unmanaged host `{name}` has roles"),
            );
        }
        if value.address.is_none() {
            rules.flag(
                Code::HostsUnmanagedWithoutAddress,
                key(&["hosts", name], "needs an address"),
                format!("Unmanaged host `{name}` has no address"),
            );
        }
        if value.profile.is_some() || !value.modules.is_empty() || !value.nix.is_empty() {
            rules.flag(
                Code::HostsUnmanagedWithConfig,
                key(&["hosts", name], "not managed by gen"),
                format!("Unmanaged host `{name}` has a profile, modules or option values"),
            );
        }
    }
}

/// Addresses are compared as what they name: IPs in canonical form, DNS names
/// case-blind; a host without an address counts as `<host>.<domain>`.
fn addresses(rules: &mut Rules) {
    let domain = &rules.inventory.cluster.domain;
    let mut first_use: BTreeMap<String, &str> = BTreeMap::new();
    for (name, host) in &rules.inventory.hosts {
        let declared = host.value.address.as_deref();
        let address = declared.map_or_else(|| format!("{name}.{domain}"), str::to_owned);
        let path = ["hosts", name, "address"];
        if declared.is_some() && !is_address(&address) {
            rules.flag(
                Code::HostsInvalidAddress,
                value(&path, "invalid address"),
                format!("`{address}` is not an IP address or host name"),
            );
            continue;
        }
        unbindable(rules, name, &address);
        let named = canonical(&address);
        match first_use.get(&named) {
            Some(other) => {
                let first = rules
                    .span(value(&["hosts", other, "address"], ""))
                    .or_else(|| rules.span(key(&["hosts", other], "")));
                let host_key = ["hosts", name];
                let at = if declared.is_some() {
                    value(&path, "address used twice")
                } else {
                    key(&host_key, "reached at the same address")
                };
                rules
                    .flag(
                        Code::HostsDuplicateAddress,
                        at,
                        format!("Hosts `{other}` and `{name}` have the same address `{address}`"),
                    )
                    .also(first, "also used here");
            }
            None => {
                first_use.insert(named, name);
            }
        }
    }
}

/// An address as what it names: an IP in canonical form, a DNS name in lower case.
fn canonical(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(ip) => ip.to_canonical().to_string(),
        Err(_) => address.trim_end_matches('.').to_ascii_lowercase(),
    }
}

/// A cluster member's agents bind to its address, and other hosts reach it there.
fn unbindable(rules: &mut Rules, name: &str, address: &str) {
    let Ok(ip) = address.parse::<IpAddr>() else {
        return;
    };
    let Some(host) = rules.inventory.hosts.get(name) else {
        return;
    };
    let is_member = host
        .value
        .roles
        .iter()
        .any(|role| role.value == crate::inventory::Role::ClusterMember);
    if host.value.managed
        && is_member
        && (ip.is_loopback() || ip.is_unspecified() || ip.is_multicast())
    {
        rules.flag(
            Code::HostsUnbindableAddress,
            value(&["hosts", name, "address"], "not reachable from other hosts"),
            format!("Cluster member `{name}` has the address `{address}`, which other hosts cannot reach"),
        );
    }
}

/// An IP literal or a DNS name.
fn is_address(address: &str) -> bool {
    if address.parse::<IpAddr>().is_ok() {
        return true;
    }
    let labels_ok = address.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    let numeric_only = address.chars().all(|c| c.is_ascii_digit() || c == '.');
    address.len() <= 253 && labels_ok && !numeric_only
}

/// Users are immutable and passwordless: without a key nobody can log in.
fn admin_can_log_in(rules: &mut Rules) {
    let admin = &rules.inventory.cluster.admin;
    if admin.ssh_keys.is_empty() {
        let message = format!("Admin `{}` has no SSH key", admin.user);
        rules.flag(
            Code::ClusterNoAdminKeys,
            key(&["cluster", "admin", "ssh_keys"], "no way to log in"),
            message,
        );
    }
}
