//! What gen makes of each host, for people: `gen hosts` and `gen explain`.

pub mod service;

use std::fmt::Write;
use std::path::Path;

use serde::Serialize;

use crate::Prepared;
use crate::error::Error;
use crate::inventory::Placement;
use crate::inventory::{Profile, Role};
use crate::model;
use crate::model::secrets::SecretFile;
use crate::{paths, suggest};

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
                profile: host.value.profile.map(Profile::as_str),
                managed: host.value.managed,
            }
        })
        .collect()
}

/// The secrets list for people: each file, who reads it, and each secret with
/// its purpose and the command that makes it.
pub fn secrets(catalogue: &[SecretFile]) -> String {
    let mut out = String::new();
    for file in catalogue {
        let _ = writeln!(
            out,
            "{}: read by {} and the admins",
            file.path,
            file.readers.join(", ")
        );
        if !file.readers_without_key.is_empty() {
            let _ = writeln!(
                out,
                "  (not readable yet by {}: no age_key)",
                file.readers_without_key.join(", ")
            );
        }
        for secret in &file.secrets {
            let _ = writeln!(out, "  {}: {}", secret.name, secret.purpose);
            let _ = writeln!(out, "    $ {}", secret.create);
        }
        out.push('\n');
    }
    out
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

/// `gen explain HOST`, for the output directory `out`.
pub fn explain(prepared: &Prepared, name: &str, out: &Path) -> Result<String, Error> {
    let inventory = &prepared.inventory;
    let Some(host) = inventory.hosts.get(name) else {
        return Err(unknown(
            "host",
            name,
            inventory.hosts.keys().map(String::as_str),
        ));
    };
    let address = model::address_of(inventory, name, &host.value);
    let Some(resolved) = prepared
        .model
        .hosts
        .iter()
        .find(|resolved| resolved.name == name)
    else {
        return Ok(unmanaged(prepared, name, &address));
    };
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Host {name} ({}), reached at {address}\n",
        resolved.system.as_str()
    );
    roles_section(&mut text, name, inventory, resolved);
    nix_section(&mut text, name, inventory);
    files_section(&mut text, name, resolved);
    deploy_section(&mut text, name, resolved, out);
    services_section(&mut text, prepared, resolved);
    Ok(text)
}

fn unmanaged(prepared: &Prepared, name: &str, address: &str) -> String {
    let mut text = format!(
        "Host {name} is not managed by gen (managed: false), reached at {address}.\n\
         gen generates nothing for it; other hosts refer to it:\n"
    );
    for (what, uses) in references(prepared, name) {
        if uses {
            let _ = writeln!(text, "  {what}");
        }
    }
    text
}

fn deploy_section(text: &mut String, name: &str, resolved: &model::Host, out: &Path) {
    let _ = writeln!(
        text,
        "\nDeploy:\n  deploy {}",
        paths::deploy_target(out, name)
    );
    for setting in &resolved.deploy {
        let value = match &setting.value {
            serde_json::Value::String(value) => value.clone(),
            serde_json::Value::Array(items) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_owned)
                })
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        };
        let _ = writeln!(
            text,
            "  {:<20}{value:<24}from {}",
            setting.key, setting.origin
        );
    }
}

fn roles_section(
    out: &mut String,
    name: &str,
    inventory: &crate::inventory::Inventory,
    resolved: &model::Host,
) {
    if !resolved.groups.is_empty() {
        let _ = writeln!(out, "Groups:\n  {}\n", resolved.groups.join(", "));
    }
    let _ = writeln!(out, "Roles:");
    if resolved.roles.is_empty() {
        let _ = writeln!(
            out,
            "  none: a standalone host (minimal-node and the global modules only)"
        );
    }
    let origins = &inventory.origins;
    let host = inventory.hosts.get(name).map(|host| &host.value);
    for role in &resolved.roles {
        let declared =
            host.is_some_and(|host| host.roles.iter().any(|declared| declared.value == *role));
        let why = match (role, origins.of(name, &format!("roles.{}", role.as_str()))) {
            (_, Some(group)) => format!("given by groups.{group}.roles"),
            (Role::NfsServicesServer, None) if !declared => {
                "given by storage.services.primary".to_owned()
            }
            (Role::NfsServicesStandby, None) if !declared => {
                "given by storage.services.standbys".to_owned()
            }
            _ => format!("declared in hosts.{name}.roles"),
        };
        let _ = writeln!(out, "  {:<22}{why}", role.as_str());
    }
    if let Some(profile) = host.and_then(|host| host.profile) {
        let implied = if profile == Profile::Desktop {
            ", which includes workstation-node.nix"
        } else {
            ""
        };
        let from = origins.of(name, "profile").map_or_else(
            || format!("declared in hosts.{name}.profile"),
            |group| format!("given by groups.{group}.profile"),
        );
        let _ = writeln!(out, "Profile:\n  {profile:<22}{from}{implied}");
    }
}

/// The NixOS option values the host file sets, and where each comes from.
fn nix_section(out: &mut String, name: &str, inventory: &crate::inventory::Inventory) {
    let Some(host) = inventory.hosts.get(name) else {
        return;
    };
    if host.value.nix.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nNixOS options:");
    for (option, value) in &host.value.nix {
        let from = inventory
            .origins
            .of(name, &format!("nix.{option}"))
            .map_or_else(
                || format!("hosts.{name}.nix"),
                |group| format!("groups.{group}.nix"),
            );
        let _ = writeln!(out, "  {option} = {value}    from {from}");
    }
}

fn files_section(text: &mut String, name: &str, resolved: &model::Host) {
    let _ = writeln!(
        text,
        "\nFiles:\n  {} (generated), importing:",
        paths::host_file(name)
    );
    for module in resolved.generated_modules() {
        let _ = writeln!(text, "    {module}");
    }
    for module in &resolved.modules {
        let _ = writeln!(text, "    {module} (yours, from hosts.{name}.modules)");
    }
    let _ = writeln!(
        text,
        "  {} (yours, imported when present)",
        paths::hardware_file(name)
    );
}

fn services_section(out: &mut String, prepared: &Prepared, resolved: &model::Host) {
    let _ = writeln!(out, "\nServices that may run here:");
    if !resolved.has(Role::NomadWorker) {
        let _ = writeln!(out, "  none: not a nomad-worker");
        return;
    }
    let here = prepared
        .model
        .services
        .iter()
        .filter(|service| service.may_run_on(resolved));
    for service in here {
        let preference = match &service.placement {
            None => String::new(),
            Some(placement) => {
                let here = resolved.is_preferred_by(placement);
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
        Placement::Group(group) => format!("group {group}"),
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
