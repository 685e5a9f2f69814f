//! Rules an inventory must follow before it is resolved, one file per family.
//! Every problem is collected; none stops the others from being found.

mod calendar;
mod cluster;
mod groups;
mod hosts;
mod ingress;
mod lifecycle;
mod names;
mod roles;
mod secrets;
mod security;
mod services;
mod storage;

use crate::diagnostic::{Code, Diagnostic};
use crate::inventory::Inventory;
use crate::source::{Places, pointer, scalar_len, token_len};

/// Every problem with an inventory, errors and warnings, in inventory order.
pub fn validate(inventory: &Inventory, text: &str, places: &Places) -> Vec<Diagnostic> {
    let mut rules = Rules {
        inventory,
        text,
        places,
        problems: Vec::new(),
    };
    names::check(&mut rules);
    cluster::check(&mut rules);
    groups::check(&mut rules);
    roles::check(&mut rules);
    hosts::check(&mut rules);
    storage::check(&mut rules);
    services::check(&mut rules);
    lifecycle::check(&mut rules);
    ingress::check(&mut rules);
    secrets::check(&mut rules);
    security::check(&mut rules);
    let mut problems = rules.problems;
    problems.sort_by_key(|problem| problem.at.map_or(usize::MAX, |span| span.offset()));
    problems
}

/// Which part of a key-value pair a diagnostic underlines.
#[derive(Clone, Copy)]
enum Part {
    Key,
    Value,
}

/// Where a diagnostic points: the key or the value at a key path given as
/// segments (`["hosts", "c1", "address"]`), so a name holding `.` stays one
/// segment, with the label shown under it.
#[derive(Clone, Copy)]
struct At<'a> {
    path: &'a [&'a str],
    part: Part,
    label: &'a str,
}

fn key<'a>(path: &'a [&'a str], label: &'a str) -> At<'a> {
    At {
        path,
        part: Part::Key,
        label,
    }
}

fn value<'a>(path: &'a [&'a str], label: &'a str) -> At<'a> {
    At {
        path,
        part: Part::Value,
        label,
    }
}

/// The inventory under check, its text, where each key and value is in it, and
/// the problems found so far.
struct Rules<'a> {
    inventory: &'a Inventory,
    text: &'a str,
    places: &'a Places,
    problems: Vec<Diagnostic>,
}

impl Rules<'_> {
    /// Reports `code` at `at`; the reported diagnostic is returned to change its
    /// hint or add a second place.
    fn flag(&mut self, code: Code, at: At, message: impl Into<String>) -> &mut Diagnostic {
        let mut problem = Diagnostic::new(code, message).label_only(at.label);
        if let Some((place, _)) = self.place(at) {
            problem = problem.path(place.path.clone());
        }
        if let Some((offset, len)) = self.span(at) {
            problem = problem.at_span(offset, len, at.label);
        }
        let index = self.problems.len();
        self.problems.push(problem);
        &mut self.problems[index]
    }

    /// Offset and length of the key or value `at` points to.
    fn span(&self, at: At) -> Option<(usize, usize)> {
        let (place, at) = self.place(at)?;
        let offset = match at.part {
            Part::Key => place.key.or(place.value),
            Part::Value => place.value.or(place.key),
        }?;
        let len = match (at.part, place.key) {
            (Part::Key, Some(_)) => token_len(self.text, offset),
            _ => scalar_len(self.text, offset),
        };
        Some((offset, len))
    }

    /// The place of the key `at` points to or, when it has none, of the
    /// nearest key above it: a value a group gave a host is not written under
    /// the host, whose own key is then the place.
    fn place<'p>(&self, at: At<'p>) -> Option<(&crate::source::Place, At<'p>)> {
        (1..=at.path.len()).rev().find_map(|len| {
            let nearer = At {
                path: &at.path[..len],
                ..at
            };
            Some((self.places.get(&pointer(nearer.path))?, nearer))
        })
    }
}

impl<'a> Rules<'a> {
    /// The services share, when there is one.
    fn services_share(&self) -> Option<&'a crate::inventory::ServicesShare> {
        let share = self.inventory.storage.services.as_ref()?;
        Some(&share.value)
    }

    /// Managed hosts with `nomad-worker`: where jobs run.
    fn workers(&self) -> Vec<(&'a String, &'a crate::inventory::Host)> {
        self.inventory
            .hosts
            .iter()
            .map(|(name, host)| (name, &host.value))
            .filter(|(_, host)| {
                host.managed
                    && host
                        .roles
                        .iter()
                        .any(|role| role.value == crate::inventory::Role::NomadWorker)
            })
            .collect()
    }
}

/// Whether `name` is a DNS label: lowercase letters, digits and `-`, at most 63
/// characters, not starting or ending with `-`. Such a name is also a safe file
/// name, Nix attribute, Nomad job id and Consul name.
fn is_dns_label(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A name the shell and Nomad's env files take: a letter or `_`, then letters,
/// digits and `_`.
fn is_env_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Consul tags at `path`: Consul keeps any but a blank one or one with a
/// control character; `traefik.` tags are the ingress', written from `host`.
fn consul_tags(rules: &mut Rules, path: &[&str], tags: &[String]) {
    for (index, tag) in tags.iter().enumerate() {
        let index = index.to_string();
        let mut at: Vec<&str> = path.to_vec();
        at.push(&index);
        if tag.trim().is_empty() || tag.chars().any(char::is_control) {
            rules.flag(
                Code::ServiceInvalidTag,
                value(&at, "not a tag"),
                format!("`{tag:?}` cannot be a Consul tag"),
            );
        } else if tag.to_ascii_lowercase().starts_with("traefik.") {
            rules.flag(
                Code::ServiceIngressTag,
                value(&at, "the ingress' tag"),
                format!("`{tag}` would route the port through the ingress, past its checks and the firewall"),
            );
        }
    }
}
