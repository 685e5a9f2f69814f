//! What changes between two renders of the cluster: which hosts' configurations,
//! which jobs, which secrets, and the inventory keys behind them.
//!
//! A host's configuration is the closure of the files its flake entry names:
//! its own file, the modules it imports, the files they read. gen follows the
//! path literals of the rendered files themselves, so what counts is what Nix
//! would read, whatever the templates say.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::nixfile;
use super::reboot::{self, Reboot};
use crate::model::Cluster;
use crate::model::secrets::{self, SecretFile};
use crate::paths;
use crate::render::RenderedFile;

/// One render of the cluster: its model, its files, and the inventory's values.
pub struct Side<'a> {
    pub model: &'a Cluster,
    pub files: HashMap<&'a str, &'a str>,
    pub values: &'a serde_json::Value,
}

impl<'a> Side<'a> {
    pub fn new(
        model: &'a Cluster,
        files: &'a [RenderedFile],
        values: &'a serde_json::Value,
    ) -> Self {
        let files = files
            .iter()
            .map(|file| (file.path.as_str(), file.contents.as_str()))
            .collect();
        Self {
            model,
            files,
            values,
        }
    }
}

/// Whether a host, job or secret is new, changed or gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Added,
    Changed,
    Removed,
}

/// A host whose configuration changes.
#[derive(Debug, Clone, Serialize)]
pub struct HostChange {
    pub name: String,
    pub change: Change,
    /// The output files of its configuration that change.
    pub files: Vec<String>,
    /// The inventory keys that changed it, as far as gen can tell.
    pub keys: Vec<String>,
    /// Why the change takes effect only after a reboot; empty when it switches live.
    pub reboot: Vec<Reboot>,
}

/// A sops file whose recipients or keys change.
#[derive(Debug, Clone, Serialize)]
pub struct SecretChange {
    pub path: String,
    pub change: Change,
    /// Keys it must now hold, with how to make each.
    pub new_keys: Vec<(String, String)>,
    /// Keys nothing reads any more.
    pub unused_keys: Vec<String>,
    /// Whether it must be encrypted again to a changed set of recipients.
    pub recipients_changed: bool,
    /// Whether a recipient lost access: the data key must change too.
    pub recipients_removed: bool,
}

/// The inventory keys that differ, as dotted paths, the outermost that does:
/// a new host is `hosts.n4`, not each of its keys.
pub fn changed_keys(before: &serde_json::Value, after: &serde_json::Value) -> Vec<String> {
    let mut keys = Vec::new();
    diff_values(before, after, "", &mut keys);
    keys
}

fn diff_values(
    before: &serde_json::Value,
    after: &serde_json::Value,
    at: &str,
    keys: &mut Vec<String>,
) {
    use serde_json::Value::Object;
    match (before, after) {
        (Object(old), Object(new)) => {
            let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            for name in names {
                let path = if at.is_empty() {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                match (old.get(name), new.get(name)) {
                    (Some(old), Some(new)) => diff_values(old, new, &path, keys),
                    _ => keys.push(path),
                }
            }
        }
        (old, new) if old != new => keys.push(at.to_owned()),
        _ => {}
    }
}

/// Keys of other entries listed for a host, at most: the rest are counted.
const OTHERS_SHOWN: usize = 5;

/// The changed inventory keys by what they concern, so each host's are found
/// without going through them all.
pub struct KeyIndex {
    /// `(hosts|services|groups, name)` → its keys.
    by_entry: HashMap<(String, String), Vec<String>>,
    /// Keys outside any host, service or group.
    cluster_wide: Vec<String>,
    /// What a host none of whose keys changed is shown: a few others.
    others: Vec<String>,
}

impl KeyIndex {
    pub fn new(keys: &[String]) -> Self {
        let mut index = Self {
            by_entry: HashMap::new(),
            cluster_wide: Vec::new(),
            others: keys.iter().take(OTHERS_SHOWN).cloned().collect(),
        };
        if keys.len() > OTHERS_SHOWN {
            index
                .others
                .push(format!("and {} more", keys.len() - OTHERS_SHOWN));
        }
        for key in keys {
            let mut parts = key.splitn(3, '.');
            match (parts.next(), parts.next()) {
                (Some(section @ ("hosts" | "services" | "groups")), Some(name)) => index
                    .by_entry
                    .entry((section.to_owned(), name.to_owned()))
                    .or_default()
                    .push(key.clone()),
                _ => index.cluster_wide.push(key.clone()),
            }
        }
        index
    }

    /// The keys that concern the host `name`: its own, those of the `groups`
    /// it is or was in, and the cluster-wide ones; when none changed, a few of
    /// another entry's (a peer's address is in every firewall), and how many more.
    pub fn of_host(&self, name: &str, groups: &[&str]) -> Vec<String> {
        let entry = |section: &str, name: &str| {
            self.by_entry
                .get(&(section.to_owned(), name.to_owned()))
                .into_iter()
                .flatten()
                .cloned()
        };
        let mut keys: Vec<String> = entry("hosts", name).collect();
        for group in groups {
            keys.extend(entry("groups", group));
        }
        keys.extend(self.cluster_wide.iter().cloned());
        if keys.is_empty() {
            self.others.clone()
        } else {
            keys
        }
    }
}

/// The groups each host is in, before or after the change.
fn groups_by_host<'a>(before: &'a Side, after: &'a Side) -> HashMap<&'a str, Vec<&'a str>> {
    let mut groups: HashMap<&str, Vec<&str>> = HashMap::new();
    for host in before.model.hosts.iter().chain(&after.model.hosts) {
        let entry = groups.entry(host.name.as_str()).or_default();
        entry.extend(host.groups.iter().map(String::as_str));
        entry.sort_unstable();
        entry.dedup();
    }
    groups
}

/// The hosts whose configuration differs between the renders, in name order.
pub fn hosts(before: &Side, after: &Side, keys: &[String]) -> Vec<HostChange> {
    use rayon::prelude::*;
    let keys = KeyIndex::new(keys);
    let changed = changed_files(before, after);
    let (flake, (graph, reboots)) = rayon::join(
        || FlakeChange::between(before, after),
        || {
            rayon::join(
                || Graph::of(after),
                || reboots_by_file(&changed, before, after),
            )
        },
    );
    let old = host_names(before.model);
    let groups = groups_by_host(before, after);
    let mut found: Vec<HostChange> = after
        .model
        .hosts
        .par_iter()
        .filter_map(|host| {
            let name = host.name.as_str();
            let mut files: Vec<String> = graph
                .closure(name)
                .into_iter()
                .filter(|path| changed.contains(path.as_str()))
                .collect();
            let flake_leaves = flake.leaves_of(name);
            if !flake_leaves.is_empty() {
                files.insert(0, paths::FLAKE.to_owned());
            }
            let is_new = !old.contains(name);
            if files.is_empty() && !is_new {
                return None;
            }
            let reboot = if is_new {
                Vec::new()
            } else {
                reboots_of(&flake_leaves, &files, &reboots)
            };
            Some(HostChange {
                name: name.to_owned(),
                change: if is_new {
                    Change::Added
                } else {
                    Change::Changed
                },
                files,
                keys: keys.of_host(name, groups.get(name).map_or(&[], Vec::as_slice)),
                reboot,
            })
        })
        .collect();
    found.extend(removed_hosts(before, after, &groups, &keys));
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Why a host whose flake bindings `flake_leaves` and files `files` changed
/// must reboot.
fn reboots_of(
    flake_leaves: &[String],
    files: &[String],
    by_file: &HashMap<&str, Vec<Reboot>>,
) -> Vec<Reboot> {
    let mut reboot = reboot::of_leaves(flake_leaves.iter().map(String::as_str));
    reboot.extend(
        files
            .iter()
            .filter_map(|path| by_file.get(path.as_str()))
            .flatten()
            .cloned(),
    );
    reboot.sort();
    reboot.dedup();
    reboot
}

/// Why each changed Nix file (but the flake, judged per host) needs a reboot.
fn reboots_by_file<'a>(
    changed: &BTreeSet<&'a str>,
    before: &Side,
    after: &Side,
) -> HashMap<&'a str, Vec<Reboot>> {
    use rayon::prelude::*;
    changed
        .par_iter()
        .filter(|path| path.ends_with(".nix") && **path != paths::FLAKE)
        .map(|path| {
            let old = before.files.get(path).copied().unwrap_or_default();
            let new = after.files.get(path).copied().unwrap_or_default();
            let mut reasons =
                reboot::of_leaves(reboot::changed_leaves(old, new).iter().map(String::as_str));
            reasons.extend(reboot::of_lines(old, new));
            (*path, reasons)
        })
        .collect()
}

fn host_names(cluster: &Cluster) -> BTreeSet<&str> {
    cluster
        .hosts
        .iter()
        .map(|host| host.name.as_str())
        .collect()
}

fn removed_hosts(
    before: &Side,
    after: &Side,
    groups: &HashMap<&str, Vec<&str>>,
    keys: &KeyIndex,
) -> Vec<HostChange> {
    let current = host_names(after.model);
    before
        .model
        .hosts
        .iter()
        .filter(|host| !current.contains(host.name.as_str()))
        .map(|host| HostChange {
            name: host.name.clone(),
            change: Change::Removed,
            files: Vec::new(),
            keys: keys.of_host(
                &host.name,
                groups.get(host.name.as_str()).map_or(&[], Vec::as_slice),
            ),
            reboot: Vec::new(),
        })
        .collect()
}

/// The output paths whose contents differ, or that only one render has.
fn changed_files<'a>(before: &Side<'a>, after: &Side<'a>) -> BTreeSet<&'a str> {
    let mut changed: BTreeSet<&str> = after
        .files
        .iter()
        .filter(|(path, contents)| before.files.get(*path) != Some(contents))
        .map(|(path, _)| *path)
        .collect();
    changed.extend(
        before
            .files
            .keys()
            .filter(|path| !after.files.contains_key(*path)),
    );
    changed
}

/// The bindings of the flake that differ: most belong to one host
/// (`nixosConfigurations.<host>`, `deploy.nodes.<host>.*`), the rest to all.
struct FlakeChange {
    shared: Vec<String>,
    by_host: BTreeMap<String, Vec<String>>,
}

impl FlakeChange {
    fn between(before: &Side, after: &Side) -> Self {
        let old = before.files.get(paths::FLAKE).copied().unwrap_or_default();
        let new = after.files.get(paths::FLAKE).copied().unwrap_or_default();
        let mut change = Self {
            shared: Vec::new(),
            by_host: BTreeMap::new(),
        };
        if old == new {
            return change;
        }
        for leaf in reboot::changed_leaves(old, new) {
            match flake_owner(&leaf) {
                Some(host) => change
                    .by_host
                    .entry(host.to_owned())
                    .or_default()
                    .push(leaf),
                None => change.shared.push(leaf),
            }
        }
        change
    }

    fn leaves_of(&self, host: &str) -> Vec<String> {
        let own = self.by_host.get(host).into_iter().flatten();
        self.shared.iter().chain(own).cloned().collect()
    }
}

/// The host a flake binding belongs to: `…nixosConfigurations.<host>…` or
/// `…deploy.nodes.<host>…`.
fn flake_owner(leaf: &str) -> Option<&str> {
    let parts: Vec<&str> = leaf.split('.').collect();
    parts
        .windows(2)
        .enumerate()
        .find_map(|(at, pair)| match pair {
            ["nixosConfigurations", host] => Some(*host),
            ["nodes", host] if at > 0 && parts[at - 1] == "deploy" => Some(*host),
            _ => None,
        })
}

/// Which output files each file names, and each host's flake entry: worked
/// out once per render, so each host's closure is a walk over known edges.
struct Graph<'s> {
    side: &'s Side<'s>,
    references: HashMap<&'s str, Vec<String>>,
    roots: HashMap<String, Vec<String>>,
}

impl<'s> Graph<'s> {
    fn of(side: &'s Side<'s>) -> Self {
        use rayon::prelude::*;
        let references = side
            .files
            .par_iter()
            .filter(|(path, _)| path.ends_with(".nix") && **path != paths::FLAKE)
            .map(|(path, text)| {
                let named = nixfile::path_literals(text)
                    .into_iter()
                    .filter_map(|written| nixfile::resolve(path, &written))
                    .collect();
                (*path, named)
            })
            .collect();
        let flake = side.files.get(paths::FLAKE).copied().unwrap_or_default();
        let mut roots: HashMap<String, Vec<String>> = HashMap::new();
        for (leaf, value) in nixfile::bindings(flake) {
            if let Some(host) = flake_owner(&leaf) {
                roots.entry(host.to_owned()).or_default().extend(
                    nixfile::path_literals(&value)
                        .into_iter()
                        .filter_map(|written| nixfile::resolve(paths::FLAKE, &written)),
                );
            }
        }
        Self {
            side,
            references,
            roots,
        }
    }

    /// The output files a host's configuration reads, from its flake entry on.
    fn closure(&self, host: &str) -> BTreeSet<String> {
        let mut pending: Vec<String> = self.roots.get(host).cloned().unwrap_or_default();
        let mut files = BTreeSet::new();
        while let Some(path) = pending.pop() {
            let Some(path) = existing(self.side, &path) else {
                continue;
            };
            if let Some(named) = self.references.get(path.as_str()) {
                if files.insert(path) {
                    pending.extend(named.iter().cloned());
                }
            } else {
                files.insert(path);
            }
        }
        files
    }
}

/// The rendered file `path` names: itself, or the `default.nix` of a directory.
fn existing(side: &Side, path: &str) -> Option<String> {
    if side.files.contains_key(path) {
        return Some(path.to_owned());
    }
    let default = format!("{path}/default.nix");
    side.files.contains_key(default.as_str()).then_some(default)
}

/// The sops files whose keys or recipients differ.
pub fn secrets(before: &Cluster, after: &Cluster) -> Vec<SecretChange> {
    let old: BTreeMap<String, SecretFile> = secrets::catalogue(before)
        .into_iter()
        .map(|file| (file.path.clone(), file))
        .collect();
    let new: BTreeMap<String, SecretFile> = secrets::catalogue(after)
        .into_iter()
        .map(|file| (file.path.clone(), file))
        .collect();
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    paths
        .into_iter()
        .filter_map(|path| secret_change(path, old.get(path), new.get(path)))
        .collect()
}

fn secret_change(
    path: &str,
    old: Option<&SecretFile>,
    new: Option<&SecretFile>,
) -> Option<SecretChange> {
    let names = |file: Option<&SecretFile>| -> BTreeSet<&str> {
        file.into_iter()
            .flat_map(|file| file.secrets.iter().map(|secret| secret.name))
            .collect()
    };
    let (old_names, new_names) = (names(old), names(new));
    let new_keys: Vec<(String, String)> = new
        .into_iter()
        .flat_map(|file| &file.secrets)
        .filter(|secret| !old_names.contains(secret.name))
        .map(|secret| (secret.name.to_owned(), secret.create.clone()))
        .collect();
    let unused_keys: Vec<String> = old_names
        .difference(&new_names)
        .map(|name| (*name).to_owned())
        .collect();
    let (recipients_changed, recipients_removed) = match (old, new) {
        (Some(old), Some(new)) => (
            old.recipients != new.recipients,
            old.recipients
                .iter()
                .any(|key| !new.recipients.contains(key)),
        ),
        _ => (false, false),
    };
    let change = match (old, new) {
        (None, _) => Change::Added,
        (_, None) => Change::Removed,
        _ => Change::Changed,
    };
    let changed = change != Change::Changed
        || recipients_changed
        || !new_keys.is_empty()
        || !unused_keys.is_empty();
    changed.then(|| SecretChange {
        path: path.to_owned(),
        change,
        new_keys,
        unused_keys,
        recipients_changed,
        recipients_removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_keys_are_the_outermost_that_differ() {
        let before =
            serde_json::json!({"hosts": {"a": {"roles": ["x"]}}, "cluster": {"name": "n"}});
        let after = serde_json::json!({"hosts": {"a": {"roles": ["y"]}, "b": {}}, "cluster": {"name": "n"}});
        assert_eq!(changed_keys(&before, &after), ["hosts.a.roles", "hosts.b"]);
    }

    #[test]
    fn flake_bindings_belong_to_their_host() {
        assert_eq!(flake_owner("outputs.nixosConfigurations.c1"), Some("c1"));
        assert_eq!(flake_owner("outputs.deploy.nodes.c2.hostname"), Some("c2"));
        assert_eq!(flake_owner("inputs.nixpkgs.url"), None);
        assert_eq!(flake_owner("outputs.let host"), None);
    }
}
