//! Groups: settings given to every member host at once.
//!
//! A group names its members (host names or glob patterns) and gives them
//! roles, a profile, deploy settings and NixOS option values. Precedence is
//! cluster, then groups, then the host: a host's own value always wins, and a
//! group's wins over the cluster's deploy settings. Two groups never override
//! each other: when both give one host different values for one setting, that
//! is a conflict the validation reports, naming both, so the order groups are
//! written in changes nothing.
//!
//! [`apply`] writes the groups' values into the hosts, before validation, so
//! every later stage sees each host as if written out by hand, and records
//! where each came from for `gen explain`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{DeploySettings, Host, Inventory, Located, Profile, Role};

/// Settings given to every member host.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Host names, or glob patterns over them (`w*`, `node-[0-9]*`).
    #[schemars(with = "Vec<String>")]
    pub members: Vec<Located<String>>,
    /// Roles every member has, besides its own.
    #[serde(default)]
    #[schemars(with = "Vec<Role>")]
    pub roles: Vec<Located<Role>>,
    /// Profile of the members that do not set one.
    pub profile: Option<Profile>,
    /// deploy-rs settings of the members, over the cluster's and under each host's.
    #[serde(default)]
    pub deploy: DeploySettings,
    /// NixOS option values of the members, under each host's own.
    #[serde(default)]
    pub nix: BTreeMap<String, serde_json::Value>,
}

/// Where the values the groups gave came from, and where two groups disagree.
#[derive(Debug, Default)]
pub struct Origins {
    /// `(host, setting)` → the group that gave it; settings are `roles.<role>`,
    /// `profile`, `deploy.<deploy-rs name>` and `nix.<option>`.
    pub given: BTreeMap<(String, String), String>,
    /// Groups each host is in, by host.
    pub groups_of: std::collections::HashMap<String, Vec<String>>,
    /// Two groups giving one setting of one host different values.
    pub conflicts: Vec<Conflict>,
    /// Hosts that more than [`MAX_GROUPS_PER_HOST`] groups name.
    pub overfull: std::collections::BTreeSet<String>,
    /// The hosts each member pattern matched.
    pub patterns: PatternMatches,
}

/// Groups a host may be a member of.
pub const MAX_GROUPS_PER_HOST: usize = 64;

/// Two groups that give a host's setting different values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub setting: String,
    pub first: String,
    pub second: String,
    pub host: String,
}

impl Origins {
    /// The group that gave `host` its `setting`, if a group did.
    pub fn of(&self, host: &str, setting: &str) -> Option<&str> {
        self.given
            .get(&(host.to_owned(), setting.to_owned()))
            .map(String::as_str)
    }
}

/// Whether a member entry is a glob pattern rather than a host name.
pub fn is_pattern(member: &str) -> bool {
    member.contains(['*', '?', '[', '{'])
}

/// The managed hosts each glob pattern among the groups' members matches (an
/// unmanaged one, a storage box, takes no settings), in name order. All
/// patterns are matched at once, in one pass over the hosts: a group per rack,
/// each with its pattern, costs the hosts, not the hosts times the patterns. A
/// pattern that does not compile matches none (validation says why).
#[derive(Debug, Default)]
pub struct PatternMatches(BTreeMap<String, Vec<String>>);

impl PatternMatches {
    pub fn of(inventory: &Inventory) -> Self {
        let globs: Vec<(&str, globset::Glob)> = inventory
            .groups
            .values()
            .flat_map(|group| &group.value.members)
            .map(|member| member.value.as_str())
            .filter(|member| is_pattern(member))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter_map(|pattern| Some((pattern, globset::Glob::new(pattern).ok()?)))
            .collect();
        let mut builder = globset::GlobSetBuilder::new();
        for (_, glob) in &globs {
            builder.add(glob.clone());
        }
        let mut matches: BTreeMap<String, Vec<String>> = globs
            .iter()
            .map(|(pattern, _)| ((*pattern).to_owned(), Vec::new()))
            .collect();
        // One set of every pattern; should it be too large to build, each on its own.
        let set = builder.build().ok();
        let one_by_one: Vec<globset::GlobMatcher> = match set {
            Some(_) => Vec::new(),
            None => globs
                .iter()
                .map(|(_, glob)| glob.compile_matcher())
                .collect(),
        };
        let mut found = Vec::new();
        for (name, host) in &inventory.hosts {
            if !host.value.managed {
                continue;
            }
            if let Some(set) = &set {
                set.matches_into(name.as_str(), &mut found);
            } else {
                found.clear();
                found.extend(
                    (0..one_by_one.len()).filter(|&index| one_by_one[index].is_match(name)),
                );
            }
            for &index in &found {
                if let Some(hosts) = matches.get_mut(globs[index].0) {
                    hosts.push(name.clone());
                }
            }
        }
        Self(matches)
    }

    /// The hosts `pattern` matches; none for a pattern no group names.
    pub fn hosts(&self, pattern: &str) -> &[String] {
        self.0.get(pattern).map_or(&[], Vec::as_slice)
    }
}

/// Whether two option paths set the same option, or one sets a part of the other.
fn overlap(a: &str, b: &str) -> bool {
    let under = |long: &str, short: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    under(a, b) || under(b, a)
}

/// Writes every group's values into its member hosts; the host's own win.
pub fn apply(inventory: &mut Inventory) -> Origins {
    let mut origins = Origins {
        patterns: PatternMatches::of(inventory),
        ..Origins::default()
    };
    for (group_name, group) in &inventory.groups {
        // Each member entry's hosts: the host of that name, or those its pattern matches.
        let mut matched: Vec<&String> = group
            .value
            .members
            .iter()
            .flat_map(|member| {
                let member = member.value.as_str();
                if is_pattern(member) {
                    origins.patterns.hosts(member).iter().collect()
                } else {
                    inventory
                        .hosts
                        .get_key_value(member)
                        .map(|(name, _)| name)
                        .into_iter()
                        .collect::<Vec<_>>()
                }
            })
            .collect();
        // One member's hosts come in name order already.
        if group.value.members.len() > 1 {
            matched.sort();
            matched.dedup();
        }
        // A host joins at most MAX_GROUPS_PER_HOST groups: the work and memory
        // of many groups over many hosts stay in proportion to the hosts.
        let mut members = Vec::new();
        for host_name in matched {
            let groups = match origins.groups_of.get_mut(host_name) {
                Some(groups) => groups,
                None => origins.groups_of.entry(host_name.clone()).or_default(),
            };
            if groups.len() < MAX_GROUPS_PER_HOST {
                groups.push(group_name.clone());
                members.push(host_name.clone());
            } else if !origins.overfull.contains(host_name) {
                origins.overfull.insert(host_name.clone());
            }
        }
        for host_name in &members {
            if let Some(host) = inventory.hosts.get_mut(host_name) {
                give_nix(
                    &mut origins,
                    group_name,
                    &group.value,
                    host_name,
                    &mut host.value,
                );
                give(
                    &mut origins,
                    group_name,
                    &group.value,
                    host_name,
                    &mut host.value,
                );
            }
        }
    }
    origins
}

/// A group's option values, each unless the host sets that option (or a part
/// of it, or a set holding it) itself; two groups that do are in conflict.
fn give_nix(
    origins: &mut Origins,
    group_name: &str,
    group: &Group,
    host_name: &str,
    host: &mut Host,
) {
    for (option, value) in &group.nix {
        let set = host.nix.keys().find(|key| overlap(key, option)).cloned();
        let Some(key) = set else {
            let setting = format!("nix.{option}");
            origins
                .given
                .insert((host_name.to_owned(), setting), group_name.to_owned());
            host.nix.insert(option.clone(), value.clone());
            continue;
        };
        let Some(first) = origins.of(host_name, &format!("nix.{key}")) else {
            // The host's own value wins.
            continue;
        };
        if key != *option || host.nix.get(&key) != Some(value) {
            origins.conflicts.push(Conflict {
                setting: format!("nix.{option}"),
                first: first.to_owned(),
                second: group_name.to_owned(),
                host: host_name.to_owned(),
            });
        }
    }
}

/// Gives one host one group's values, recording each and every disagreement
/// with a group before.
fn give(origins: &mut Origins, group_name: &str, group: &Group, host_name: &str, host: &mut Host) {
    let mut offer = |setting: String, same: bool, unset: bool| -> bool {
        let key = (host_name.to_owned(), setting.clone());
        if let Some(first) = origins.given.get(&key) {
            if !same {
                origins.conflicts.push(Conflict {
                    setting,
                    first: first.clone(),
                    second: group_name.to_owned(),
                    host: host_name.to_owned(),
                });
            }
            return false;
        }
        if unset {
            origins.given.insert(key, group_name.to_owned());
        }
        unset
    };
    for role in &group.roles {
        let unset = !host.roles.iter().any(|own| own.value == role.value);
        if offer(format!("roles.{}", role.value.as_str()), true, unset) {
            host.roles.push(role.clone());
        }
    }
    if let Some(profile) = group.profile {
        let same = host.profile == Some(profile);
        if offer("profile".to_owned(), same, host.profile.is_none()) {
            host.profile = Some(profile);
        }
    }
    give_deploy(&mut offer, &group.deploy, &mut host.deploy);
}

/// The deploy settings, field by field, under their deploy-rs names.
fn give_deploy(
    offer: &mut impl FnMut(String, bool, bool) -> bool,
    group: &DeploySettings,
    host: &mut DeploySettings,
) {
    macro_rules! fields {
        ($($field:ident => $name:literal),* $(,)?) => {$(
            if let Some(value) = &group.$field {
                let same = host.$field.as_ref() == Some(value);
                if offer(format!("deploy.{}", $name), same, host.$field.is_none()) {
                    host.$field = Some(value.clone());
                }
            }
        )*};
    }
    fields! {
        ssh_user => "sshUser",
        ssh_opts => "sshOpts",
        remote_build => "remoteBuild",
        magic_rollback => "magicRollback",
        auto_rollback => "autoRollback",
        fast_connection => "fastConnection",
        confirm_timeout => "confirmTimeout",
        activation_timeout => "activationTimeout",
    }
}
