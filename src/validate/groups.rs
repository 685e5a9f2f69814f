//! Groups: a name `prefer` can tell from a host's or a role's, members that
//! name hosts, and no two groups giving one host different values.

use std::collections::BTreeMap;

use super::{Rules, is_dns_label, key, value};
use crate::diagnostic::Code;
use crate::inventory::groups::{PatternMatches, is_pattern};
use crate::inventory::{NFS_PRIMARY, Role};
use crate::suggest;

pub(super) fn check(rules: &mut Rules) {
    let inventory = rules.inventory;
    // Matched as the groups' values were given: once, for every pattern at once.
    let patterns = &inventory.origins.patterns;
    for (name, group) in &inventory.groups {
        group_name(rules, name);
        for (index, member) in group.value.members.iter().enumerate() {
            let index = index.to_string();
            let path = ["groups", name.as_str(), "members", index.as_str()];
            member_names_hosts(rules, &member.value, &path, patterns);
        }
    }
    conflicts(rules);
    for host in &inventory.origins.overfull {
        rules.flag(
            Code::GroupTooMany,
            key(&["hosts", host.as_str()], "in too many groups"),
            format!(
                "Host `{host}` is named by more than {} groups",
                crate::inventory::groups::MAX_GROUPS_PER_HOST
            ),
        );
    }
}

fn group_name(rules: &mut Rules, name: &str) {
    let path = ["groups", name];
    let taken = if rules.inventory.hosts.contains_key(name) {
        Some("a host")
    } else if Role::named(name).is_some() {
        Some("a role")
    } else if name == NFS_PRIMARY {
        Some("the NFS primary's placement")
    } else {
        None
    };
    if !is_dns_label(name) {
        rules.flag(
            Code::GroupInvalidName,
            key(&path, "not a DNS label"),
            format!("`{name}` is not a group name: lowercase letters, digits and `-`"),
        );
    } else if let Some(taken) = taken {
        rules.flag(
            Code::GroupInvalidName,
            key(&path, "name taken"),
            format!("Group `{name}` has the name of {taken}: `prefer: {name}` would be ambiguous"),
        );
    }
}

fn member_names_hosts(rules: &mut Rules, member: &str, path: &[&str], patterns: &PatternMatches) {
    let hosts = &rules.inventory.hosts;
    if is_pattern(member) {
        match globset::Glob::new(member) {
            Err(error) => {
                rules.flag(
                    Code::GroupUnknownMember,
                    value(path, "not a glob pattern"),
                    format!("`{member}` is not a pattern: {}", error.kind()),
                );
            }
            Ok(_) if patterns.hosts(member).is_empty() => {
                rules
                .flag(
                    Code::GroupUnknownMember,
                    value(path, "matches no host"),
                    format!("The pattern `{member}` matches no managed host"),
                )
                .hint("`*` matches any run of characters, `?` one, `[0-9]` one of a set, `{a,b}` either; host names are matched whole, and only managed hosts");
            }
            Ok(_) => {}
        }
    } else if !hosts.contains_key(member) {
        let hint = suggest::closest(member, hosts.keys().map(String::as_str)).map_or_else(
            || "name a host of `hosts`, or match several with a pattern such as `w*`".to_owned(),
            |closest| format!("did you mean `{closest}`?"),
        );
        rules
            .flag(
                Code::GroupUnknownMember,
                value(path, "no such host"),
                format!("Group member `{member}` is not a host"),
            )
            .hint(hint);
    }
}

/// One diagnostic per pair of groups and setting, naming the hosts it affects.
fn conflicts(rules: &mut Rules) {
    let mut by_pair: BTreeMap<(&str, &str, &str), Vec<&str>> = BTreeMap::new();
    for conflict in &rules.inventory.origins.conflicts {
        by_pair
            .entry((&conflict.second, &conflict.setting, &conflict.first))
            .or_default()
            .push(&conflict.host);
    }
    for ((second, setting, first), hosts) in by_pair {
        // Deploy settings are recorded under deploy-rs's names; options as written.
        let written = if setting.starts_with("deploy.") {
            crate::inventory::deploy_key(setting)
        } else {
            setting.to_owned()
        };
        let path = |group: &str| -> Vec<String> {
            let mut path = vec!["groups".to_owned(), group.to_owned()];
            path.extend(match written.split_once('.') {
                Some(("nix", option)) => vec!["nix".to_owned(), option.to_owned()],
                Some((block, field)) => vec![block.to_owned(), field.to_owned()],
                None => vec![written.clone()],
            });
            path
        };
        let (second_path, first_path) = (path(second), path(first));
        let second_path: Vec<&str> = second_path.iter().map(String::as_str).collect();
        let first_path: Vec<&str> = first_path.iter().map(String::as_str).collect();
        let shown: Vec<&str> = hosts.iter().take(3).copied().collect();
        let more = hosts.len().saturating_sub(shown.len());
        let hosts_text = if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        };
        let other = rules.span(key(&first_path, ""));
        rules
            .flag(
                Code::GroupConflict,
                key(&second_path, "conflicts with another group"),
                format!(
                    "Groups `{first}` and `{second}` give `{written}` different values, for {hosts_text}"
                ),
            )
            .hint(format!(
                "groups never override each other: set `{written}` on the host itself, or in only one of `{first}` and `{second}`"
            ))
            .also(other, format!("`{first}` gives it too"));
    }
}
