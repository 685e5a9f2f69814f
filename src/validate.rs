//! Rules an inventory must follow before it is resolved. Every problem is
//! collected; none stops the others from being found.

use crate::diagnostic::Diagnostic;
use crate::inventory::{Inventory, Role};

pub fn validate(inventory: &Inventory) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    nfs_roles_follow_storage(inventory, &mut problems);
    unmanaged_hosts_have_no_roles(inventory, &mut problems);
    problems
}

/// The NFS roles come from `storage.services`; a host may repeat them, never contradict them.
fn nfs_roles_follow_storage(inventory: &Inventory, problems: &mut Vec<Diagnostic>) {
    let share = inventory
        .storage
        .services
        .as_ref()
        .map(|share| &share.value);
    for (name, host) in &inventory.hosts {
        for role in &host.value.roles {
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
                problems.push(
                    Diagnostic::error(
                        "roles::nfs-role-mismatch",
                        format!(
                            "Host `{name}` declares `{}` but is not in {wanted}",
                            role.value.as_str()
                        ),
                    )
                    .at(role.referenced, "contradicts the storage section")
                    .help(format!(
                        "the NFS roles follow {wanted}: remove the role here or name `{name}` there"
                    )),
                );
            }
        }
    }
}

fn unmanaged_hosts_have_no_roles(inventory: &Inventory, problems: &mut Vec<Diagnostic>) {
    for (name, host) in &inventory.hosts {
        if let (false, Some(role)) = (host.value.managed, host.value.roles.first()) {
            problems.push(
                Diagnostic::error(
                    "roles::unmanaged-with-roles",
                    format!("Unmanaged host `{name}` has roles"),
                )
                .at(
                    role.referenced,
                    "no configuration is generated for this host",
                )
                .help("remove its roles, or set `managed: true` to let gen configure it"),
            );
        }
    }
}
