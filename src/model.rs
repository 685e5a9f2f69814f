//! The resolved cluster: every fact the templates need, computed once from the inventory.
//!
//! Runs on validated inventories only: `validate` has checked every reference
//! followed here, so one that does not resolve is skipped, not reported.

pub mod firewall;
pub mod ingress;
pub mod lifecycle;
pub mod persistence;
pub mod secrets;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;

use crate::inventory::{
    self, BootLoader, CheckType, Expose, PersistFilesystem, Placement, Profile, Role, System,
};
use crate::paths;
use firewall::Source;
use lifecycle::{JobKind, Lifecycle};

/// Nomad client meta key set on the NFS primary; jobs that prefer it match on it.
pub const NFS_PRIMARY_META: &str = "nfs_services_primary";
/// Nomad client meta key listing a node's roles, for placement by role.
pub const ROLES_META: &str = "roles";
/// Nomad client meta key listing a node's groups, for placement by group.
pub const GROUPS_META: &str = "groups";
/// Consul's DNS port, which the local resolver forwards `.consul` names to.
pub const CONSUL_DNS_PORT: u16 = 8600;
/// Address of Docker's default bridge, where containers reach the host's resolver.
pub const DOCKER_BRIDGE_IP: &str = "172.17.0.1";
/// The primary's unit preparing the export; its bind mount requires it.
pub const NFS_EXPORT_UNIT: &str = "nfs-services-export";
/// The secrets file only the NFS hosts (and admins) can read: the replication
/// key and the share's Consul token.
pub const NFS_SECRETS_FILE: &str = "nfs-services";
/// The secrets file every managed host can read.
pub const COMMON_SECRETS_FILE: &str = "common";
/// The secrets file every cluster member can read: the gossip key, the CAs.
pub const MEMBERS_SECRETS_FILE: &str = "cluster-members";
/// The secrets file the quorum members can read: server certificates, Nomad's gossip key.
pub const QUORUM_SECRETS_FILE: &str = "quorum";
/// Names of the secrets files more than one host reads; no host may take one.
pub const SHARED_SECRETS_FILES: [&str; 4] = [
    COMMON_SECRETS_FILE,
    MEMBERS_SECRETS_FILE,
    QUORUM_SECRETS_FILE,
    NFS_SECRETS_FILE,
];
/// sops secret holding the CIFS credentials file.
pub const CIFS_CREDENTIALS_SECRET: &str = "cifs-credentials";

/// Settings of the whole cluster, as templates read them under `cluster`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Settings {
    /// Cluster name, as in the inventory.
    pub name: String,
    /// DNS domain; hosts without an address are reached as `<host>.<domain>`.
    pub domain: String,
    /// Consul and Nomad datacenter.
    pub datacenter: String,
    /// `system.stateVersion` of every host.
    pub state_version: String,
    /// Flake URL of the nixpkgs input.
    pub nixpkgs: String,
    /// `time.timeZone`, when set.
    pub time_zone: Option<String>,
    /// Persistent storage root kept across reboots.
    pub persist: String,
}

#[derive(Debug)]
pub struct Cluster {
    pub settings: Settings,
    pub admin_user: String,
    pub admin_ssh_keys: Vec<String>,
    /// Managed hosts, by name.
    pub hosts: Vec<Host>,
    /// Hosts with nomad-server: Consul and Nomad servers.
    pub quorum: Vec<Peer>,
    pub nfs: Option<Nfs>,
    pub cifs: Option<CifsShares>,
    pub kopia: Option<Kopia>,
    pub services: Vec<Service>,
    /// Who can decrypt which secrets file, when any key is known.
    pub sops: Option<Sops>,
    /// Systems of the managed hosts.
    pub systems: BTreeSet<System>,
    /// Which protections are on.
    pub security: Security,
    /// Who may reach what: the address sets the firewalls filter on.
    pub sources: Sources,
}

/// Which of the cluster's protections are on; all are unless the inventory says otherwise.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Security {
    /// Consul and Nomad ACLs, default deny.
    pub acl: bool,
    /// Verified TLS for Consul's RPC and Nomad's RPC and HTTP API.
    pub tls: bool,
    /// Encrypted Consul and Nomad gossip.
    pub gossip_encryption: bool,
}

impl Security {
    fn of(security: &inventory::Security) -> Self {
        Self {
            acl: security.acl,
            tls: security.tls,
            gossip_encryption: security.gossip_encryption,
        }
    }
}

/// Who may reach what: one address set per kind of source, in `Source` order.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Sources(pub Vec<AddressSet>);

impl Sources {
    /// The addresses of `source`.
    pub fn of(&self, source: Source) -> Option<&AddressSet> {
        self.0.iter().find(|set| set.source == source)
    }
}

/// The addresses of one kind of source, split by family as nftables sets are typed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AddressSet {
    pub source: Source,
    /// IPv4 addresses and networks, e.g. `10.0.0.11`, `192.168.1.0/24`.
    pub ipv4: Vec<String>,
    /// IPv6 addresses and networks.
    pub ipv6: Vec<String>,
}

impl AddressSet {
    fn of(source: Source, networks: impl IntoIterator<Item = ipnet::IpNet>) -> Self {
        let networks: BTreeSet<ipnet::IpNet> = networks.into_iter().collect();
        let mut set = Self {
            source,
            ipv4: Vec::new(),
            ipv6: Vec::new(),
        };
        for network in networks {
            let text = if network.prefix_len() == network.max_prefix_len() {
                network.addr().to_string()
            } else {
                network.to_string()
            };
            match network {
                ipnet::IpNet::V4(_) => set.ipv4.push(text),
                ipnet::IpNet::V6(_) => set.ipv6.push(text),
            }
        }
        set
    }
}

/// A host as other hosts reach it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Peer {
    /// Host name.
    pub name: String,
    /// Address other hosts use to reach it.
    pub address: String,
}

#[derive(Debug)]
pub struct Host {
    pub name: String,
    pub system: System,
    pub address: String,
    /// The address when it is an IP literal: agents bind to it.
    pub bind_ip: Option<String>,
    pub roles: BTreeSet<Role>,
    pub profile: Option<Profile>,
    pub boot_loader: BootLoader,
    pub persist_filesystem: PersistFilesystem,
    /// deploy-rs node settings: `hostname`, `sshUser`, then the ones the inventory sets.
    pub deploy: Vec<Setting>,
    pub modules: Vec<String>,
    pub nix: BTreeMap<String, serde_json::Value>,
    /// Other systems in the cluster a workstation builds for through binfmt.
    pub emulated_systems: Vec<System>,
    pub mounts: Vec<Mount>,
    /// The ports the ingress listens on here, when it runs here.
    pub ingress_ports: Vec<u16>,
    /// The groups it is a member of, by name.
    pub groups: Vec<String>,
}

impl Host {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether a service's placement preference points at this host.
    pub fn is_preferred_by(&self, placement: &Placement) -> bool {
        match placement {
            Placement::NfsPrimary => self.has(Role::NfsServicesServer),
            Placement::Role(role) => self.has(*role),
            Placement::Host(name) => self.name == *name,
            Placement::Group(group) => self.groups.contains(group),
        }
    }

    /// The generated modules the host imports: the global and minimal ones, its
    /// roles' and its profile's.
    pub fn generated_modules(&self) -> impl Iterator<Item = &'static str> + '_ {
        [paths::GLOBAL_MODULES, paths::MINIMAL_MODULE]
            .into_iter()
            .chain(self.roles.iter().map(|role| role.spec().module))
            .chain(self.profile.map(Profile::module))
    }
}

/// A deploy-rs node setting after cluster defaults and host overrides are
/// merged: deploy-rs's name for it, its value, and the inventory key it came from.
#[derive(Debug, Clone)]
pub struct Setting {
    pub key: String,
    pub value: serde_json::Value,
    pub origin: String,
}

/// A shared storage mount of a cluster member: a `fileSystems` entry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Mount {
    pub mount_point: String,
    pub device: String,
    pub fs_type: String,
    pub options: Vec<String>,
}

#[derive(Debug)]
pub struct Nfs {
    pub primary: Peer,
    pub standbys: Vec<Peer>,
    pub export: String,
    pub mount: String,
    pub consul_service: String,
    pub every_minutes: u32,
    pub replication_keys: Vec<String>,
    /// Addresses allowed to mount the export: every other cluster member.
    pub clients: Vec<String>,
    pub generation: u32,
    pub first_deployment: bool,
    pub set_aside_days: u32,
}

impl Nfs {
    /// Where a standby receives the replicated snapshots: beside the export.
    pub fn standby_dir(&self) -> String {
        format!("{}-standby", self.export)
    }

    /// The systemd mount unit of the share on a cluster member.
    pub fn mount_unit(&self) -> String {
        format!("{}.mount", systemd_path_name(&self.mount))
    }

    /// The automount unit that mounts the share on first access.
    pub fn automount_unit(&self) -> String {
        format!("{}.automount", systemd_path_name(&self.mount))
    }
}

#[derive(Debug)]
pub struct Sops {
    /// Public age keys of the admins, by admin name.
    pub admin_keys: Vec<String>,
    /// Managed hosts with a public age key: name and key.
    pub host_keys: Vec<(String, String)>,
    /// Keys of the NFS primary and standbys, when there is a services share.
    pub nfs_host_keys: Option<Vec<String>>,
    /// Keys of the cluster members.
    pub member_keys: Vec<String>,
    /// Keys of the quorum members.
    pub quorum_keys: Vec<String>,
}

#[derive(Debug)]
pub struct CifsShares {
    pub server: Peer,
    pub shares: Vec<(String, String)>,
}

/// Kopia backup of every host.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Kopia {
    /// The Kopia repository server.
    pub server: Peer,
    /// Its URL.
    pub url: String,
    /// SHA-256 fingerprint of its TLS certificate.
    pub server_cert_fingerprint: String,
    /// systemd calendar expression of the backup timer.
    pub every: String,
    /// Paths backed up, each through a read-only btrfs snapshot.
    pub paths: Vec<String>,
    /// Ignore patterns (gitignore syntax, relative to each path).
    pub exclude: Vec<String>,
}

#[derive(Debug)]
pub struct Service {
    pub name: String,
    pub image: String,
    pub count: u32,
    pub ports: Vec<Port>,
    pub check: Option<Check>,
    pub tags: Vec<String>,
    pub data: Option<DataVolume>,
    pub placement: Option<Placement>,
    /// Where it may only run.
    pub requirement: Option<Placement>,
    pub cpu: u32,
    pub memory: u32,
    pub env: BTreeMap<String, String>,
    /// Environment read from the Nomad variable `nomad/jobs/<job>`.
    pub secret_env: Vec<String>,
    pub args: Vec<String>,
    pub user: Option<String>,
    /// A periodic batch job's cron schedule.
    pub schedule: Option<String>,
    pub kind: JobKind,
    pub devices: Vec<String>,
    pub memory_max: Option<u32>,
    /// CIFS shares bind-mounted into the container, by container path.
    pub mounts: Vec<ShareMount>,
    /// The name the ingress routes to the main port.
    pub route: Option<String>,
    /// Ports registered in Consul as services of their own.
    pub registrations: Vec<Registration>,
    pub lifecycle: Lifecycle,
    /// What only the ingress job has: the host's network, a fixed set of hosts,
    /// files from Nomad variables, a disk kept across updates.
    pub ingress: Option<ingress::IngressTask>,
}

impl Cluster {
    /// Whether the ingress answers over TLS.
    pub fn ingress_tls(&self) -> bool {
        self.services
            .iter()
            .filter_map(|service| service.ingress.as_ref())
            .any(|task| task.tls)
    }
}

impl Service {
    /// Whether Nomad may place the job on `host`: a worker, and one of the
    /// ingress' hosts for the ingress.
    pub fn may_run_on(&self, host: &Host) -> bool {
        host.has(Role::NomadWorker)
            && (self.ingress.is_none() || !host.ingress_ports.is_empty())
            && self
                .requirement
                .as_ref()
                .is_none_or(|required| host.is_preferred_by(required))
    }

    /// The keys the job reads from its Nomad variable `nomad/jobs/<job>`.
    pub fn variable_keys(&self) -> Vec<&str> {
        let files = self
            .ingress
            .iter()
            .flat_map(|task| &task.files)
            .filter_map(|file| file.variable_key);
        self.secret_env
            .iter()
            .map(String::as_str)
            .chain(files)
            .collect()
    }
}

/// A port's own Consul service.
#[derive(Debug)]
pub struct Registration {
    pub name: String,
    pub port: String,
    pub tags: Vec<String>,
}

/// A share the hosts mount, bind-mounted into a container.
#[derive(Debug)]
pub struct ShareMount {
    pub host_path: String,
    pub destination: String,
    pub read_only: bool,
}

#[derive(Debug)]
pub struct Port {
    pub label: String,
    /// Host port; dynamic when absent.
    pub host: Option<u16>,
    /// Container port, when it differs from the host port.
    pub container: Option<u16>,
    /// Who may reach the host port.
    pub expose: Expose,
}

#[derive(Debug)]
pub struct Check {
    pub kind: CheckType,
    /// The port Consul advertises: the main one.
    pub service_port: String,
    /// The port checked, which may be another (an admin or metrics port).
    pub port: String,
    pub path: Option<String>,
    pub interval: String,
    pub timeout: String,
}

/// A directory on the services share, bind-mounted into the task.
#[derive(Debug)]
pub struct DataVolume {
    pub host_path: String,
    pub destination: String,
    /// Numeric owner of the directory; root when absent.
    pub owner: Option<u32>,
}

/// Resolves a validated inventory.
pub fn resolve(inv: &inventory::Inventory) -> Cluster {
    let nfs = inv
        .storage
        .services
        .as_ref()
        .and_then(|share| resolve_nfs(inv, share));
    let cifs = inv
        .storage
        .cifs
        .as_ref()
        .and_then(|cifs| resolve_cifs(inv, &cifs.value));
    let kopia = inv
        .backup
        .kopia
        .as_ref()
        .and_then(|kopia| resolve_kopia(inv, &kopia.value));
    let systems: BTreeSet<System> = managed(inv).map(|(_, host)| host.value.system).collect();
    // Each host and service is resolved on its own: in parallel.
    let managed_hosts: Vec<_> = managed(inv).collect();
    let ingress_hosts = inv.ingress.as_ref().map(|ingress| ingress.value.placed());
    let hosts: Vec<Host> = managed_hosts
        .par_iter()
        .map(|(name, host)| {
            resolve_host(
                inv,
                (name, &host.value),
                &systems,
                nfs.as_ref(),
                cifs.as_ref(),
                ingress_hosts.as_ref(),
            )
        })
        .collect();
    let quorum = hosts
        .iter()
        .filter(|host| host.has(Role::NomadServer))
        .map(|host| Peer {
            name: host.name.clone(),
            address: host.address.clone(),
        })
        .collect();
    let services = resolve_services(inv, nfs.as_ref());
    let cluster = &inv.cluster;
    Cluster {
        settings: settings_of(cluster),
        admin_user: cluster.admin.user.clone(),
        admin_ssh_keys: cluster.admin.ssh_keys.clone(),
        hosts,
        quorum,
        nfs,
        cifs,
        kopia,
        services,
        sops: sops_of(inv),
        systems,
        security: Security::of(&inv.security),
        sources: sources_of(inv),
    }
}

/// An operator's range: a network in CIDR notation (host bits cleared) or one address.
pub fn address_range(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>()
        .map(|network| network.trunc())
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(ipnet::IpNet::from))
}

/// The address sets of the inventory's hosts and operators.
fn sources_of(inv: &inventory::Inventory) -> Sources {
    let ip_of = |host: &inventory::Host| {
        host.address
            .as_deref()
            .and_then(|address| address.parse::<IpAddr>().ok())
            .map(ipnet::IpNet::from)
    };
    let with_role = |role: Role| {
        inv.hosts
            .values()
            .filter(move |host| {
                host.value.managed && host.value.roles.iter().any(|held| held.value == role)
            })
            .filter_map(|host| ip_of(&host.value))
    };
    let operator_ranges = inv
        .security
        .operators
        .iter()
        .filter_map(|range| address_range(&range.value));
    Sources(vec![
        AddressSet::of(
            Source::Cluster,
            inv.hosts.values().filter_map(|host| ip_of(&host.value)),
        ),
        AddressSet::of(Source::Members, with_role(Role::ClusterMember)),
        AddressSet::of(Source::Workers, with_role(Role::NomadWorker)),
        AddressSet::of(Source::Servers, with_role(Role::NomadServer)),
        AddressSet::of(
            Source::Operators,
            with_role(Role::ClusterTools).chain(operator_ranges),
        ),
    ])
}

fn settings_of(cluster: &inventory::Cluster) -> Settings {
    Settings {
        name: cluster.name.clone(),
        domain: cluster.domain.clone(),
        datacenter: cluster
            .datacenter
            .clone()
            .unwrap_or_else(|| cluster.name.clone()),
        state_version: cluster.state_version.clone(),
        nixpkgs: cluster.nixpkgs.clone(),
        time_zone: cluster.time_zone.clone(),
        persist: cluster.persist.clone(),
    }
}

fn resolve_cifs(inv: &inventory::Inventory, cifs: &inventory::Cifs) -> Option<CifsShares> {
    let server = peer(inv, &cifs.server)?;
    let shares = cifs
        .shares
        .iter()
        .map(|(share, mount)| (share.clone(), mount.clone()))
        .collect();
    Some(CifsShares { server, shares })
}

fn resolve_kopia(inv: &inventory::Inventory, kopia: &inventory::Kopia) -> Option<Kopia> {
    let server = peer(inv, &kopia.server)?;
    Some(Kopia {
        url: format!("https://{}:{}", url_address(&server.address), kopia.port),
        server,
        server_cert_fingerprint: kopia.server_cert_fingerprint.clone(),
        every: kopia.every.clone(),
        paths: kopia.paths.clone(),
        exclude: kopia.exclude.clone(),
    })
}

fn sops_of(inv: &inventory::Inventory) -> Option<Sops> {
    let sops = Sops {
        admin_keys: inv.secrets.admins.values().cloned().collect(),
        host_keys: managed(inv)
            .filter_map(|(name, host)| Some((name.clone(), host.value.age_key.clone()?)))
            .collect(),
        // Sorted: a failover swaps primary and standby, not who can read the file.
        nfs_host_keys: inv.storage.services.as_ref().map(|share| {
            let mut keys: Vec<String> = std::iter::once(&share.value.primary)
                .chain(&share.value.standbys)
                .filter_map(|name| inv.hosts.get(&name.value)?.value.age_key.clone())
                .collect();
            keys.sort();
            keys
        }),
        member_keys: keys_with_role(inv, Role::ClusterMember),
        quorum_keys: keys_with_role(inv, Role::NomadServer),
    };
    (!sops.admin_keys.is_empty() || !sops.host_keys.is_empty()).then_some(sops)
}

/// Age keys of the managed hosts that declare `role`, by host name.
fn keys_with_role(inv: &inventory::Inventory, role: Role) -> Vec<String> {
    managed(inv)
        .filter(|(_, host)| host.value.roles.iter().any(|held| held.value == role))
        .filter_map(|(_, host)| host.value.age_key.clone())
        .collect()
}

fn managed(
    inv: &inventory::Inventory,
) -> impl Iterator<Item = (&String, &inventory::Located<inventory::Host>)> {
    inv.hosts.iter().filter(|(_, host)| host.value.managed)
}

/// A path as systemd names its mount and automount units (`systemd-escape
/// --path`): `/data/services` is `data-services`. Paths here are plain (letters,
/// digits, `.`, `_`, `-`, `/`), so only `-` and a leading `.` need escaping.
pub fn systemd_path_name(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return "-".to_owned();
    }
    let mut name = String::with_capacity(trimmed.len());
    for (index, c) in trimmed.chars().enumerate() {
        match c {
            '/' => name.push('-'),
            '-' => name.push_str("\\x2d"),
            '.' if index == 0 => name.push_str("\\x2e"),
            c => name.push(c),
        }
    }
    name
}

/// `address` as it stands before `:port` in a URL: an IPv6 address in brackets.
pub fn url_address(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(ip)) => format!("[{ip}]"),
        _ => address.to_owned(),
    }
}

/// The address other hosts use: the declared one, or `<host>.<domain>`.
pub fn address_of(inv: &inventory::Inventory, name: &str, host: &inventory::Host) -> String {
    host.address
        .clone()
        .unwrap_or_else(|| format!("{name}.{}", inv.cluster.domain))
}

fn peer(inv: &inventory::Inventory, name: &inventory::Located<String>) -> Option<Peer> {
    let host = inv.hosts.get(&name.value)?;
    Some(Peer {
        name: name.value.clone(),
        address: address_of(inv, &name.value, &host.value),
    })
}

fn resolve_nfs(
    inv: &inventory::Inventory,
    share: &inventory::Located<inventory::ServicesShare>,
) -> Option<Nfs> {
    let share = &share.value;
    let primary = peer(inv, &share.primary)?;
    let standbys: Vec<Peer> = share
        .standbys
        .iter()
        .filter_map(|standby| peer(inv, standby))
        .collect();
    // Only the hosts that run jobs mount the share.
    let clients = managed(inv)
        .filter(|(name, host)| {
            **name != primary.name
                && host
                    .value
                    .roles
                    .iter()
                    .any(|role| role.value == Role::NomadWorker)
        })
        .map(|(name, host)| address_of(inv, name, &host.value))
        .collect();
    Some(Nfs {
        primary,
        standbys,
        export: share.export.clone(),
        mount: share.mount.clone(),
        consul_service: share.consul_service.clone(),
        every_minutes: share.every_minutes,
        replication_keys: share.replication_keys.clone(),
        clients,
        generation: share.generation,
        first_deployment: share.first_deployment,
        set_aside_days: share.set_aside_days,
    })
}

fn resolve_host(
    inv: &inventory::Inventory,
    (name, host): (&str, &inventory::Host),
    systems: &BTreeSet<System>,
    nfs: Option<&Nfs>,
    cifs: Option<&CifsShares>,
    ingress_hosts: Option<&inventory::IngressHosts>,
) -> Host {
    let mut roles: BTreeSet<Role> = host.roles.iter().map(|role| role.value).collect();
    if let Some(nfs) = nfs {
        if nfs.primary.name == name {
            roles.insert(Role::NfsServicesServer);
        }
        if nfs.standbys.iter().any(|standby| standby.name == name) {
            roles.insert(Role::NfsServicesStandby);
        }
    }
    let address = address_of(inv, name, host);
    let is_member = roles.contains(&Role::ClusterMember);
    let is_workstation = host.profile.is_some();
    let runs_jobs = roles.contains(&Role::NomadWorker);
    Host {
        groups: inv.origins.groups_of.get(name).cloned().unwrap_or_default(),
        name: name.to_owned(),
        system: host.system,
        bind_ip: address.parse::<IpAddr>().ok().map(|ip| ip.to_string()),
        deploy: deploy_settings(inv, name, host),
        address,
        profile: host.profile,
        boot_loader: host.boot_loader,
        persist_filesystem: host.persist_filesystem,
        modules: host.modules.clone(),
        nix: host.nix.clone(),
        emulated_systems: if is_workstation {
            systems
                .iter()
                .copied()
                .filter(|system| *system != host.system)
                .collect()
        } else {
            Vec::new()
        },
        mounts: if is_member {
            mounts(name, nfs.filter(|_| runs_jobs), cifs)
        } else {
            Vec::new()
        },
        ingress_ports: inv
            .ingress
            .as_ref()
            .map(|ingress| &ingress.value)
            .filter(|_| runs_jobs && ingress_hosts.is_some_and(|placed| placed.runs_on(name)))
            .map(ingress::ports)
            .unwrap_or_default(),
        roles,
    }
}

/// The deploy-rs settings of host `name`: where deploy-rs reaches it and as
/// whom, then every setting the host or the cluster sets, the host's winning.
pub fn deploy_settings(
    inv: &inventory::Inventory,
    name: &str,
    host: &inventory::Host,
) -> Vec<Setting> {
    let setting = |key: &str, value: serde_json::Value, origin: String| Setting {
        key: key.to_owned(),
        value,
        origin,
    };
    let hostname_origin = if host.address.is_some() {
        format!("hosts.{name}.address")
    } else {
        "cluster.domain".to_owned()
    };
    let mut settings = vec![
        setting(
            "hostname",
            address_of(inv, name, host).into(),
            hostname_origin,
        ),
        setting(
            "sshUser",
            inv.cluster.admin.user.clone().into(),
            "cluster.admin.user".to_owned(),
        ),
    ];
    let layers = [
        (&inv.cluster.deploy, "cluster.deploy".to_owned()),
        (&host.deploy, format!("hosts.{name}.deploy")),
    ];
    for (layer, origin) in layers {
        for (key, value) in written(layer) {
            // A group's value is written into the host's settings: say whose it was.
            let origin = inv
                .origins
                .of(name, &format!("deploy.{key}"))
                .map_or_else(|| origin.clone(), |group| format!("groups.{group}.deploy"));
            settings.retain(|known| known.key != key);
            settings.push(setting(&key, value, origin));
        }
    }
    let first = |setting: &Setting| !matches!(setting.key.as_str(), "hostname" | "sshUser");
    settings.sort_by_key(|setting| (first(setting), setting.key.clone()));
    settings
}

/// The settings a layer sets, by deploy-rs name.
fn written(layer: &inventory::DeploySettings) -> serde_json::Map<String, serde_json::Value> {
    // Options of strings, booleans and numbers always serialise to an object.
    match serde_json::to_value(layer) {
        Ok(serde_json::Value::Object(map)) => map,
        other => unreachable!("deploy settings serialise to an object, not {other:?}"),
    }
}

/// Shared storage as one cluster member sees it. The NFS primary serves the share
/// from its own disk, so it bind-mounts the export instead of mounting itself.
fn mounts(name: &str, nfs: Option<&Nfs>, cifs: Option<&CifsShares>) -> Vec<Mount> {
    let on_demand = |first: &str| {
        [
            first,
            "x-systemd.automount",
            "noauto",
            "x-systemd.idle-timeout=600",
            "_netdev",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let mut mounts = Vec::new();
    if let Some(nfs) = nfs {
        mounts.push(if nfs.primary.name == name {
            Mount {
                mount_point: nfs.mount.clone(),
                device: nfs.export.clone(),
                fs_type: "none".to_owned(),
                // Mounted on first use, after the export exists: at boot on a new
                // or promoted primary it does not yet.
                options: [
                    "bind",
                    "x-systemd.automount",
                    "noauto",
                    &format!("x-systemd.requires={NFS_EXPORT_UNIT}.service"),
                ]
                .map(str::to_owned)
                .to_vec(),
            }
        } else {
            // By the primary's address, which the inventory decides: a name in
            // Consul could be registered by someone else.
            Mount {
                mount_point: nfs.mount.clone(),
                device: format!("{}:{}", url_address(&nfs.primary.address), nfs.export),
                fs_type: "nfs".to_owned(),
                options: on_demand("nfsvers=4.2"),
            }
        });
    }
    if let Some(cifs) = cifs {
        for (share, mount_point) in &cifs.shares {
            mounts.push(Mount {
                mount_point: mount_point.clone(),
                device: format!("//{}/{share}", cifs.server.address),
                fs_type: "cifs".to_owned(),
                options: on_demand(&format!(
                    "credentials=/run/secrets/{CIFS_CREDENTIALS_SECRET}"
                )),
            });
        }
    }
    mounts.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
    mounts
}

/// The inventory's services and the ingress job, by name.
fn resolve_services(inv: &inventory::Inventory, nfs: Option<&Nfs>) -> Vec<Service> {
    let declared: Vec<_> = inv.services.iter().collect();
    let mut services: Vec<Service> = declared
        .par_iter()
        .map(|(name, service)| resolve_service(inv, name, &service.value, nfs))
        .collect::<Vec<_>>()
        .into_iter()
        .chain(
            inv.ingress
                .as_ref()
                .map(|ingress| ingress::job(&ingress.value)),
        )
        .collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    services
}

fn resolve_service(
    inv: &inventory::Inventory,
    name: &str,
    service: &inventory::Service,
    nfs: Option<&Nfs>,
) -> Service {
    let placed = |wanted: &Option<inventory::Located<String>>| {
        wanted
            .as_ref()
            .and_then(|wanted| inv.placement(&wanted.value))
    };
    let (placement, requirement) = (placed(&service.prefer), placed(&service.require));
    let data = nfs.filter(|_| service.data).map(|nfs| DataVolume {
        host_path: format!("{}/{name}", nfs.mount),
        destination: service.data_path.clone(),
        owner: service.data_owner,
    });
    let ports: Vec<Port> = service
        .ports
        .iter()
        .map(|(label, port)| Port {
            label: label.clone(),
            host: port.host(),
            container: port.container(),
            expose: port.expose(),
        })
        .collect();
    let kind = JobKind::of(service);
    let check = check_of(service);
    let checked = check.is_some();
    let data_kept = data.is_some();
    let mut tags = service.tags.clone();
    if let Some(host) = &service.host {
        tags.extend(ingress::route_tags(
            name,
            host,
            inv.ingress.as_ref().map(|i| &i.value),
        ));
    }
    Service {
        name: name.to_owned(),
        image: service.image.clone(),
        count: service.count,
        check,
        tags,
        registrations: registrations(name, service),
        ports,
        data,
        placement,
        requirement,
        cpu: service.resources.cpu,
        memory: service.resources.memory,
        env: service.env.clone(),
        secret_env: service.secret_env.clone(),
        args: service.args.clone(),
        user: service.user.clone(),
        schedule: service.schedule.clone(),
        kind,
        devices: service.devices.clone(),
        memory_max: service.resources.memory_max,
        mounts: share_mounts(inv, service),
        route: service.host.clone(),
        lifecycle: lifecycle::resolve(kind, data_kept, checked, &service.lifecycle),
        ingress: None,
    }
}

/// The ports that have a Consul service of their own, each with its check.
fn registrations(name: &str, service: &inventory::Service) -> Vec<Registration> {
    service
        .ports
        .iter()
        .filter_map(|(label, port)| {
            let registration = port.registration()?;
            Some(Registration {
                name: registration
                    .name
                    .clone()
                    .unwrap_or_else(|| registered_name(name, label)),
                port: label.clone(),
                tags: registration.tags.clone(),
            })
        })
        .collect()
}

/// The Nomad variable a job reads its secrets from; Nomad lets every job read
/// the one at its own path.
pub fn job_variable(job: &str) -> String {
    format!("nomad/jobs/{job}")
}

/// The Consul name of a port registered without one.
pub fn registered_name(job: &str, label: &str) -> String {
    format!("{job}-{label}")
}

/// The CIFS shares `service` mounts, from where every cluster member mounts them.
fn share_mounts(inv: &inventory::Inventory, service: &inventory::Service) -> Vec<ShareMount> {
    let Some(cifs) = &inv.storage.cifs else {
        return Vec::new();
    };
    let mut mounts: Vec<ShareMount> = service
        .mounts
        .iter()
        .filter_map(|(share, mount)| {
            Some(ShareMount {
                host_path: cifs.value.shares.get(share)?.clone(),
                destination: mount.path().to_owned(),
                read_only: mount.read_only(),
            })
        })
        .collect();
    mounts.sort_by(|a, b| a.destination.cmp(&b.destination));
    mounts
}

/// The health check Consul runs: the declared one, or a TCP check on the main port.
fn check_of(service: &inventory::Service) -> Option<Check> {
    let main_port = service.main_port().map(|(label, _)| label.clone())?;
    Some(match &service.check {
        Some(check) => Check {
            kind: check.r#type,
            port: check.port.clone().unwrap_or_else(|| main_port.clone()),
            service_port: main_port,
            path: check.path.clone(),
            interval: check.interval.clone(),
            timeout: check.timeout.clone(),
        },
        None => Check {
            kind: CheckType::Tcp,
            port: main_port.clone(),
            service_port: main_port,
            path: None,
            interval: inventory::default_check_interval(),
            timeout: inventory::default_check_timeout(),
        },
    })
}
