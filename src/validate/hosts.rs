//! Hosts: managed or not, their addresses, and the admin who can log in.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{At, Rules, key, value};
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

fn addresses(rules: &mut Rules) {
    let mut first_use: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, host) in &rules.inventory.hosts {
        let Some(address) = host.value.address.as_deref() else {
            continue;
        };
        let path = ["hosts", name, "address"];
        let at = value(&path, "invalid address");
        if !is_address(address) {
            rules.flag(
                Code::HostsInvalidAddress,
                at,
                format!("`{address}` is not an IP address or host name"),
            );
        } else if let Some(other) = first_use.get(address) {
            let first = rules.span(value(&["hosts", other, "address"], ""));
            rules
                .flag(
                    Code::HostsDuplicateAddress,
                    At {
                        label: "address used twice",
                        ..at
                    },
                    format!("Hosts `{other}` and `{name}` have the same address `{address}`"),
                )
                .also(first, "also used here");
        } else {
            first_use.insert(address, name);
        }
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
