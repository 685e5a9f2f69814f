//! Every secret the generated configuration reads: which sops file holds it,
//! which hosts can decrypt that file, what it is for and how to make it.
//! `gen secrets` prints it, `gen secrets check` compares the sops files with it,
//! and the bootstrap runbook is written from it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::{Cluster, Host};
use crate::inventory::Role;
use crate::paths;

/// A sops file and the secrets it must hold.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretFile {
    /// Path relative to the output directory, e.g. `secrets/quorum.yaml`.
    pub path: String,
    /// Whether several hosts share it, or it is one host's own (whose
    /// hand-written modules may keep more secrets in it).
    pub shared: bool,
    /// The hosts that read it, by name.
    pub readers: Vec<String>,
    /// Public age keys it must be encrypted to: the admins' and its readers'.
    pub recipients: Vec<String>,
    /// Readers without an `age_key`, which cannot decrypt it.
    pub readers_without_key: Vec<String>,
    /// Its keys, in the order they are documented.
    pub secrets: Vec<Secret>,
}

/// One key of a sops file: the sops-nix secret of the same name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Secret {
    pub name: &'static str,
    /// What reads it and why.
    pub purpose: &'static str,
    /// How an admin makes its value.
    pub create: String,
}

/// How to get the private key made with the certificate `create` makes: the
/// same command made both, so it is not run again.
fn key_of(create: &str) -> String {
    let certificate = create.rsplit("# ").next().unwrap_or_default();
    format!(
        "# made with the certificate above: {}",
        certificate.replace(".pem", "-key.pem")
    )
}

fn secret(name: &'static str, purpose: &'static str, create: impl Into<String>) -> Secret {
    Secret {
        name,
        purpose,
        create: create.into(),
    }
}

/// Every sops file the configuration reads, shared ones first, then each host's own.
pub fn catalogue(cluster: &Cluster) -> Vec<SecretFile> {
    let keys = Keys::of(cluster);
    let file = |name: &str, readers: Vec<&Host>, secrets: Vec<Secret>| {
        secret_file(&keys, paths::secrets_file(name), &readers, secrets).shared()
    };
    let with = |role: Role| cluster.hosts.iter().filter(move |host| host.has(role));
    let mut files = vec![
        file(
            super::MEMBERS_SECRETS_FILE,
            with(Role::ClusterMember).collect(),
            members(cluster),
        ),
        file(
            super::QUORUM_SECRETS_FILE,
            with(Role::NomadServer).collect(),
            quorum(cluster),
        ),
    ];
    if cluster.nfs.is_some() {
        let nfs_hosts = cluster
            .hosts
            .iter()
            .filter(|host| host.has(Role::NfsServicesServer) || host.has(Role::NfsServicesStandby))
            .collect();
        files.push(file(super::NFS_SECRETS_FILE, nfs_hosts, nfs(cluster)));
    }
    files.extend(cluster.hosts.iter().map(|host| {
        secret_file(
            &keys,
            paths::secrets_file(&host.name),
            &[host],
            own(cluster, host),
        )
    }));
    files.retain(|file| !file.secrets.is_empty() && !file.readers.is_empty());
    files
}

impl SecretFile {
    fn shared(self) -> Self {
        Self {
            shared: true,
            ..self
        }
    }
}

/// The public age keys files are encrypted to: the admins', and each host's by name.
struct Keys<'a> {
    admins: &'a [String],
    hosts: BTreeMap<&'a str, &'a str>,
}

impl<'a> Keys<'a> {
    fn of(cluster: &'a Cluster) -> Self {
        let sops = cluster.sops.as_ref();
        Self {
            admins: sops.map_or(&[], |sops| sops.admin_keys.as_slice()),
            hosts: sops
                .into_iter()
                .flat_map(|sops| &sops.host_keys)
                .map(|(host, key)| (host.as_str(), key.as_str()))
                .collect(),
        }
    }
}

fn secret_file(keys: &Keys, path: String, readers: &[&Host], secrets: Vec<Secret>) -> SecretFile {
    let key_of = |host: &&Host| keys.hosts.get(host.name.as_str()).copied();
    SecretFile {
        path,
        shared: false,
        readers: readers.iter().map(|host| host.name.clone()).collect(),
        readers_without_key: readers
            .iter()
            .filter(|host| key_of(host).is_none())
            .map(|host| host.name.clone())
            .collect(),
        recipients: keys
            .admins
            .iter()
            .cloned()
            .chain(readers.iter().filter_map(key_of).map(str::to_owned))
            .collect(),
        secrets,
    }
}

fn members(cluster: &Cluster) -> Vec<Secret> {
    let security = &cluster.security;
    let mut secrets = Vec::new();
    if cluster.cifs.is_some() {
        secrets.push(secret(
            super::CIFS_CREDENTIALS_SECRET,
            "the CIFS shares' credentials file, mounted by every cluster member",
            "printf 'username=%s\\npassword=%s\\n' USER PASSWORD   # the storage box's account",
        ));
    }
    if security.gossip_encryption {
        secrets.push(secret(
            "consul-gossip-key",
            "encrypts Consul's gossip",
            "consul keygen",
        ));
    }
    if security.tls {
        secrets.push(secret(
            "consul-ca",
            "the CA Consul agents check servers against",
            "consul tls ca create   # consul-agent-ca.pem; keep consul-agent-ca-key.pem offline",
        ));
        secrets.push(secret(
            "nomad-ca",
            "the CA Nomad agents and the CLI check certificates against",
            "nomad tls ca create   # nomad-agent-ca.pem; keep nomad-agent-ca-key.pem offline",
        ));
    }
    if security.acl {
        secrets.push(secret(
            "nomad-consul-token",
            "Nomad's Consul token: registers the jobs' services",
            "consul acl token create -policy-name nomad -format json | jq -r .SecretID",
        ));
    }
    secrets
}

fn quorum(cluster: &Cluster) -> Vec<Secret> {
    let security = &cluster.security;
    let datacenter = &cluster.settings.datacenter;
    let mut secrets = Vec::new();
    if security.tls {
        let create = format!(
            "consul tls cert create -server -dc {datacenter}   # {datacenter}-server-consul-0.pem"
        );
        secrets.push(secret(
            "consul-server-cert",
            "the Consul servers' certificate, `server.<datacenter>.consul`",
            create.clone(),
        ));
        secrets.push(secret(
            "consul-server-key",
            "its private key",
            key_of(&create),
        ));
    }
    if security.gossip_encryption {
        secrets.push(secret(
            "nomad-gossip-key",
            "encrypts the Nomad servers' gossip",
            "nomad operator gossip keyring generate",
        ));
    }
    secrets
}

fn nfs(cluster: &Cluster) -> Vec<Secret> {
    let mut secrets = vec![secret(
        "nfs-replication-key",
        "the primary's SSH key for `btrfs receive` on the standbys",
        "ssh-keygen -t ed25519 -N '' -C nfs-replication -f replication   # the private key; replication.pub goes into storage.services.replication_keys",
    )];
    if cluster.security.acl {
        secrets.push(secret(
            "nfs-consul-token",
            "registers the services share in Consul; no other token may",
            "consul acl token create -policy-name nfs-services -format json | jq -r .SecretID",
        ));
    }
    secrets
}

fn own(cluster: &Cluster, host: &Host) -> Vec<Secret> {
    let security = &cluster.security;
    let runs_nomad = host.has(Role::NomadServer) || host.has(Role::NomadWorker);
    let mut secrets = Vec::new();
    if cluster.kopia.is_some() {
        secrets.push(secret(
            "kopia-password",
            "the password of this host's Kopia user, `root@<host>` on the Kopia server",
            "openssl rand -base64 32",
        ));
    }
    if security.acl && host.has(Role::ClusterMember) {
        secrets.push(secret(
            "consul-agent-token",
            "this node's Consul agent token",
            format!(
                "consul acl token create -node-identity {}:{} -format json | jq -r .SecretID",
                host.name, cluster.settings.datacenter
            ),
        ));
    }
    if security.tls && runs_nomad {
        let kind = if host.has(Role::NomadServer) {
            "server"
        } else {
            "client"
        };
        let create =
            format!("nomad tls cert create -{kind} -region global   # global-{kind}-nomad.pem");
        secrets.push(secret(
            "nomad-agent-cert",
            "this Nomad agent's certificate",
            create.clone(),
        ));
        secrets.push(secret(
            "nomad-agent-key",
            "its private key",
            key_of(&create),
        ));
    }
    if security.tls && host.has(Role::ClusterTools) {
        let create = "nomad tls cert create -cli   # global-cli-nomad.pem";
        secrets.push(secret(
            "nomad-cli-cert",
            "the admin's Nomad CLI certificate on this host",
            create,
        ));
        secrets.push(secret("nomad-cli-key", "its private key", key_of(create)));
    }
    secrets
}
