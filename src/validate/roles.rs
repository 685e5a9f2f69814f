//! Role rules of the reference cluster: what each role needs, the quorum's size,
//! and the NFS roles following `storage.services`.

use std::collections::BTreeSet;

use super::Rules;
use crate::diagnostic::Diagnostic;
use crate::inventory::{Located, Role};

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
            let path = format!("hosts.{name}.roles[{index}]");
            if !seen.insert(role.value) {
                rules.report(
                    Diagnostic::error(
                        "roles::duplicate-role",
                        format!("Host `{name}` lists `{}` twice", role.value.as_str()),
                    )
                    .at(role.referenced, "listed again here")
                    .path(path.clone())
                    .help("remove the repetition"),
                );
            }
            let needs_member = matches!(
                role.value,
                Role::NomadWorker | Role::NomadServer | Role::ClusterTools
            );
            if needs_member && !is_member {
                rules.report(
                    Diagnostic::error(
                        "roles::needs-member",
                        format!(
                            "`{}` needs `cluster-member` on host `{name}`",
                            role.value.as_str()
                        ),
                    )
                    .at(role.referenced, "needs the Consul agent of cluster-member")
                    .path(path)
                    .help("add `cluster-member` to this host's roles"),
                );
            }
        }
    }
}

/// Consul and Nomad servers use Raft: a majority must agree, so an even number
/// adds a server without adding a failure it can survive.
fn quorum_size(rules: &mut Rules) {
    let servers = declarations_of(rules, Role::NomadServer);
    let members = declarations_of(rules, Role::ClusterMember);
    let count = servers.len();
    let problem = match count {
        3 | 5 => return,
        0 => {
            let Some((name, role)) = members.first() else {
                return;
            };
            Diagnostic::error("roles::no-quorum", "The cluster has members but no quorum member")
                .at(role.referenced, "a member with no server to join")
                .path(format!("hosts.{name}.roles"))
                .help("give 3 hosts (or 5) `nomad-server`, the Consul and Nomad servers")
        }
        1 => Diagnostic::warning("roles::single-server", "The cluster has a single quorum member")
            .help("one server survives no failure: 3 survive one, 5 survive two"),
        even if even % 2 == 0 => Diagnostic::error(
            "roles::quorum-even",
            format!("The cluster has {count} quorum members, an even number"),
        )
        .help(format!(
            "Raft needs a majority: {count} servers survive as many failures as {} and split votes more \
             often; use 3 or 5",
            count - 1
        )),
        _ => Diagnostic::warning("roles::quorum-large", format!("The cluster has {count} quorum members"))
            .help("every write waits for a majority: more than 5 servers slow the cluster; use 3 or 5"),
    };
    if let Some((name, role)) = servers.last() {
        rules.report(
            problem
                .at(role.referenced, format!("quorum member number {count}"))
                .path(format!("hosts.{name}.roles")),
        );
    } else {
        rules.report(problem);
    }
}

/// Each managed host declaring `wanted`, with the declaration.
fn declarations_of<'a>(rules: &Rules<'a>, wanted: Role) -> Vec<(&'a String, &'a Located<Role>)> {
    rules
        .inventory
        .hosts
        .iter()
        .filter(|(_, host)| host.value.managed)
        .flat_map(|(name, host)| {
            host.value
                .roles
                .iter()
                .filter(move |role| role.value == wanted)
                .map(move |role| (name, role))
        })
        .collect()
}

/// The NFS roles come from `storage.services`; a host may repeat them, never contradict them.
fn nfs_roles_follow_storage(rules: &mut Rules) {
    let inventory = rules.inventory;
    let share = inventory
        .storage
        .services
        .as_ref()
        .map(|share| &share.value);
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
                rules.report(
                    Diagnostic::error(
                        "roles::nfs-role-mismatch",
                        format!(
                            "Host `{name}` declares `{}` but is not in {wanted}",
                            role.value.as_str()
                        ),
                    )
                    .at(role.referenced, "contradicts the storage section")
                    .path(format!("hosts.{name}.roles[{index}]"))
                    .help(format!(
                        "the NFS roles follow {wanted}: remove the role here or name `{name}` there"
                    )),
                );
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
    let mut named = vec![(&share.primary, "storage.services.primary".to_owned())];
    named.extend(
        share
            .standbys
            .iter()
            .enumerate()
            .map(|(index, standby)| (standby, format!("storage.services.standbys[{index}]"))),
    );
    let mut seen = BTreeSet::new();
    for (host_name, path) in named {
        if !seen.insert(host_name.value.as_str()) {
            let code = if host_name.value == share.primary.value {
                "roles::primary-is-standby"
            } else {
                "roles::duplicate-standby"
            };
            rules.report(
                Diagnostic::error(
                    code,
                    format!("`{}` is named twice in the services share", host_name.value),
                )
                .at(host_name.referenced, "named again here")
                .path(path)
                .help("the primary replicates to each standby once, and never to itself"),
            );
            continue;
        }
        let Some(host) = rules.inventory.hosts.get(&host_name.value) else {
            continue;
        };
        let has = |wanted: Role| host.value.roles.iter().any(|role| role.value == wanted);
        if host.value.managed && !(has(Role::ClusterMember) && has(Role::NomadWorker)) {
            rules.report(
                Diagnostic::error(
                    "roles::nfs-host-needs-worker",
                    format!("NFS host `{}` is not a cluster member and Nomad worker", host_name.value),
                )
                .at(host_name.referenced, "needs cluster-member and nomad-worker")
                .path(path)
                .help("the NFS primary and standbys run jobs next to their disk: give them both roles"),
            );
        }
    }
}
