//! Names of hosts and services: DNS labels, not reserved, no clash in Consul.

use super::{Rules, is_dns_label};
use crate::diagnostic::Diagnostic;
use crate::inventory::Role;

/// Names with a meaning of their own: `common` is the shared secrets file, the
/// rest are placement keywords and profiles, which `prefer` also takes (as it
/// takes roles, also reserved).
const RESERVED: [&str; 7] = [
    "common",
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
    for (name, host) in &inventory.hosts {
        check_name(
            rules,
            "host",
            name,
            host.referenced,
            &format!("hosts.{name}"),
        );
    }
    let share_service = inventory
        .storage
        .services
        .as_ref()
        .map(|share| share.value.consul_service.as_str());
    for (name, service) in &inventory.services {
        let path = format!("services.{name}");
        check_name(rules, "service", name, service.referenced, &path);
        if CONSUL_TAKEN.contains(&name.as_str()) || share_service == Some(name.as_str()) {
            let problem = Diagnostic::error(
                "name::consul-clash",
                format!(
                    "Service `{name}` has the name of a Consul service the cluster registers itself"
                ),
            )
            .path(path)
            .help("Consul would resolve both under one name: rename the service");
            let problem = rules.at_key(problem, service.referenced, name, "taken in Consul");
            rules.report(problem);
        }
    }
}

fn check_name(
    rules: &mut Rules,
    kind: &str,
    name: &str,
    value: serde_saphyr::Location,
    path: &str,
) {
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
        .path(path)
        .help(format!(
            "use lowercase letters, digits and `-`, at most 63 characters: the name becomes a \
                 file name, a Nix attribute and a {} name",
            if kind == "host" { "host" } else { "Nomad job" }
        ));
        let problem = rules.at_key(problem, value, name, "not a DNS label");
        rules.report(problem);
    } else if RESERVED.contains(&name) || Role::named(name).is_some() {
        let problem = Diagnostic::error("name::reserved", format!("`{name}` is reserved and cannot name a {kind}"))
            .path(path)
            .help("roles, profiles, `nfs-primary` and `common` have a meaning of their own: pick another name");
        let problem = rules.at_key(problem, value, name, "reserved name");
        rules.report(problem);
    }
}
