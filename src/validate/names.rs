//! Names of hosts and services: DNS labels, not reserved, no clash in Consul.

use super::{Rules, is_dns_label, key};
use crate::diagnostic::Code;
use crate::inventory::Role;

/// Names with a meaning of their own besides the shared secrets files': placement
/// keywords and profiles, which `prefer` also takes (as it takes roles, also reserved).
const RESERVED: [&str; 6] = [
    "nfs-primary",
    "workstation",
    "desktop",
    "localhost",
    "default",
    "secrets",
];

/// Consul service names taken by the cluster itself.
const CONSUL_TAKEN: [&str; 3] = ["consul", "nomad", "nomad-client"];

pub(super) fn check(rules: &mut Rules) {
    let inventory = rules.inventory;
    for name in inventory.hosts.keys() {
        check_name(rules, Code::NameInvalidHost, "hosts", name);
    }
    let share_service = inventory
        .storage
        .services
        .as_ref()
        .map(|share| share.value.consul_service.as_str());
    for name in inventory.services.keys() {
        check_name(rules, Code::NameInvalidService, "services", name);
        if CONSUL_TAKEN.contains(&name.as_str()) || share_service == Some(name.as_str()) {
            rules.flag(
                Code::NameConsulClash,
                key(&["services", name], "taken in Consul"),
                format!(
                    "Service `{name}` has the name of a Consul service the cluster registers itself"
                ),
            );
        }
    }
}

fn check_name(rules: &mut Rules, invalid: Code, collection: &str, name: &str) {
    let kind = if collection == "hosts" {
        "host"
    } else {
        "service"
    };
    if !is_dns_label(name) {
        rules.flag(
            invalid,
            key(&[collection, name], "not a DNS label"),
            format!("The {kind} name `{name}` is not a DNS label"),
        );
    } else if RESERVED.contains(&name)
        || crate::model::SHARED_SECRETS_FILES.contains(&name)
        || Role::named(name).is_some()
    {
        rules.flag(
            Code::NameReserved,
            key(&[collection, name], "reserved name"),
            format!("`{name}` is reserved and cannot name a {kind}"),
        );
    }
}
