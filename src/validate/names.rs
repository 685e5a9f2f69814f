//! Names of hosts and services: DNS labels, not reserved, no clash in Consul.

use std::collections::BTreeMap;

use super::{Rules, consul_tags, is_dns_label, key};
use crate::diagnostic::Code;
use crate::inventory::Role;
use crate::model::ingress::JOB;
use crate::model::registered_name;

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
    registered_ports(rules, share_service);
}

/// The Consul services of registered ports: each a valid name, none taken twice.
/// Consul looks names up without regard to case, so neither does this.
fn registered_ports(rules: &mut Rules, share_service: Option<&str>) {
    let inventory = rules.inventory;
    let mut taken: BTreeMap<String, String> = CONSUL_TAKEN
        .iter()
        .chain(share_service.iter())
        .map(|name| (name.to_ascii_lowercase(), format!("the cluster's `{name}`")))
        .chain(
            inventory
                .services
                .keys()
                .map(|name| (name.to_ascii_lowercase(), format!("the job `{name}`"))),
        )
        .collect();
    if inventory.ingress.is_some() {
        taken.insert(JOB.to_owned(), "the ingress job".to_owned());
    }
    for (name, service) in &inventory.services {
        for (label, port) in &service.value.ports {
            let Some(registration) = port.registration() else {
                continue;
            };
            let registered = registration
                .name
                .clone()
                .unwrap_or_else(|| registered_name(name, label));
            let path = ["services", name, "ports", label, "register"];
            if !is_dns_label(&registered.to_ascii_lowercase()) {
                rules.flag(
                    Code::ServiceInvalidConsulName,
                    key(&path, "not a Consul name"),
                    format!("`{registered}` is not a name Nomad registers in Consul"),
                );
            } else if let Some(owner) = taken.insert(
                registered.to_ascii_lowercase(),
                format!("port `{label}` of `{name}`"),
            ) {
                rules.flag(
                    Code::ServiceDuplicateConsulName,
                    key(&path, "taken in Consul"),
                    format!("`{registered}` is already the Consul name of {owner}"),
                );
            }
            consul_tags(
                rules,
                &["services", name, "ports", label, "register", "tags"],
                &registration.tags,
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
