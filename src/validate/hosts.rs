//! Hosts: managed or not, their addresses, and the admin who can log in.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{Part, Rules};
use crate::diagnostic::Diagnostic;

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
            let problem = Diagnostic::error(
                "hosts::member-without-ip",
                format!("Cluster member `{name}` has no IP address"),
            )
            .help("give it an IP `address`: its Consul agent binds to it, and a name leaves Consul to pick among Docker's and the LAN's addresses");
            let problem = if host.address.is_some() {
                rules.at(
                    problem,
                    &["hosts", name, "address"],
                    Part::Value,
                    "not an IP address",
                )
            } else {
                rules.at(problem, &["hosts", name], Part::Key, "no address")
            };
            rules.report(problem);
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
                let problem = Diagnostic::error(
                    "hosts::nix-conflict",
                    format!("`{option}` of host `{name}` sets `{generated}`, which gen sets in the host file"),
                )
                .help("the inventory decides it (address, roles, storage); to override it anyway, use `lib.mkForce` in a hand-written module listed under `modules`");
                rules.report(rules.at(
                    problem,
                    &["hosts", name, "nix", option],
                    Part::Key,
                    "set by gen",
                ));
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
        let path = format!("hosts.{name}");
        if let Some(role) = value.roles.first() {
            rules.report(
                Diagnostic::error(
                    "hosts::unmanaged-with-roles",
                    format!("Unmanaged host `{name}` has roles"),
                )
                .at(
                    role.referenced,
                    "no configuration is generated for this host",
                )
                .path(format!("{path}.roles"))
                .help("remove its roles, or set `managed: true` to let gen configure it"),
            );
        }
        if value.address.is_none() {
            let problem = Diagnostic::error(
                "hosts::unmanaged-without-address",
                format!("Unmanaged host `{name}` has no address"),
            )
            .path(path.clone())
            .help("give it an `address`: other hosts mount and back up to it by address");
            let problem = rules.at(problem, &["hosts", name], Part::Key, "needs an address");
            rules.report(problem);
        }
        let configured =
            value.profile.is_some() || !value.modules.is_empty() || !value.nix.is_empty();
        if configured {
            let problem = Diagnostic::error(
                "hosts::unmanaged-with-config",
                format!("Unmanaged host `{name}` has a profile, modules or option values"),
            )
            .path(path)
            .help("these configure NixOS, which gen does not generate for an unmanaged host: remove them");
            let problem = rules.at(problem, &["hosts", name], Part::Key, "not managed by gen");
            rules.report(problem);
        }
    }
}

fn addresses(rules: &mut Rules) {
    let mut first_use: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, host) in &rules.inventory.hosts {
        let Some(address) = host.value.address.as_deref() else {
            continue;
        };
        let path = format!("hosts.{name}.address");
        if !is_address(address) {
            let problem = Diagnostic::error("hosts::invalid-address", format!("`{address}` is not an IP address or host name"))
                .path(path)
                .help("write an IPv4 or IPv6 address, or a DNS name such as `c1.home.arpa`, without port or scheme");
            let problem = rules.at(
                problem,
                &["hosts", name, "address"],
                Part::Value,
                "invalid address",
            );
            rules.report(problem);
        } else if let Some(other) = first_use.insert(address, name) {
            let problem = Diagnostic::error(
                "hosts::duplicate-address",
                format!("Hosts `{other}` and `{name}` have the same address `{address}`"),
            )
            .path(path)
            .help("each host needs its own address: deploy-rs and the cluster reach hosts by it");
            let problem = rules.at(
                problem,
                &["hosts", name, "address"],
                Part::Value,
                "address used twice",
            );
            let problem = rules.also(
                problem,
                &["hosts", other, "address"],
                Part::Value,
                "also used here",
            );
            rules.report(problem);
            first_use.insert(address, other);
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
        let problem = Diagnostic::error("cluster::no-admin-keys", format!("Admin `{}` has no SSH key", admin.user))
            .path("cluster.admin.ssh_keys")
            .help("add at least one public key: accounts have no passwords, and deploy-rs logs in with it");
        let problem = rules.at(
            problem,
            &["cluster", "admin", "ssh_keys"],
            Part::Key,
            "no way to log in",
        );
        rules.report(problem);
    }
}
