//! Names of hosts and services: DNS labels, not reserved, no clash in Consul.

use super::{Part, Rules, is_dns_label};
use crate::diagnostic::Diagnostic;
use crate::inventory::Role;

/// Names with a meaning of their own: `common` and `nfs-services` name secrets files, the
/// rest are placement keywords and profiles, which `prefer` also takes (as it
/// takes roles, also reserved).
const RESERVED: [&str; 8] = [
    "common",
    "nfs-services",
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
        check_name(rules, "host", name);
    }
    let share_service = inventory
        .storage
        .services
        .as_ref()
        .map(|share| share.value.consul_service.as_str());
    for name in inventory.services.keys() {
        let path = format!("services.{name}");
        check_name(rules, "service", name);
        if CONSUL_TAKEN.contains(&name.as_str()) || share_service == Some(name.as_str()) {
            let problem = Diagnostic::error(
                "name::consul-clash",
                format!(
                    "Service `{name}` has the name of a Consul service the cluster registers itself"
                ),
            )
            .path(path.clone())
            .help("Consul would resolve both under one name: rename the service");
            let problem = rules.at(problem, &["services", name], Part::Key, "taken in Consul");
            rules.report(problem);
        }
    }
}

fn check_name(rules: &mut Rules, kind: &str, name: &str) {
    let collection = if kind == "host" { "hosts" } else { "services" };
    let path = format!("{collection}.{name}");
    if !is_dns_label(name) {
        let code = if kind == "host" {
            "name::invalid-host"
        } else {
            "name::invalid-service"
        };
        let problem = Diagnostic::error(
            code,
            format!("The {kind} name `{name}` is not a DNS label"),
        )
        .path(path.clone())
        .help(format!(
            "use lowercase letters, digits and `-`, at most 63 characters: the name becomes a \
                 file name, a Nix attribute and a {} name",
            if kind == "host" { "host" } else { "Nomad job" }
        ));
        let problem = rules.at(problem, &[collection, name], Part::Key, "not a DNS label");
        rules.report(problem);
    } else if RESERVED.contains(&name) || Role::named(name).is_some() {
        let problem = Diagnostic::error("name::reserved", format!("`{name}` is reserved and cannot name a {kind}"))
            .path(path.clone())
            .help("roles, profiles, `nfs-primary` and `common` have a meaning of their own: pick another name");
        let problem = rules.at(problem, &[collection, name], Part::Key, "reserved name");
        rules.report(problem);
    }
}
