//! Storage and backup: the hosts they name exist, and their paths are absolute.

use super::{Part, Rules};
use crate::diagnostic::Diagnostic;
use crate::inventory::Located;
use crate::suggest;

pub(super) fn check(rules: &mut Rules) {
    let inventory = rules.inventory;
    if let Some(share) = &inventory.storage.services {
        let share = &share.value;
        host_exists(rules, &share.primary, "storage.services.primary", true);
        for (index, standby) in share.standbys.iter().enumerate() {
            host_exists(
                rules,
                standby,
                &format!("storage.services.standbys[{index}]"),
                true,
            );
        }
        absolute(rules, &share.export, "storage.services.export");
        if !(1..=59).contains(&share.every_minutes) {
            let problem = Diagnostic::error(
                "storage::invalid-interval",
                format!(
                    "Replication every {} minutes cannot be scheduled",
                    share.every_minutes
                ),
            )
            .help("use 1 to 59 minutes: the timer fires at every multiple within the hour");
            rules.report(rules.at(
                problem,
                &["storage", "services", "every_minutes"],
                Part::Value,
                "1 to 59",
            ));
        }
        absolute(rules, &share.mount, "storage.services.mount");
    }
    if let Some(cifs) = &inventory.storage.cifs {
        host_exists(rules, &cifs.value.server, "storage.cifs.server", false);
        for (share, mount) in &cifs.value.shares {
            absolute(rules, mount, &format!("storage.cifs.shares.{share}"));
            let clashes = inventory
                .storage
                .services
                .as_ref()
                .is_some_and(|services| services.value.mount == *mount);
            if clashes {
                let problem = Diagnostic::error(
                    "storage::mount-clash",
                    format!("`{mount}` is both a CIFS share and the services share"),
                )
                .help("mount each share at its own path");
                rules.report(rules.at(
                    problem,
                    &["storage", "cifs", "shares", share],
                    Part::Value,
                    "mounted twice",
                ));
            }
        }
    }
    if let Some(kopia) = &inventory.backup.kopia {
        host_exists(rules, &kopia.value.server, "backup.kopia.server", false);
        for (index, path) in kopia.value.paths.iter().enumerate() {
            absolute(rules, path, &format!("backup.kopia.paths[{index}]"));
        }
    }
    absolute(rules, &inventory.cluster.persist, "cluster.persist");
}

fn host_exists(rules: &mut Rules, name: &Located<String>, path: &str, must_be_managed: bool) {
    let known: Vec<&str> = rules.inventory.hosts.keys().map(String::as_str).collect();
    match rules.inventory.hosts.get(&name.value) {
        None => rules.report(
            Diagnostic::error(
                "reference::unknown-host",
                format!("Unknown host `{}`", name.value),
            )
            .at(name.referenced, "not a host of this inventory")
            .path(path)
            .help(suggest::hint(&name.value, &known)),
        ),
        Some(host) if must_be_managed && !host.value.managed => rules.report(
            Diagnostic::error(
                "reference::unmanaged-nfs-host",
                format!("NFS host `{}` is not managed by gen", name.value),
            )
            .at(name.referenced, "unmanaged")
            .path(path)
            .help(
                "the primary and standbys run generated NixOS modules: they must be managed hosts",
            ),
        ),
        Some(_) => {}
    }
}

/// `value`, at the dotted `path` (`backup.kopia.paths[0]`), must be an absolute
/// path of plain characters: it reaches root shell scripts and `/etc/exports`.
fn absolute(rules: &mut Rules, value: &str, path: &str) {
    let segments = path.replace('[', ".").replace(']', "");
    let segments: Vec<&str> = segments.split('.').collect();
    if !value.starts_with('/') || value.contains("/../") || value.ends_with("/..") {
        let problem = Diagnostic::error(
            "storage::relative-path",
            format!("`{value}` is not an absolute path"),
        )
        .help("write the full path from `/`, without `..`");
        rules.report(rules.at(problem, &segments, Part::Value, "not absolute"));
    } else if !is_plain_path(value) {
        let problem = Diagnostic::error("storage::unsafe-path", format!("`{value}` has characters a path here cannot have"))
            .help("use letters, digits, `.`, `_`, `-` and `/`: the path reaches shell scripts and /etc/exports");
        rules.report(rules.at(problem, &segments, Part::Value, "unsafe characters"));
    }
}

/// Letters, digits, `.`, `_`, `-` and `/` only.
pub(super) fn is_plain_path(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
}
