//! Hosts: managed or not, their addresses, and the admin who can log in.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{Part, Rules};
use crate::diagnostic::Diagnostic;

pub(super) fn check(rules: &mut Rules) {
    unmanaged_hosts(rules);
    addresses(rules);
    admin_can_log_in(rules);
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
