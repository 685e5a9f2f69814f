//! The ingress and the services' `host` names: where Traefik runs, where its
//! certificates come from, and which names it routes to which service.

use std::collections::{BTreeMap, BTreeSet};

use super::cluster::is_dns_name;
use super::services::is_image_reference;
use super::{Rules, is_env_name, key, value};
use crate::diagnostic::Code;
use crate::inventory::{Acme, Expose, Ingress, IngressTls, Service};
use crate::model::ingress::{self, JOB};

/// Let's Encrypt issues the same set of names 5 times a week; every Traefik
/// asks for its own.
const ACME_HOSTS_WITHIN_LIMIT: usize = 3;

pub(super) fn check(rules: &mut Rules) {
    let inventory = rules.inventory;
    let ingress = inventory.ingress.as_ref().map(|ingress| &ingress.value);
    if let Some(ingress) = ingress {
        certificates(rules, ingress);
        image(rules, ingress);
        hosts(rules, ingress);
        taken(rules, ingress);
    }
    let public_ca = ingress.is_some_and(|ingress| {
        ingress.tls == IngressTls::Acme
            && ingress
                .acme
                .as_ref()
                .is_some_and(|acme| acme.ca_server.is_none())
    });
    let mut routed: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, service) in &inventory.services {
        if let Some(host) = &service.value.host {
            route(rules, name, host, &service.value, ingress.is_some());
            if public_ca && is_private_name(host) {
                rules.flag(
                    Code::IngressAcmePrivateName,
                    value(&["services", name, "host"], "not a public name"),
                    format!("Let's Encrypt issues no certificate for `{host}`, a name only the LAN knows"),
                );
            }
            if let Some(first) = routed.insert(host, name) {
                rules.flag(
                    Code::ServiceDuplicateHost,
                    value(&["services", name, "host"], "taken"),
                    format!("`{host}` is also the host of `{first}`"),
                );
            }
        }
    }
}

/// Where the certificates come from, and whether Traefik can use what is given.
fn certificates(rules: &mut Rules, ingress: &Ingress) {
    match (ingress.tls, &ingress.acme) {
        (IngressTls::Acme, None) => {
            rules.flag(
                Code::IngressMissingAcme,
                value(&["ingress", "tls"], "no acme section"),
                "`tls: acme` needs an `acme` section: the account and the DNS provider",
            );
        }
        (IngressTls::Acme, Some(acme)) => account(rules, acme),
        (_, Some(_)) => {
            rules.flag(
                Code::IngressUnusedAcme,
                key(&["ingress", "acme"], "unused"),
                format!("`acme` is set but `tls` is `{}`", ingress.tls.as_str()),
            );
        }
        (IngressTls::Off, None) => {
            rules.flag(
                Code::SecurityDisabled,
                value(&["ingress", "tls"], "turned off"),
                "`ingress.tls` is off: the services behind the ingress travel unencrypted on the LAN",
            );
        }
        (IngressTls::Certificate, None) => {}
    }
}

/// What Traefik needs of the ACME account and the DNS provider.
fn account(rules: &mut Rules, acme: &Acme) {
    let problems = [
        (
            "email",
            !is_email(&acme.email),
            format!("`{}` is not an email address", acme.email),
        ),
        (
            "dns_provider",
            !is_provider_code(&acme.dns_provider),
            format!("`{}` is not a DNS provider code", acme.dns_provider),
        ),
        (
            "ca_server",
            acme.ca_server
                .as_deref()
                .is_some_and(|url| !is_https_url(url)),
            "the CA's directory is not an https:// URL".to_owned(),
        ),
    ];
    for (field, wrong, message) in problems {
        if wrong {
            rules.flag(
                Code::IngressInvalidAcme,
                value(&["ingress", "acme", field], "not usable"),
                message,
            );
        }
    }
    for (index, variable) in acme.credentials.iter().enumerate() {
        if !is_env_name(variable) {
            rules.flag(
                Code::IngressInvalidAcme,
                value(
                    &["ingress", "acme", "credentials", &index.to_string()],
                    "not a variable name",
                ),
                format!("`{variable}` is not an environment variable name"),
            );
        }
    }
}

/// The hosts it runs on are workers; ACME on many of them hits the CA's limits.
fn hosts(rules: &mut Rules, ingress: &Ingress) {
    let workers: BTreeSet<&String> = rules.workers().into_iter().map(|(name, _)| name).collect();
    for (index, host) in ingress.hosts.iter().enumerate() {
        if !workers.contains(&host.value) {
            rules.flag(
                Code::IngressUnknownHost,
                value(&["ingress", "hosts", &index.to_string()], "not a worker"),
                format!("`{}` is not a Nomad worker of the inventory", host.value),
            );
        }
    }
    let placed = ingress.placed();
    let running = workers
        .iter()
        .filter(|worker| placed.runs_on(worker))
        .count();
    if ingress.tls == IngressTls::Acme
        && ingress.acme.is_some()
        && running > ACME_HOSTS_WITHIN_LIMIT
    {
        rules.flag(
            Code::IngressAcmeOnManyHosts,
            key(&["ingress", "acme"], "one account per host"),
            format!("{running} hosts each ask the CA for the same certificates"),
        );
    }
}

/// An image Docker can pull.
fn image(rules: &mut Rules, ingress: &Ingress) {
    if !is_image_reference(&ingress.image) {
        rules.flag(
            Code::ServiceInvalidImage,
            value(&["ingress", "image"], "not an image reference"),
            format!("`{}` is not a Docker image reference", ingress.image),
        );
    }
}

/// The job's name and ports are the ingress'.
fn taken(rules: &mut Rules, ingress: &Ingress) {
    let inventory = rules.inventory;
    if inventory.services.contains_key(JOB) {
        rules.flag(
            Code::IngressNameTaken,
            key(&["services", JOB], "the ingress job's name"),
            format!("`{JOB}` is the name of the ingress job"),
        );
    }
    let ports = ingress::ports(ingress);
    for (name, service) in &inventory.services {
        for (label, port) in &service.value.ports {
            if let Some(number) = port.host().filter(|number| ports.contains(number)) {
                rules.flag(
                    Code::IngressPortTaken,
                    value(&["services", name, "ports", label], "the ingress' port"),
                    format!("Port {number} of `{name}` is where the ingress listens"),
                );
            }
        }
    }
}

/// A service's `host`: a name, an ingress to route it, a port it can reach.
fn route(rules: &mut Rules, name: &str, host: &str, service: &Service, has_ingress: bool) {
    let path = ["services", name, "host"];
    if !is_dns_name(host) || host.ends_with('.') || host.chars().any(|c| c.is_ascii_uppercase()) {
        rules.flag(
            Code::ServiceInvalidHost,
            value(&path, "not a DNS name"),
            format!("`{host}` is not a lowercase DNS name"),
        );
    }
    if !has_ingress {
        rules.flag(
            Code::ServiceHostWithoutIngress,
            key(&path, "no ingress"),
            format!("`{name}` has a host, but there is no `ingress` to route it"),
        );
    }
    if service.ports.is_empty() || service.schedule.is_some() {
        rules.flag(
            Code::ServiceHostWithoutPort,
            key(&path, "nothing to route to"),
            format!("`{name}` has a host but serves no port"),
        );
    }
    if service
        .main_port()
        .is_some_and(|(_, port)| port.host().is_some() && port.expose() == Expose::Host)
    {
        rules.flag(
            Code::ServiceHostUnreachable,
            key(&path, "main port is host-only"),
            format!("The main port of `{name}` is reachable from its own host only"),
        );
    }
}

fn is_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
            && domain.contains('.')
            && is_dns_name(domain)
    })
}

/// lego's provider codes: lowercase letters and digits, some with `-` or `.`.
fn is_provider_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

fn is_https_url(url: &str) -> bool {
    url.strip_prefix("https://").is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_graphic() && c != '$')
    })
}

/// A name under a top-level domain no public CA issues for: special-use and
/// private ones (`home.arpa`, `.lan`, `.local`, `.internal`, …).
fn is_private_name(host: &str) -> bool {
    const PRIVATE: [&str; 12] = [
        "arpa",
        "lan",
        "local",
        "internal",
        "localhost",
        "localdomain",
        "test",
        "example",
        "invalid",
        "home",
        "corp",
        "intranet",
    ];
    host.trim_end_matches('.')
        .rsplit('.')
        .next()
        .is_some_and(|tld| PRIVATE.contains(&tld))
}
