//! Rules an inventory must follow before it is resolved, one file per family.
//! Every problem is collected; none stops the others from being found.

mod hosts;
mod names;
mod roles;
mod secrets;
mod services;
mod storage;

use crate::diagnostic::Diagnostic;
use crate::inventory::Inventory;
use crate::load::Places;
use crate::load::tree::pointer;

/// Every problem with an inventory, errors and warnings, in inventory order.
pub fn validate(inventory: &Inventory, text: &str, places: &Places) -> Vec<Diagnostic> {
    let mut rules = Rules {
        inventory,
        text,
        places,
        problems: Vec::new(),
    };
    names::check(&mut rules);
    roles::check(&mut rules);
    hosts::check(&mut rules);
    storage::check(&mut rules);
    services::check(&mut rules);
    secrets::check(&mut rules);
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

/// The inventory under check, its text, where each key and value is in it, and
/// the problems found so far.
struct Rules<'a> {
    inventory: &'a Inventory,
    text: &'a str,
    places: &'a Places,
    problems: Vec<Diagnostic>,
}

impl Rules<'_> {
    fn report(&mut self, problem: Diagnostic) {
        self.problems.push(problem);
    }

    /// Points `problem` at the key or value at `path` (`["hosts", "c1", "address"]`),
    /// and names that path when the problem does not name one yet.
    fn at(&self, problem: Diagnostic, path: &[&str], part: Part, label: &str) -> Diagnostic {
        let problem = match self.places.get(&pointer(path)) {
            Some(place) if problem.path.is_empty() => problem.path(place.path.clone()),
            _ => problem,
        };
        match self.span(path, part) {
            Some((offset, len)) => problem.at_span(offset, len, label),
            None => problem,
        }
    }

    /// Adds the key or value at `path` as a second place to `problem`.
    fn also(&self, problem: Diagnostic, path: &[&str], part: Part, label: &str) -> Diagnostic {
        match self.span(path, part) {
            Some((offset, len)) => problem.also_at_span(offset, len, label),
            None => problem,
        }
    }

    /// Offset and length of the key or value at `path`.
    fn span(&self, path: &[&str], part: Part) -> Option<(usize, usize)> {
        let place = self.places.get(&pointer(path))?;
        let offset = match part {
            Part::Key => place.key.or(place.value),
            Part::Value => place.value.or(place.key),
        }?;
        let len = match (part, place.key) {
            (Part::Key, Some(_)) => crate::load::token_len(self.text, offset),
            _ => crate::load::scalar_len(self.text, offset),
        };
        Some((offset, len))
    }

    fn managed_hosts(&self) -> impl Iterator<Item = (&String, &crate::inventory::Host)> {
        self.inventory
            .hosts
            .iter()
            .filter(|(_, host)| host.value.managed)
            .map(|(name, host)| (name, &host.value))
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
