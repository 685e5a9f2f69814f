//! Role rules of the reference cluster: what each role needs, the quorum's size,
//! and the NFS roles following `storage.services`.

use std::collections::BTreeSet;

use super::{Rules, value};
use crate::diagnostic::Code;
use crate::inventory::Role;

pub(super) fn check(rules: &mut Rules) {
    roles_need_membership(rules);
    quorum_size(rules);
    nfs_roles_follow_storage(rules);
    nfs_hosts_are_workers(rules);
}

fn roles_need_membership(rules: &mut Rules) {
    for (name, host) in &rules.inventory.hosts {
        let declared = &host.value.roles;
        let is_member = declared
            .iter()
            .any(|role| role.value == Role::ClusterMember);
        let mut seen = BTreeSet::new();
        for (index, role) in declared.iter().enumerate() {
            let index = index.to_string();
            let path = ["hosts", name, "roles", &index];
            let role = role.value;
            if !seen.insert(role) {
                rules.flag(
                    Code::RolesDuplicateRole,
                    value(&path, "listed again here"),
                    format!("Host `{name}` lists `{role}` twice"),
                );
            }
            if role.needs_member() && !is_member {
                rules.flag(
                    Code::RolesNeedsMember,
                    value(&path, "needs the Consul agent of cluster-member"),
                    format!("`{role}` needs `cluster-member` on host `{name}`"),
                );
            }
        }
    }
}

/// Consul and Nomad servers use Raft: a majority must agree, so an even number
/// adds a server without adding a failure it can survive.
fn quorum_size(rules: &mut Rules) {
    let servers = declarations_of(rules, Role::NomadServer);
    let count = servers.len();
    let (code, message) = match count {
        3 | 5 => return,
        0 => {
            if let Some((name, index)) = declarations_of(rules, Role::ClusterMember).first() {
                rules.flag(
                    Code::RolesNoQuorum,
                    value(
                        &["hosts", name, "roles", index],
                        "a member with no server to join",
                    ),
                    "The cluster has members but no quorum member",
                );
            }
            return;
        }
        1 => (
            Code::RolesSingleServer,
            "The cluster has a single quorum member".to_owned(),
        ),
        even if even % 2 == 0 => (
            Code::RolesQuorumEven,
            format!("The cluster has {count} quorum members, an even number"),
        ),
        _ => (
            Code::RolesQuorumLarge,
            format!("The cluster has {count} quorum members"),
        ),
    };
    let Some((name, index)) = servers.last() else {
        return;
    };
    let label = format!("quorum member number {count}");
    let problem = rules.flag(
        code,
        value(&["hosts", name, "roles", index], &label),
        message,
    );
    if code == Code::RolesQuorumEven {
        problem.hint(format!(
            "Raft needs a majority: {count} servers survive as many failures as {} and split \
             votes more often; use 3 or 5",
            count - 1
        ));
    }
}

/// Each managed host declaring `wanted`, with the index of the declaration.
fn declarations_of<'a>(rules: &Rules<'a>, wanted: Role) -> Vec<(&'a str, String)> {
    rules
        .inventory
        .hosts
        .iter()
        .filter(|(_, host)| host.value.managed)
        .flat_map(|(name, host)| {
            host.value
                .roles
                .iter()
                .enumerate()
                .filter(move |(_, role)| role.value == wanted)
                .map(move |(index, _)| (name.as_str(), index.to_string()))
        })
        .collect()
}

/// The NFS roles come from `storage.services`; a host may repeat them, never contradict them.
fn nfs_roles_follow_storage(rules: &mut Rules) {
    let inventory = rules.inventory;
    let share = rules.services_share();
    for (name, host) in &inventory.hosts {
        for (index, role) in host.value.roles.iter().enumerate() {
            let (agrees, wanted) = match role.value {
                Role::NfsServicesServer => (
                    share.is_some_and(|share| share.primary.value == *name),
                    "`storage.services.primary`",
                ),
                Role::NfsServicesStandby => (
                    share.is_some_and(|share| {
                        share.standbys.iter().any(|standby| standby.value == *name)
                    }),
                    "`storage.services.standbys`",
                ),
                _ => continue,
            };
            if !agrees {
                rules
                    .flag(
                        Code::RolesNfsRoleMismatch,
                        value(
                            &["hosts", name, "roles", &index.to_string()],
                            "contradicts the storage section",
                        ),
                        format!(
                            "Host `{name}` declares `{}` but is not in {wanted}",
                            role.value
                        ),
                    )
                    .hint(format!(
                        "the NFS roles follow {wanted}: remove the role here or name `{name}` there"
                    ));
            }
        }
    }
}

/// The primary and standbys serve jobs their data: they are workers, and members.
fn nfs_hosts_are_workers(rules: &mut Rules) {
    let Some(share) = &rules.inventory.storage.services else {
        return;
    };
    let share = &share.value;
    let mut named = vec![(&share.primary, vec!["primary".to_owned()])];
    named.extend(
        share
            .standbys
            .iter()
            .enumerate()
            .map(|(index, standby)| (standby, vec!["standbys".to_owned(), index.to_string()])),
    );
    let mut seen = BTreeSet::new();
    for (host_name, within) in named {
        let mut path = vec!["storage", "services"];
        path.extend(within.iter().map(String::as_str));
        let host_name = &host_name.value;
        if !seen.insert(host_name.as_str()) {
            let code = if *host_name == share.primary.value {
                Code::RolesPrimaryIsStandby
            } else {
                Code::RolesDuplicateStandby
            };
            rules.flag(
                code,
                value(&path, "named again here"),
                format!("`{host_name}` is named twice in the services share"),
            );
            continue;
        }
        let Some(host) = rules.inventory.hosts.get(host_name) else {
            continue;
        };
        let has = |wanted: Role| host.value.roles.iter().any(|role| role.value == wanted);
        if host.value.managed && !(has(Role::ClusterMember) && has(Role::NomadWorker)) {
            rules.flag(
                Code::RolesNfsHostNeedsWorker,
                value(&path, "needs cluster-member and nomad-worker"),
                format!("NFS host `{host_name}` is not a cluster member and Nomad worker"),
            );
        }
    }
}
