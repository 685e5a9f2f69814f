//! Hosts: managed or not, their addresses, and the admin who can log in.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{Rules, key, value};
use crate::diagnostic::Code;

pub(super) fn check(rules: &mut Rules) {
    unmanaged_hosts(rules);
    addresses(rules);
    members_have_ips(rules);
    option_values_leave_generated_ones_alone(rules);
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
const GENERATED_OPTIONS: [&str; 4] = [
    "imports",
    "networking.hostName",
    "sops.defaultSopsFile",
    "cluster",
];

fn option_values_leave_generated_ones_alone(rules: &mut Rules) {
    for (name, host) in &rules.inventory.hosts {
        for (option, value) in &host.value.nix {
            let mut leaves = Vec::new();
            leaf_paths(option, value, &mut leaves);
            let clash = leaves.iter().find_map(|leaf| {
                GENERATED_OPTIONS.iter().find(|generated| {
                    leaf == *generated
                        || leaf.starts_with(&format!("{generated}."))
                        || generated.starts_with(&format!("{leaf}."))
                })
            });
            if let Some(generated) = clash {
                rules.flag(
                    Code::HostsNixConflict,
                    key(&["hosts", name, "nix", option], "set by gen"),
                    format!("`{option}` of host `{name}` sets `{generated}`, which gen sets in the host file"),
                );
            }
        }
    }
}

/// Full option paths of a `nix` value: its key and, for a mapping, its keys below.
fn leaf_paths(path: &str, value: &serde_json::Value, leaves: &mut Vec<String>) {
    match value.as_object().filter(|map| !map.is_empty()) {
        Some(map) => {
            for (key, inner) in map {
                leaf_paths(&format!("{path}.{key}"), inner, leaves);
            }
        }
        None => leaves.push(path.to_owned()),
    }
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
        match first_use.get(&canonical(&address)) {
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
                first_use.insert(canonical(&address), name);
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
