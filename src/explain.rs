//! What gen makes of each host, for people: `gen hosts` and `gen explain`.

use std::fmt::Write;

use serde::Serialize;

use crate::Prepared;
use crate::error::Error;
use crate::inventory::{DeploySettings, Profile, Role};
use crate::model::{self, Placement};
use crate::suggest;

/// One line of `gen hosts`.
#[derive(Debug, Serialize)]
pub struct HostRow {
    pub name: String,
    pub system: &'static str,
    pub address: String,
    /// Roles after resolution: declared ones and those `storage.services` gives.
    pub roles: Vec<&'static str>,
    pub profile: Option<&'static str>,
    pub managed: bool,
}

pub fn hosts(prepared: &Prepared) -> Vec<HostRow> {
    prepared
        .inventory
        .hosts
        .iter()
        .map(|(name, host)| {
            let resolved = prepared
                .model
                .hosts
                .iter()
                .find(|resolved| resolved.name == *name);
            HostRow {
                name: name.clone(),
                system: host.value.system.as_str(),
                address: model::address_of(&prepared.inventory, name, &host.value),
                roles: resolved.map_or_else(Vec::new, |resolved| {
                    resolved.roles.iter().map(|role| role.as_str()).collect()
                }),
                profile: host.value.profile.map(profile_name),
                managed: host.value.managed,
            }
        })
        .collect()
}

pub fn hosts_table(rows: &[HostRow]) -> String {
    let mut table =
        vec![["HOST", "SYSTEM", "ADDRESS", "MANAGED", "PROFILE", "ROLES"].map(str::to_owned)];
    for row in rows {
        table.push([
            row.name.clone(),
            row.system.to_owned(),
            row.address.clone(),
            if row.managed { "yes" } else { "no" }.to_owned(),
            row.profile.unwrap_or("-").to_owned(),
            if row.roles.is_empty() {
                "-".to_owned()
            } else {
                row.roles.join(", ")
            },
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|column| {
            table
                .iter()
                .map(|line| line[column].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in table {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// An error for a name that is not there, with the closest one that is.
pub fn unknown<'a>(kind: &'static str, name: &str, known: impl Iterator<Item = &'a str>) -> Error {
    let known: Vec<&str> = known.collect();
    Error::UnknownTarget {
        kind,
        name: name.to_owned(),
        hint: suggest::hint(name, &known),
    }
}

/// `gen explain HOST`.
pub fn explain(prepared: &Prepared, name: &str) -> Result<String, Error> {
    let inventory = &prepared.inventory;
    let Some(host) = inventory.hosts.get(name) else {
        return Err(unknown(
            "host",
            name,
            inventory.hosts.keys().map(String::as_str),
        ));
    };
    let address = model::address_of(inventory, name, &host.value);
    let mut out = String::new();
    let Some(resolved) = prepared
        .model
        .hosts
        .iter()
        .find(|resolved| resolved.name == name)
    else {
        let _ = writeln!(
            out,
            "Host {name} is not managed by gen (managed: false), reached at {address}."
        );
        let _ = writeln!(
            out,
            "gen generates nothing for it; other hosts refer to it:"
        );
        for (what, uses) in references(prepared, name) {
            if uses {
                let _ = writeln!(out, "  {what}");
            }
        }
        return Ok(out);
    };
    let _ = writeln!(
        out,
        "Host {name} ({}), reached at {address}\n",
        resolved.system.as_str()
    );
    roles_section(&mut out, name, &host.value, resolved);
    files_section(&mut out, prepared, name, resolved);
    let _ = writeln!(out, "\nDeploy:\n  deploy ./generated#{name}");
    for (key, value, origin) in deploy_origins(prepared, name, &address) {
        let _ = writeln!(out, "  {key:<20}{value:<24}from {origin}");
    }
    services_section(&mut out, prepared, name, resolved);
    Ok(out)
}

fn roles_section(
    out: &mut String,
    name: &str,
    host: &crate::inventory::Host,
    resolved: &model::Host,
) {
    let _ = writeln!(out, "Roles:");
    if resolved.roles.is_empty() {
        let _ = writeln!(
            out,
            "  none: a standalone host (minimal-node and the global modules only)"
        );
    }
    for role in &resolved.roles {
        let declared = host.roles.iter().any(|declared| declared.value == *role);
        let why = match role {
            Role::NfsServicesServer if !declared => "given by storage.services.primary".to_owned(),
            Role::NfsServicesStandby if !declared => {
                "given by storage.services.standbys".to_owned()
            }
            _ => format!("declared in hosts.{name}.roles"),
        };
        let _ = writeln!(out, "  {:<22}{why}", role.as_str());
    }
    if let Some(profile) = host.profile {
        let implied = if profile == Profile::Desktop {
            ", which includes workstation-node.nix"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "Profile:\n  {:<22}declared in hosts.{name}.profile{implied}",
            profile_name(profile)
        );
    }
}

fn files_section(out: &mut String, prepared: &Prepared, name: &str, resolved: &model::Host) {
    let view = prepared.cluster.hosts.iter().find(|view| view.name == name);
    let _ = writeln!(
        out,
        "\nFiles:\n  hosts/{name}/default.nix (generated), importing:"
    );
    for module in view.map(|view| view.imports.as_slice()).unwrap_or_default() {
        let _ = writeln!(out, "    {}", module.trim_start_matches("../../"));
    }
    for module in &resolved.modules {
        let _ = writeln!(out, "    {module} (yours, from hosts.{name}.modules)");
    }
    let _ = writeln!(
        out,
        "  hosts/{name}/hardware-configuration.nix (yours, imported when present)"
    );
}

fn services_section(out: &mut String, prepared: &Prepared, name: &str, resolved: &model::Host) {
    let _ = writeln!(out, "\nServices that may run here:");
    if !resolved.has(Role::NomadWorker) {
        let _ = writeln!(out, "  none: not a nomad-worker");
        return;
    }
    for service in &prepared.model.services {
        let preference = match &service.placement {
            None => String::new(),
            Some(placement) => {
                let here = match placement {
                    Placement::NfsPrimary => resolved.has(Role::NfsServicesServer),
                    Placement::Role(role) => resolved.has(*role),
                    Placement::Host(host) => host == name,
                };
                format!(
                    " (prefers {}: {})",
                    placement_name(placement),
                    if here { "this host" } else { "not this host" }
                )
            }
        };
        let _ = writeln!(out, "  {}{preference}", service.name);
    }
}

fn placement_name(placement: &Placement) -> String {
    match placement {
        Placement::NfsPrimary => "the NFS primary".to_owned(),
        Placement::Role(role) => role.as_str().to_owned(),
        Placement::Host(host) => host.clone(),
    }
}

fn profile_name(profile: Profile) -> &'static str {
    match profile {
        Profile::Workstation => "workstation",
        Profile::Desktop => "desktop",
    }
}

/// Where an unmanaged host is referred to.
fn references(prepared: &Prepared, name: &str) -> Vec<(&'static str, bool)> {
    let inventory = &prepared.inventory;
    vec![
        (
            "storage.cifs.server",
            inventory
                .storage
                .cifs
                .as_ref()
                .is_some_and(|cifs| cifs.value.server.value == name),
        ),
        (
            "backup.kopia.server",
            inventory
                .backup
                .kopia
                .as_ref()
                .is_some_and(|kopia| kopia.value.server.value == name),
        ),
    ]
}

/// A deploy-rs setting's name, and how to read it from deploy settings.
type Setting = (&'static str, fn(&DeploySettings) -> Option<String>);

/// Each deploy-rs setting of a host, its value and where it came from.
fn deploy_origins(
    prepared: &Prepared,
    name: &str,
    address: &str,
) -> Vec<(&'static str, String, String)> {
    let inventory = &prepared.inventory;
    let Some(host) = inventory.hosts.get(name) else {
        return Vec::new();
    };
    let own = &host.value.deploy;
    let cluster = &inventory.cluster.deploy;
    let hostname_origin = if host.value.address.is_some() {
        format!("hosts.{name}.address")
    } else {
        "cluster.domain".to_owned()
    };
    let mut settings = vec![("hostname", address.to_owned(), hostname_origin)];
    let pick = |get: fn(&DeploySettings) -> Option<String>| -> Option<(String, String)> {
        get(own)
            .map(|value| (value, format!("hosts.{name}.deploy")))
            .or_else(|| get(cluster).map(|value| (value, "cluster.deploy".to_owned())))
    };
    let ssh_user = pick(|deploy| deploy.ssh_user.clone()).unwrap_or_else(|| {
        (
            inventory.cluster.admin.user.clone(),
            "cluster.admin.user".to_owned(),
        )
    });
    settings.push(("sshUser", ssh_user.0, ssh_user.1));
    let optional: [Setting; 7] = [
        ("sshOpts", |deploy| {
            deploy.ssh_opts.as_ref().map(|opts| opts.join(" "))
        }),
        ("remoteBuild", |deploy| {
            deploy.remote_build.map(|flag| flag.to_string())
        }),
        ("magicRollback", |deploy| {
            deploy.magic_rollback.map(|flag| flag.to_string())
        }),
        ("autoRollback", |deploy| {
            deploy.auto_rollback.map(|flag| flag.to_string())
        }),
        ("fastConnection", |deploy| {
            deploy.fast_connection.map(|flag| flag.to_string())
        }),
        ("confirmTimeout", |deploy| {
            deploy.confirm_timeout.map(|seconds| seconds.to_string())
        }),
        ("activationTimeout", |deploy| {
            deploy.activation_timeout.map(|seconds| seconds.to_string())
        }),
    ];
    for (key, get) in optional {
        if let Some((value, origin)) = pick(get) {
            settings.push((key, value, origin));
        }
    }
    settings
}
