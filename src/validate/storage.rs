//! Storage and backup: the hosts they name exist, and their paths are absolute.

use super::{Rules, is_dns_label, key, value};
use crate::diagnostic::Code;
use crate::inventory::PersistFilesystem;
use crate::inventory::{Cifs, Kopia, ServicesShare};
use crate::suggest;
use crate::validate::calendar;

pub(super) fn check(rules: &mut Rules) {
    let inventory = rules.inventory;
    if let Some(share) = &inventory.storage.services {
        services_share(rules, &share.value);
    }
    if let Some(cifs) = &inventory.storage.cifs {
        cifs_shares(rules, &cifs.value);
    }
    if let Some(kopia) = &inventory.backup.kopia {
        backup(rules, &kopia.value);
    }
    absolute(rules, &inventory.cluster.persist, &["cluster", "persist"]);
}

fn services_share(rules: &mut Rules, share: &ServicesShare) {
    host_exists(
        rules,
        &share.primary.value,
        &["storage", "services", "primary"],
        true,
    );
    for (index, standby) in share.standbys.iter().enumerate() {
        let index = index.to_string();
        let path = ["storage", "services", "standbys", &index];
        host_exists(rules, &standby.value, &path, true);
    }
    absolute(rules, &share.export, &["storage", "services", "export"]);
    if !is_dns_label(&share.consul_service) {
        rules.flag(
            Code::StorageInvalidConsulService,
            value(
                &["storage", "services", "consul_service"],
                "not a DNS label",
            ),
            format!("`{}` is not a Consul service name", share.consul_service),
        );
    }
    if !(1..=59).contains(&share.every_minutes) {
        rules.flag(
            Code::StorageInvalidInterval,
            value(&["storage", "services", "every_minutes"], "1 to 59"),
            format!(
                "Replication every {} minutes cannot be scheduled",
                share.every_minutes
            ),
        );
    }
    absolute(rules, &share.mount, &["storage", "services", "mount"]);
    mount_point(rules, &share.mount, &["storage", "services", "mount"]);
    share_lifecycle(rules, share);
    share_hosts_on_btrfs(rules, share);
}

/// The share is btrfs snapshots and `btrfs receive`: its hosts' persistent root
/// must be btrfs.
fn share_hosts_on_btrfs(rules: &mut Rules, share: &ServicesShare) {
    let primary = (
        &share.primary,
        vec![
            "storage".to_owned(),
            "services".to_owned(),
            "primary".to_owned(),
        ],
    );
    let standbys = share.standbys.iter().enumerate().map(|(index, standby)| {
        let path = ["storage", "services", "standbys", &index.to_string()]
            .map(str::to_owned)
            .to_vec();
        (standby, path)
    });
    for (name, path) in std::iter::once(primary).chain(standbys) {
        let on_ext4 = rules
            .inventory
            .hosts
            .get(&name.value)
            .is_some_and(|host| host.value.persist_filesystem != PersistFilesystem::Btrfs);
        if on_ext4 {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            rules.flag(
                Code::StorageNfsNeedsBtrfs,
                value(&path, "not on btrfs"),
                format!(
                    "`{}` holds the services share, but its persistent root is not btrfs",
                    name.value
                ),
            );
        }
    }
}

/// The generation counts from 1; an empty share is allowed only while asked for.
fn share_lifecycle(rules: &mut Rules, share: &ServicesShare) {
    if share.generation == 0 {
        rules.flag(
            Code::StorageInvalidGeneration,
            value(&["storage", "services", "generation"], "counts from 1"),
            "The share's generation is 0",
        );
    }
    if share.first_deployment {
        rules.flag(
            Code::StorageFirstDeployment,
            value(
                &["storage", "services", "first_deployment"],
                "allows an empty share",
            ),
            "A primary that has received nothing will serve an empty share",
        );
    }
}

fn backup(rules: &mut Rules, kopia: &Kopia) {
    host_exists(
        rules,
        &kopia.server.value,
        &["backup", "kopia", "server"],
        false,
    );
    for (index, path) in kopia.paths.iter().enumerate() {
        absolute(
            rules,
            path,
            &["backup", "kopia", "paths", &index.to_string()],
        );
    }
    let fingerprint = &kopia.server_cert_fingerprint;
    if fingerprint.len() != 64 || !fingerprint.chars().all(|c| c.is_ascii_hexdigit()) {
        rules.flag(
            Code::BackupInvalidFingerprint,
            value(
                &["backup", "kopia", "server_cert_fingerprint"],
                "not 64 hexadecimal digits",
            ),
            "The Kopia server fingerprint is not a SHA-256 fingerprint",
        );
    }
    if !calendar::is_calendar(&kopia.every) {
        rules.flag(
            Code::BackupInvalidSchedule,
            value(&["backup", "kopia", "every"], "not a calendar expression"),
            format!("`{}` is not a systemd calendar expression", kopia.every),
        );
    }
    for (index, pattern) in kopia.exclude.iter().enumerate() {
        if pattern.is_empty() || pattern.chars().any(char::is_control) {
            rules.flag(
                Code::BackupInvalidExclude,
                value(
                    &["backup", "kopia", "exclude", &index.to_string()],
                    "not one pattern",
                ),
                "This exclude pattern cannot be one line of Kopia's ignore file",
            );
        }
    }
    if kopia.port == 0 {
        rules.flag(
            Code::BackupInvalidPort,
            value(&["backup", "kopia", "port"], "port 0"),
            "The Kopia server port is 0",
        );
    }
}

fn cifs_shares(rules: &mut Rules, cifs: &Cifs) {
    host_exists(
        rules,
        &cifs.server.value,
        &["storage", "cifs", "server"],
        false,
    );
    let services_mount = rules
        .inventory
        .storage
        .services
        .as_ref()
        .map(|services| services.value.mount.as_str());
    let mut mounted: Vec<(&str, Vec<&str>)> = services_mount
        .map(|mount| (mount, vec!["storage", "services", "mount"]))
        .into_iter()
        .collect();
    for (share, mount) in &cifs.shares {
        let path = vec!["storage", "cifs", "shares", share.as_str()];
        if !is_share_name(share) {
            rules.flag(
                Code::StorageInvalidShareName,
                key(&path, "not a share name"),
                format!("`{share}` is not a share name fstab and mount.cifs can carry"),
            );
        }
        absolute(rules, mount, &path);
        mount_point(rules, mount, &path);
        let clash = mounted
            .iter()
            .find(|(other, _)| nested(other, mount) || nested(mount, other));
        if let Some((other, other_path)) = clash {
            let first = rules.span(value(other_path, ""));
            let message = if mount == other {
                format!("`{mount}` is the mount point of two shares")
            } else {
                format!("`{mount}` and `{other}` are one inside the other")
            };
            rules
                .flag(
                    Code::StorageMountClash,
                    value(&path, "mounted over another share"),
                    message,
                )
                .also(first, "the other share");
        }
        mounted.push((mount, path));
    }
}

/// An SMB share name as it stands in `//server/share` in fstab: printable, no
/// space, no `/` or `\`, none of the characters SMB forbids.
fn is_share_name(share: &str) -> bool {
    (1..=80).contains(&share.len())
        && share.chars().all(|c| {
            c.is_ascii_graphic()
                && !matches!(
                    c,
                    '/' | '\\'
                        | '"'
                        | '['
                        | ']'
                        | ':'
                        | '|'
                        | '<'
                        | '>'
                        | '+'
                        | '='
                        | ';'
                        | ','
                        | '*'
                        | '?'
                        | '$'
                        | '`'
                        | '\''
                )
        })
}

/// Whether `inner` is `outer` or a directory below it.
fn nested(outer: &str, inner: &str) -> bool {
    let outer = outer.trim_end_matches('/');
    inner == outer || inner.starts_with(&format!("{outer}/"))
}

/// Directories a share must not be mounted on or under: the system's own.
const SYSTEM_DIRECTORIES: [&str; 10] = [
    "/nix", "/boot", "/etc", "/usr", "/bin", "/sbin", "/proc", "/sys", "/dev", "/run",
];

/// A mount point must be a directory of its own: not `/`, not the persistent
/// root or a system directory, no trailing `/`, no `.` or `..` segment.
fn mount_point(rules: &mut Rules, mount: &str, path: &[&str]) {
    let persist = rules.inventory.cluster.persist.as_str();
    let system = SYSTEM_DIRECTORIES
        .iter()
        .any(|directory| nested(directory, mount));
    let odd = mount == "/"
        || mount.ends_with('/')
        || mount.split('/').any(|part| part == "." || part == "..")
        || nested(mount, persist)
        || nested(persist, mount);
    if system || odd {
        rules.flag(
            Code::StorageInvalidMountPoint,
            value(path, "not a mount point of its own"),
            format!("`{mount}` cannot be a mount point"),
        );
    }
}

fn host_exists(rules: &mut Rules, name: &str, path: &[&str], must_be_managed: bool) {
    match rules.inventory.hosts.get(name) {
        None => {
            let known: Vec<&str> = rules.inventory.hosts.keys().map(String::as_str).collect();
            let hint = suggest::hint(name, &known);
            rules
                .flag(
                    Code::ReferenceUnknownHost,
                    value(path, "not a host of this inventory"),
                    format!("Unknown host `{name}`"),
                )
                .hint(hint);
        }
        Some(host) if must_be_managed && !host.value.managed => {
            rules.flag(
                Code::ReferenceUnmanagedNfsHost,
                value(path, "unmanaged"),
                format!("NFS host `{name}` is not managed by gen"),
            );
        }
        Some(_) => {}
    }
}

/// `text`, at `path`, must be an absolute path of plain characters: it reaches
/// root shell scripts and `/etc/exports`.
fn absolute(rules: &mut Rules, text: &str, path: &[&str]) {
    if !text.starts_with('/') || text.split('/').any(|part| part == "..") {
        rules.flag(
            Code::StorageRelativePath,
            value(path, "not absolute"),
            format!("`{text}` is not an absolute path"),
        );
    } else if !is_plain_path(text) {
        rules.flag(
            Code::StorageUnsafePath,
            value(path, "unsafe characters"),
            format!("`{text}` has characters a path here cannot have"),
        );
    }
}

/// Letters, digits, `.`, `_`, `-` and `/` only.
pub(super) fn is_plain_path(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
}
