//! The cluster's own settings, by the rules of what reads them: Consul and Nomad
//! (name, datacenter), DNS (domain), NixOS and OpenSSH (admin user and keys),
//! the IANA database (time zone).

use super::{Rules, is_dns_label, value};
use crate::diagnostic::Code;

pub(super) fn check(rules: &mut Rules) {
    let cluster = &rules.inventory.cluster;
    consul_name(rules, &cluster.name, &["cluster", "name"]);
    if let Some(datacenter) = &cluster.datacenter {
        consul_name(rules, datacenter, &["cluster", "datacenter"]);
    }
    if !is_dns_name(&cluster.domain) {
        rules.flag(
            Code::ClusterInvalidDomain,
            value(&["cluster", "domain"], "not a DNS name"),
            format!("`{}` is not a DNS name", cluster.domain),
        );
    }
    if !is_user_name(&cluster.admin.user) {
        rules.flag(
            Code::ClusterInvalidAdminUser,
            value(&["cluster", "admin", "user"], "not a user name"),
            format!("`{}` is not a valid user name", cluster.admin.user),
        );
    }
    ssh_user(
        rules,
        cluster.deploy.ssh_user.as_deref(),
        &["cluster", "deploy", "ssh_user"],
    );
    for (name, host) in &rules.inventory.hosts {
        let path = ["hosts", name.as_str(), "deploy", "ssh_user"];
        ssh_user(rules, host.value.deploy.ssh_user.as_deref(), &path);
    }
    if let Some(zone) = &cluster.time_zone
        && zone.parse::<chrono_tz::Tz>().is_err()
    {
        rules.flag(
            Code::ClusterInvalidTimeZone,
            value(&["cluster", "time_zone"], "not an IANA time zone"),
            format!("`{zone}` is not a time zone"),
        );
    }
}

/// The user deploy-rs and the rollout log in as: a `-` first would be an ssh
/// option, an `@` another host.
fn ssh_user(rules: &mut Rules, user: Option<&str>, path: &[&str]) {
    if let Some(user) = user
        && !is_user_name(user)
    {
        rules.flag(
            Code::ClusterInvalidSshUser,
            value(path, "not a user name"),
            format!("`{user}` is not a valid user name"),
        );
    }
}

/// Consul datacenters: lowercase letters, digits, `_` and `-`.
fn consul_name(rules: &mut Rules, name: &str, path: &[&str]) {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if !valid {
        rules.flag(
            Code::ClusterInvalidName,
            value(path, "not a Consul datacenter name"),
            format!("`{name}` is not a name Consul and Nomad accept"),
        );
    }
}

/// A DNS name: DNS labels separated by dots, at most 253 characters, case
/// aside. A trailing dot (the root) is allowed.
pub(super) fn is_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    name.len() <= 253
        && !name.is_empty()
        && name
            .split('.')
            .all(|label| is_dns_label(&label.to_ascii_lowercase()))
}

/// What `useradd` and NixOS accept: a letter or `_`, then letters, digits,
/// `_` and `-`, at most 32 characters, lowercase.
fn is_user_name(name: &str) -> bool {
    let mut chars = name.chars();
    (1..=32).contains(&name.len())
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::{is_dns_name, is_user_name};

    #[test]
    fn dns_names_and_user_names() {
        assert!(is_dns_name("home.arpa"));
        assert!(is_dns_name("Lab.Example.com."));
        for bad in [
            "",
            "https://home.arpa",
            "home..arpa",
            "home arpa",
            "home.arpa:80",
            "-a.b",
        ] {
            assert!(!is_dns_name(bad), "{bad}");
        }
        assert!(is_user_name("admin"));
        assert!(is_user_name("_deploy-1"));
        for bad in ["", "Admin", "1admin", "alice.smith", "a b", "root\n"] {
            assert!(!is_user_name(bad), "{bad}");
        }
    }
}
