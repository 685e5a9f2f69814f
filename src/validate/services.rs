//! Services: images, ports, data, placement, resources, checks and environment.

use std::collections::BTreeMap;

use super::{Part, Rules};
use crate::diagnostic::Diagnostic;
use crate::inventory::{CheckType, Role, Service};
use crate::suggest;

/// Ports the cluster's own agents listen on, and Nomad's dynamic range.
const RESERVED_PORTS: [(u16, &str); 10] = [
    (22, "SSH"),
    (53, "DNS"),
    (2049, "NFS"),
    (4646, "Nomad HTTP"),
    (4647, "Nomad RPC"),
    (4648, "Nomad gossip"),
    (8300, "Consul RPC"),
    (8301, "Consul gossip"),
    (8302, "Consul WAN gossip"),
    (8500, "Consul HTTP"),
];
const DYNAMIC_PORTS: std::ops::RangeInclusive<u16> = 20000..=32000;

pub(super) fn check(rules: &mut Rules) {
    let inventory = rules.inventory;
    let mut static_ports: BTreeMap<u16, (String, String)> = BTreeMap::new();
    for (name, service) in &inventory.services {
        let value = &service.value;
        let path = format!("services.{name}");
        if !is_image_reference(&value.image) {
            let problem = Diagnostic::error("service::invalid-image", format!("`{}` is not a container image reference", value.image))
                .path(format!("{path}.image"))
                .help("write `[registry/]name[:tag][@sha256:digest]` in lowercase, e.g. `ghcr.io/org/app:1.2.3`");
            rules.report(rules.at(
                problem,
                &["services", name, "image"],
                Part::Value,
                "invalid image",
            ));
        }
        ports(rules, name, value, &mut static_ports);
        if value.count == 0 || value.resources.cpu == 0 || value.resources.memory == 0 {
            let problem = Diagnostic::error(
                "service::zero-resources",
                format!("Service `{name}` asks for zero instances, CPU or memory"),
            )
            .path(path.clone())
            .help("`count`, `resources.cpu` (MHz) and `resources.memory` (MB) must be positive");
            rules.report(rules.at(problem, &["services", name], Part::Key, "nothing to run"));
        }
        let data_path_ok =
            value.data_path.starts_with('/') && super::storage::is_plain_path(&value.data_path);
        if value.data && !data_path_ok {
            let problem = Diagnostic::error(
                "service::invalid-data-path",
                format!("`{}` is not an absolute path inside the container", value.data_path),
            )
            .help("write a path from `/` with letters, digits, `.`, `_`, `-` and `/`, e.g. `/var/lib/app`");
            rules.report(rules.at(
                problem,
                &["services", name, "data_path"],
                Part::Value,
                "invalid path",
            ));
        }
        if value.data && inventory.storage.services.is_none() {
            let problem = Diagnostic::error(
                "service::data-without-share",
                format!("Service `{name}` keeps data but no services share is configured"),
            )
            .path(format!("{path}.data"))
            .help("configure `storage.services`, or remove `data: true`");
            rules.report(rules.at(
                problem,
                &["services", name, "data"],
                Part::Key,
                "needs storage.services",
            ));
        }
        placement(rules, name, value);
        health_check(rules, name, value);
        environment(rules, name, value);
    }
    let has_worker = rules.managed_hosts().any(|(_, host)| {
        host.roles
            .iter()
            .any(|role| role.value == Role::NomadWorker)
    });
    if let (false, Some(name)) = (has_worker, inventory.services.keys().next()) {
        let problem = Diagnostic::error(
            "service::no-workers",
            "There are services but no Nomad worker to run them",
        )
        .path("services")
        .help("give at least one cluster member the `nomad-worker` role");
        rules.report(rules.at(
            problem,
            &["services", name],
            Part::Key,
            "no host can run this",
        ));
    }
}

fn ports(
    rules: &mut Rules,
    name: &str,
    service: &Service,
    static_ports: &mut BTreeMap<u16, (String, String)>,
) {
    for (label, port) in &service.ports {
        let path = format!("services.{name}.ports.{label}");
        let Some(number) = port.host() else {
            continue;
        };
        if number == 0 {
            let problem = Diagnostic::error(
                "service::port-zero",
                format!("Port `{label}` of `{name}` is 0"),
            )
            .path(path)
            .help("use a port from 1 to 65535, or `{ to: <container port> }` for a dynamic one");
            rules.report(rules.at(
                problem,
                &["services", name, "ports", label],
                Part::Value,
                "port 0",
            ));
            continue;
        }
        let reserved = RESERVED_PORTS
            .iter()
            .find(|(reserved, _)| *reserved == number)
            .map(|(_, what)| *what);
        let reserved = reserved.or(DYNAMIC_PORTS
            .contains(&number)
            .then_some("Nomad's dynamic ports"));
        if let Some(what) = reserved {
            let problem = Diagnostic::error(
                "service::port-reserved",
                format!("Port {number} of `{name}` is taken by {what}"),
            )
            .path(path.clone())
            .help("pick a static port outside the cluster's own ports and 20000-32000");
            rules.report(rules.at(
                problem,
                &["services", name, "ports", label],
                Part::Value,
                "reserved port",
            ));
        }
        if let Some((other, other_label)) =
            static_ports.insert(number, (name.to_owned(), label.clone()))
        {
            let problem = Diagnostic::error(
                "service::port-conflict",
                format!("Services `{other}` and `{name}` both claim static port {number}"),
            )
            .path(path)
            .help(
                "a static port is taken on every host the job runs on: give each service its own",
            );
            let problem = rules.at(
                problem,
                &["services", name, "ports", label],
                Part::Value,
                "claimed here",
            );
            let problem = rules.also(
                problem,
                &["services", &other, "ports", &other_label],
                Part::Value,
                "and claimed here",
            );
            rules.report(problem);
            static_ports.insert(number, (other, other_label));
        }
    }
}

fn placement(rules: &mut Rules, name: &str, service: &Service) {
    let Some(prefer) = &service.prefer else {
        return;
    };
    let inventory = rules.inventory;
    let wanted = prefer.value.as_str();
    let known = if wanted == "nfs-primary" {
        inventory.storage.services.is_some()
    } else {
        Role::named(wanted).is_some() || inventory.hosts.contains_key(wanted)
    };
    if !known {
        let mut candidates: Vec<&str> = vec!["nfs-primary"];
        candidates.extend(Role::ALL.map(Role::as_str));
        candidates.extend(inventory.hosts.keys().map(String::as_str));
        let help = if wanted == "nfs-primary" {
            "`nfs-primary` needs `storage.services`".to_owned()
        } else {
            suggest::hint(wanted, &candidates)
        };
        rules.report(
            Diagnostic::error(
                "reference::unknown-placement",
                format!("Placement preference `{wanted}` names no host or role"),
            )
            .at(prefer.referenced, "unknown placement")
            .path(format!("services.{name}.prefer"))
            .help(help),
        );
    }
}

fn health_check(rules: &mut Rules, name: &str, service: &Service) {
    let Some(check) = &service.check else {
        return;
    };
    let path = format!("services.{name}.check");
    if let Some(port) = check
        .port
        .as_ref()
        .filter(|port| !service.ports.contains_key(*port))
    {
        let labels: Vec<&str> = service.ports.keys().map(String::as_str).collect();
        let problem = Diagnostic::error(
            "service::unknown-check-port",
            format!("The check of `{name}` uses port `{port}`, which it does not declare"),
        )
        .path(format!("{path}.port"))
        .help(suggest::hint(port, &labels));
        rules.report(rules.at(
            problem,
            &["services", name, "check", "port"],
            Part::Value,
            "no such port",
        ));
    }
    if service.ports.is_empty() {
        let problem = Diagnostic::error(
            "service::check-without-port",
            format!("Service `{name}` has a check but no port"),
        )
        .path(path.clone())
        .help("Consul checks a port: declare one under `ports`");
        rules.report(rules.at(
            problem,
            &["services", name, "check"],
            Part::Key,
            "nothing to check",
        ));
    }
    if check.r#type == CheckType::Http && check.path.is_none() {
        let problem = Diagnostic::error(
            "service::http-check-without-path",
            format!("The HTTP check of `{name}` has no path"),
        )
        .path(path)
        .help("add `path: /health` (or the service's health endpoint), or use `type: tcp`");
        rules.report(rules.at(
            problem,
            &["services", name, "check"],
            Part::Key,
            "needs a path",
        ));
    }
}

fn environment(rules: &mut Rules, name: &str, service: &Service) {
    let index_texts: Vec<String> = (0..service.secret_env.len())
        .map(|index| index.to_string())
        .collect();
    let plain = service
        .env
        .keys()
        .map(|variable| (variable, ["services", name, "env", variable.as_str()]));
    let secret = service
        .secret_env
        .iter()
        .zip(&index_texts)
        .map(|(variable, index)| (variable, ["services", name, "secret_env", index.as_str()]));
    for (variable, path) in plain.chain(secret) {
        let valid = variable
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && variable
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            let problem = Diagnostic::error(
                "service::invalid-env-name",
                format!("`{variable}` is not an environment variable name"),
            )
            .help("use letters, digits and `_`, starting with a letter or `_`");
            rules.report(rules.at(problem, &path, Part::Key, "invalid name"));
        }
    }
}

/// `[registry[:port]/]path[:tag][@algorithm:digest]`, as Docker parses it.
fn is_image_reference(image: &str) -> bool {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let digest_ok = digest.is_none_or(|digest| {
        digest.split_once(':').is_some_and(|(algorithm, hex)| {
            !algorithm.is_empty() && hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
        })
    });
    let last_slash = rest.rfind('/').map_or(0, |slash| slash + 1);
    let (name, tag) = match rest[last_slash..].split_once(':') {
        Some((_, tag)) => (
            &rest[..last_slash + rest[last_slash..].find(':').unwrap_or(0)],
            Some(tag),
        ),
        None => (rest, None),
    };
    let tag_ok = tag.is_none_or(|tag| {
        (1..=128).contains(&tag.len())
            && tag
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    });
    let mut components = name.split('/').peekable();
    let registry_ok = match components.peek() {
        Some(first)
            if name.contains('/')
                && (first.contains('.') || first.contains(':') || *first == "localhost") =>
        {
            let registry = components.next().unwrap_or_default();
            registry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        }
        _ => true,
    };
    let path_ok = components.all(|component| {
        !component.is_empty()
            && component.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
            && component
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && component
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric())
    });
    !name.is_empty() && digest_ok && tag_ok && registry_ok && path_ok
}

#[cfg(test)]
mod tests {
    use super::is_image_reference;

    #[test]
    fn image_references() {
        for good in [
            "postgres:16.4",
            "ghcr.io/org/app:v1",
            "localhost:5000/x",
            "traefik/whoami",
            "a@sha256:0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_image_reference(good), "{good}");
        }
        for bad in [
            "",
            "Postgres",
            "app:",
            "app:-x",
            "a//b",
            "-x",
            "x y",
            "app@sha256:zz",
        ] {
            assert!(!is_image_reference(bad), "{bad}");
        }
    }
}
