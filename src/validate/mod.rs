//! Rules an inventory must follow before it is resolved, one file per family.
//! Every problem is collected; none stops the others from being found.

mod hosts;
mod names;
mod roles;
mod secrets;
mod services;
mod storage;

use serde_saphyr::Location;

use crate::diagnostic::Diagnostic;
use crate::inventory::Inventory;

/// Every problem with an inventory, errors and warnings, in inventory order.
pub fn validate(inventory: &Inventory, text: &str) -> Vec<Diagnostic> {
    let mut rules = Rules {
        inventory,
        text,
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

/// The inventory under check, its text, and the problems found so far.
struct Rules<'a> {
    inventory: &'a Inventory,
    text: &'a str,
    problems: Vec<Diagnostic>,
}

impl Rules<'_> {
    fn report(&mut self, problem: Diagnostic) {
        self.problems.push(problem);
    }

    /// The span of map key `key` whose value starts at `value`: the last
    /// occurrence of the key before its value.
    fn key_span(&self, value: Location, key: &str) -> Option<(usize, usize)> {
        let value_offset = usize::try_from(value.span().byte_offset()?).ok()?;
        let before = self.text.get(..value_offset.min(self.text.len()))?;
        let start = before.rfind(key)?;
        Some((start, key.len()))
    }

    /// Points `problem` at the key `key` whose value is at `value`.
    fn at_key(&self, problem: Diagnostic, value: Location, key: &str, label: &str) -> Diagnostic {
        match self.key_span(value, key) {
            Some((offset, len)) => problem.at_span(offset, len, label),
            None => problem.at(value, label),
        }
    }

    /// Points `problem` at the first `needle` at or after `within`, the start of
    /// the mapping that holds it: fields without spans of their own.
    fn at_inner(
        &self,
        problem: Diagnostic,
        within: Location,
        needle: &str,
        label: &str,
    ) -> Diagnostic {
        let start = within
            .span()
            .byte_offset()
            .and_then(|offset| usize::try_from(offset).ok())
            .unwrap_or(0)
            .min(self.text.len());
        match self.text[start..].find(needle) {
            Some(found) if !needle.is_empty() => {
                problem.at_span(start + found, needle.len(), label)
            }
            _ => problem.at(within, label),
        }
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
