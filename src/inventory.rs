//! The inventory as the user wrote it: serde types read from YAML.
//!
//! Every struct denies unknown keys, so a typo is an error instead of a silently
//! ignored setting. Values whose position matters for diagnostics are `Spanned`.
//! Maps are `BTreeMap`s: the order of keys in the file never changes the output.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

/// A value with its place in the inventory file.
pub type Located<T> = Spanned<T>;

/// The JSON Schema of the inventory, from these types and their doc comments.
pub fn schema() -> serde_json::Value {
    schemars::schema_for!(Inventory).to_value()
}

/// The schema as `gen schema` prints it and `inventory.schema.json` holds it.
pub fn schema_text() -> String {
    // A `Value` always serialises; its `Display` is the JSON text.
    format!("{:#}", schema())
}

/// A NixOS cluster: its hosts, roles, storage, backups and services, which
/// `gen render` turns into a flake and Nomad jobs.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Settings of the whole cluster.
    pub cluster: Cluster,
    /// Shared storage: the replicated NFS services share and CIFS shares.
    #[serde(default)]
    pub storage: Storage,
    /// Backups of every managed host.
    #[serde(default)]
    pub backup: Backup,
    /// Every machine, managed by gen or not, by host name (a DNS label).
    #[schemars(with = "BTreeMap<String, Host>")]
    pub hosts: BTreeMap<String, Located<Host>>,
    /// Nomad jobs, by name (a DNS label).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Service>")]
    pub services: BTreeMap<String, Located<Service>>,
    /// Public age keys of the admins, for `.sops.yaml`.
    #[serde(default)]
    pub secrets: Secrets,
    /// What keeps the LAN out of the cluster. All of it is on unless turned off here.
    #[serde(default)]
    pub security: Security,
    /// Traefik in front of the services that have a `host` name.
    #[schemars(with = "Option<Ingress>")]
    pub ingress: Option<Located<Ingress>>,
    /// Settings given to many hosts at once, by group name (a DNS label).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Group>")]
    pub groups: BTreeMap<String, Located<Group>>,
    /// Which values the groups gave which hosts: filled by [`groups::apply`].
    #[serde(skip)]
    #[schemars(skip)]
    pub origins: groups::Origins,
}

/// What keeps the LAN out of the cluster. Every part is on by default; turning
/// one off is reported as a warning on every validation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// Consul and Nomad ACLs, denying what no token allows.
    #[serde(default = "on")]
    pub acl: bool,
    /// Verified TLS: Consul's RPC, and Nomad's RPC and HTTP API with client certificates.
    #[serde(default = "on")]
    pub tls: bool,
    /// Encrypted Consul and Nomad gossip.
    #[serde(default = "on")]
    pub gossip_encryption: bool,
    /// Address ranges (CIDR) of the admins' machines: they may reach Nomad's API,
    /// as the `cluster-tools` hosts may. No one else can.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub operators: Vec<Located<String>>,
}

impl Default for Security {
    fn default() -> Self {
        Self {
            acl: true,
            tls: true,
            gossip_encryption: true,
            operators: Vec::new(),
        }
    }
}

fn on() -> bool {
    true
}

/// Who can decrypt the sops files under `secrets/`: public age keys only.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    /// Admin name → public age key; admins can decrypt every secrets file.
    #[serde(default)]
    pub admins: BTreeMap<String, String>,
}

/// Settings of the whole cluster.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Cluster name; also the Consul and Nomad datacenter unless `datacenter` is set.
    pub name: String,
    /// DNS domain; a host without `address` is reached as `<host>.<domain>`.
    pub domain: String,
    /// `system.stateVersion` of every host, e.g. "25.05". Set once, never bumped casually.
    pub state_version: String,
    /// Flake URL of nixpkgs, e.g. `github:NixOS/nixpkgs/nixos-25.05`.
    pub nixpkgs: String,
    /// Consul and Nomad datacenter; defaults to the cluster name.
    pub datacenter: Option<String>,
    /// `time.timeZone` of every host, e.g. `Europe/Berlin`.
    pub time_zone: Option<String>,
    /// Root of the persistent btrfs subvolume kept across reboots (impermanence).
    #[serde(default = "default_persist")]
    pub persist: String,
    /// The admin account present on every host.
    pub admin: Admin,
    /// deploy-rs settings of this host, over the cluster's.
    #[serde(default)]
    pub deploy: DeploySettings,
    /// Directory of template overrides, relative to the inventory; `--templates` wins over it.
    pub templates: Option<String>,
}

fn default_persist() -> String {
    "/persist".to_owned()
}

/// The admin account present on every host.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Admin {
    /// User name of the admin.
    pub user: String,
    /// Public SSH keys allowed to log in as the admin. At least one: accounts have no password.
    #[serde(default)]
    pub ssh_keys: Vec<String>,
}

// Written out, each field takes deploy-rs's own name (`ssh_user` → `sshUser`).
/// deploy-rs settings; every field is optional so a host can override only some.
#[derive(Debug, Default, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct DeploySettings {
    /// User deploy-rs logs in as (default: the admin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_user: Option<String>,
    /// Extra ssh arguments, e.g. `["-p", "2222"]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh_opts: Option<Vec<String>>,
    /// Build on the target instead of locally (for an aarch64 host, say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_build: Option<bool>,
    /// Roll back unless deploy-rs can reconnect after activation (deploy-rs default: true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub magic_rollback: Option<bool>,
    /// Roll back when activation fails (deploy-rs default: true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_rollback: Option<bool>,
    /// Copy the whole closure instead of letting the target substitute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fast_connection: Option<bool>,
    /// Seconds to wait for the confirmation of magic rollback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm_timeout: Option<u32>,
    /// Seconds activation may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation_timeout: Option<u32>,
}

/// The inventory's name of a deploy-rs setting: `sshUser` is `ssh_user`.
pub fn deploy_key(deploy_rs_name: &str) -> String {
    let mut written = String::new();
    for c in deploy_rs_name.chars() {
        if c.is_ascii_uppercase() {
            written.push('_');
            written.push(c.to_ascii_lowercase());
        } else {
            written.push(c);
        }
    }
    written
}

/// Whether `deploy_rs_name` is a deploy-rs setting an inventory holds
/// ([`DeploySettings`]); `hostname`, `profiles` and the like are not.
pub fn is_deploy_setting(deploy_rs_name: &str) -> bool {
    let mut setting = serde_json::Map::new();
    setting.insert(deploy_key(deploy_rs_name), serde_json::Value::Null);
    serde_json::from_value::<DeploySettings>(setting.into()).is_ok()
}

/// Shared storage.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// The NFS share holding service data, replicated from a primary to standbys.
    #[schemars(with = "Option<ServicesShare>")]
    pub services: Option<Located<ServicesShare>>,
    /// CIFS shares mounted on every cluster member.
    #[schemars(with = "Option<Cifs>")]
    pub cifs: Option<Located<Cifs>>,
}

/// The NFS share holding service data, replicated from a primary to standbys.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicesShare {
    /// Host serving the share; it gets the `nfs-services-server` role. Moving it is a failover.
    #[schemars(with = "String")]
    pub primary: Located<String>,
    /// Hosts receiving its replication; they get the `nfs-services-standby` role.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub standbys: Vec<Located<String>>,
    /// Exported btrfs subvolume on the primary.
    #[serde(default = "default_export")]
    pub export: String,
    /// Mount point on cluster members; each service keeping data gets `<mount>/<service>`.
    #[serde(default = "default_services_mount")]
    pub mount: String,
    /// Consul service name that follows the primary.
    #[serde(default = "default_consul_service")]
    pub consul_service: String,
    /// Replication interval in minutes.
    #[serde(default = "default_replication_minutes")]
    pub every_minutes: u32,
    /// Public keys of the replication senders, allowed on the standbys.
    #[serde(default)]
    pub replication_keys: Vec<String>,
    /// The share's generation, increased by one at each failover (`gen failover`
    /// does it): a primary serves only an export of this generation, or one made
    /// from a snapshot of the previous generation, so it never serves stale data.
    #[serde(default = "default_generation")]
    pub generation: u32,
    /// Allow an empty share on a primary that has received nothing: the first
    /// deployment. Remove it once the share exists.
    #[serde(default)]
    pub first_deployment: bool,
    /// Days a former export is kept after its host stops being the primary.
    #[serde(default = "default_set_aside_days")]
    pub set_aside_days: u32,
}

fn default_generation() -> u32 {
    1
}

fn default_set_aside_days() -> u32 {
    14
}

fn default_export() -> String {
    "/persist/services".to_owned()
}

fn default_services_mount() -> String {
    "/data/services".to_owned()
}

fn default_consul_service() -> String {
    "data-services".to_owned()
}

fn default_replication_minutes() -> u32 {
    5
}

/// CIFS shares from a storage box.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cifs {
    #[schemars(with = "String")]
    pub server: Located<String>,
    /// Share name on the server → mount point on cluster members.
    pub shares: BTreeMap<String, String>,
}

/// Backups.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// Kopia backup of every managed host to a Kopia repository server.
    #[schemars(with = "Option<Kopia>")]
    pub kopia: Option<Located<Kopia>>,
}

/// Kopia backup of every managed host.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kopia {
    #[schemars(with = "String")]
    pub server: Located<String>,
    /// Port of the Kopia repository server.
    #[serde(default = "default_kopia_port")]
    pub port: u16,
    /// SHA-256 fingerprint of the Kopia server's TLS certificate.
    pub server_cert_fingerprint: String,
    /// systemd calendar expression.
    #[serde(default = "default_kopia_every")]
    pub every: String,
    /// Btrfs subvolumes backed up, each through a read-only snapshot.
    #[serde(default = "default_kopia_paths")]
    pub paths: Vec<String>,
    /// Ignore patterns (gitignore syntax, relative to each path).
    #[serde(default)]
    pub exclude: Vec<String>,
}

fn default_kopia_port() -> u16 {
    51515
}

fn default_kopia_every() -> String {
    "hourly".to_owned()
}

fn default_kopia_paths() -> Vec<String> {
    vec![default_persist()]
}

/// A machine of the cluster.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Nix system of the host.
    #[serde(default = "default_system")]
    pub system: System,
    /// IP address or DNS name (default: `<host>.<domain>`).
    pub address: Option<String>,
    /// What people use the host for; orthogonal to roles.
    pub profile: Option<Profile>,
    /// Cluster roles; none makes a standalone host.
    #[serde(default)]
    #[schemars(with = "Vec<Role>")]
    pub roles: Vec<Located<Role>>,
    /// Whether gen generates the host's NixOS configuration; an unmanaged host (a storage box) is only referred to.
    #[serde(default = "default_managed")]
    pub managed: bool,
    /// Boot loader.
    #[serde(default)]
    pub boot_loader: BootLoader,
    /// File system of the persistent root (`cluster.persist`): backups read
    /// btrfs from a snapshot, anything else directly.
    #[serde(default)]
    pub persist_filesystem: PersistFilesystem,
    /// Public age key of the host (`ssh-to-age` of its SSH host key), so it can
    /// decrypt its own secrets file and the common one.
    pub age_key: Option<String>,
    /// deploy-rs settings of this host, over the cluster's.
    #[serde(default)]
    pub deploy: DeploySettings,
    /// Hand-written modules, as paths relative to the host's directory.
    #[serde(default)]
    pub modules: Vec<String>,
    /// Plain NixOS option values set in the host file, keyed by option path.
    #[serde(default)]
    pub nix: BTreeMap<String, serde_json::Value>,
}

fn default_system() -> System {
    System::X86_64Linux
}

fn default_managed() -> bool {
    true
}

/// A fixed set of values named in the inventory: serde (the inventory and its
/// schema) and strum (`as_str`, `Display`, `iter`) derive the same kebab-case
/// names from the variants, so each name is written once, if at all.
macro_rules! named_values {
    ($(#[$meta:meta])* pub enum $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Deserialize,
            serde::Serialize,
            JsonSchema,
            strum::IntoStaticStr,
            strum::Display,
            strum::EnumIter,
        )]
        #[serde(rename_all = "kebab-case")]
        #[strum(serialize_all = "kebab-case")]
        pub enum $name { $($body)* }

        impl $name {
            /// The name the inventory uses.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    };
}

pub mod groups;
mod ingress;
mod lifecycle;
pub use groups::Group;
pub use ingress::*;
pub use lifecycle::*;

named_values! {
    pub enum System {
        /// 64-bit x86 Linux.
        #[serde(rename = "x86_64-linux")]
        #[strum(serialize = "x86_64-linux")]
        X86_64Linux,
        /// 64-bit ARM Linux (Raspberry Pi 4 and later).
        Aarch64Linux,
    }
}

named_values! {
    pub enum Profile {
        /// Development and deployment tools, Docker, nix-ld, emulation of the cluster's other systems.
        Workstation,
        /// A workstation with a Hyprland session.
        Desktop,
    }
}

named_values! {
    #[derive(Default)]
    pub enum BootLoader {
        /// systemd-boot, for UEFI machines.
        #[default]
        SystemdBoot,
        /// extlinux, for boards such as the Raspberry Pi.
        Extlinux,
    }
}

named_values! {
    #[derive(Default)]
    pub enum PersistFilesystem {
        /// btrfs: backups read a read-only snapshot; required on the NFS hosts.
        #[default]
        Btrfs,
        /// ext4, e.g. an SD card: backups read the files as they are.
        Ext4,
    }
}

// Adding a role: a variant here (its doc comment documents it in the schema),
// its row in `Role::spec`, and its module `templates/common/<role>.nix`.
named_values! {
    /// Cluster roles a host can declare. NFS roles follow `storage.services`.
    pub enum Role {
        /// Consul agent, `.consul` name resolution and the shared mounts.
        ClusterMember,
        /// Nomad client running jobs with Docker.
        NomadWorker,
        /// Consul and Nomad server: a quorum member.
        NomadServer,
        /// nomad, consul, wander and damon on the command line.
        ClusterTools,
        /// Serves the services share (given by `storage.services.primary`).
        NfsServicesServer,
        /// Receives the share's replication (given by `storage.services.standbys`).
        NfsServicesStandby,
        /// Prometheus node exporter, and a Prometheus scraping every monitoring node (job `node`).
        MonitoringNode,
    }
}

/// What gen needs to know of a role besides its name.
pub struct RoleSpec {
    /// Its NixOS module: the embedded template's name, which is also its path in the output.
    pub module: &'static str,
    /// The embedded template's source.
    pub source: &'static str,
    /// Whether it runs on the Consul agent of `cluster-member`.
    pub needs_member: bool,
}

macro_rules! role_module {
    ($file:literal) => {
        (
            concat!("common/", $file),
            include_str!(concat!("../templates/common/", $file)),
        )
    };
}

impl Role {
    /// The role table: one row per role.
    pub fn spec(self) -> RoleSpec {
        let ((module, source), needs_member) = match self {
            Self::ClusterMember => (role_module!("cluster-member.nix"), false),
            Self::NomadWorker => (role_module!("nomad-worker.nix"), true),
            Self::NomadServer => (role_module!("nomad-server.nix"), true),
            Self::ClusterTools => (role_module!("cluster-tools.nix"), true),
            Self::NfsServicesServer => (role_module!("nfs-services-server.nix"), false),
            Self::NfsServicesStandby => (role_module!("nfs-services-standby.nix"), false),
            Self::MonitoringNode => (role_module!("monitoring-node.nix"), false),
        };
        RoleSpec {
            module,
            source,
            needs_member,
        }
    }

    /// Every role, in declaration order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    /// The role called `name` in the inventory.
    pub fn named(name: &str) -> Option<Self> {
        Self::all().find(|role| role.as_str() == name)
    }

    pub fn needs_member(self) -> bool {
        self.spec().needs_member
    }
}

impl Profile {
    /// Its NixOS module: the embedded template's name and its path in the output.
    pub fn module(self) -> &'static str {
        match self {
            Self::Workstation => "common/workstation-node.nix",
            Self::Desktop => "common/desktop-node.nix",
        }
    }
}

/// A Nomad job running one Docker container.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Container image reference, e.g. `ghcr.io/org/app:1.2.3`.
    pub image: String,
    /// Number of instances.
    #[serde(default = "default_count")]
    pub count: u32,
    /// Port label → static host port, or `{ static, to }`.
    #[serde(default)]
    pub ports: BTreeMap<String, Port>,
    /// Consul health check (default: TCP on the `http` port, or the first port).
    #[serde(default)]
    pub check: Option<Check>,
    /// Tags of the service in Consul, for whatever discovers it (a proxy, Prometheus).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Keep data at `<services mount>/<job>`.
    #[serde(default)]
    pub data: bool,
    /// Where the data volume appears inside the container.
    #[serde(default = "default_data_path")]
    pub data_path: String,
    /// Numeric owner (uid, also used as gid) of the data directory, for images
    /// that do not run as root.
    pub data_owner: Option<u32>,
    /// Environment variables read from the Nomad variable `nomad/jobs/<job>`.
    #[serde(default)]
    pub secret_env: Vec<String>,
    /// Where the job leans to run: `nfs-primary`, a role, a group or a host
    /// (a Nomad affinity; it runs elsewhere when it must).
    #[schemars(with = "Option<String>")]
    pub prefer: Option<Located<String>>,
    /// Where the job may only run: `nfs-primary`, a role, a group or a host (a
    /// Nomad constraint; it waits rather than run elsewhere).
    #[schemars(with = "Option<String>")]
    pub require: Option<Located<String>>,
    /// CPU and memory reserved for each instance.
    #[serde(default)]
    pub resources: Resources,
    /// Environment variables. Never secrets: see `secret_env`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Arguments of the container.
    #[serde(default)]
    pub args: Vec<String>,
    /// The user the container runs as: a name its image knows, a uid, or `uid:gid`.
    pub user: Option<String>,
    /// Run on this schedule (cron, e.g. `50 * * * *`, or `@daily`) as a periodic
    /// batch job that runs to completion, instead of a service that keeps running.
    pub schedule: Option<String>,
    /// Run one instance on every worker (a Nomad system job), instead of `count`.
    #[serde(default)]
    pub every_worker: bool,
    /// Host devices passed into the container, e.g. `/dev/dri` for transcoding.
    #[serde(default)]
    pub devices: Vec<String>,
    /// CIFS shares (`storage.cifs.shares`) mounted into the container: share name →
    /// path inside, read-only; `{ path, read_only: false }` to write.
    #[serde(default)]
    pub mounts: BTreeMap<String, ShareMount>,
    /// The name the ingress routes to the service's main port, e.g. `grafana.home.arpa`.
    pub host: Option<String>,
    /// Restarts, placements elsewhere, updates and stops: each field overrides
    /// the default of the kind of job.
    #[serde(default)]
    pub lifecycle: Lifecycle,
}

impl Service {
    /// The port Consul advertises and the ingress routes to: `http` when there
    /// is one, else the first by label.
    pub fn main_port(&self) -> Option<(&String, &Port)> {
        self.ports
            .get_key_value("http")
            .or_else(|| self.ports.iter().next())
    }
}

/// Where a share appears inside a container, and whether it may write there.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ShareMount {
    /// The path inside the container, read-only.
    ReadOnly(String),
    /// A path and whether the container may only read.
    Detailed(DetailedShareMount),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailedShareMount {
    /// The path inside the container.
    pub path: String,
    /// Whether the container may only read (default true).
    #[serde(default = "on")]
    pub read_only: bool,
}

impl ShareMount {
    pub fn path(&self) -> &str {
        match self {
            Self::ReadOnly(path) => path,
            Self::Detailed(detailed) => &detailed.path,
        }
    }

    pub fn read_only(&self) -> bool {
        match self {
            Self::ReadOnly(_) => true,
            Self::Detailed(detailed) => detailed.read_only,
        }
    }
}

/// The segments of a NixOS option path as `nix:` keys write it: identifiers or
/// double-quoted names (`"foo.bar"`, with `\"` and `\\`), separated by dots;
/// `None` when it is not one, such as an empty segment.
pub fn option_path_segments(path: &str) -> Option<Vec<String>> {
    let mut segments = Vec::new();
    let mut chars = path.chars().peekable();
    loop {
        let mut segment = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => segment.push(chars.next()?),
                    '$' if chars.peek() == Some(&'{') => return None,
                    c => segment.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                segment.push(c);
                chars.next();
            }
            let mut identifier = segment.chars();
            let valid = identifier
                .next()
                .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
                && identifier.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'));
            if !valid {
                return None;
            }
        }
        segments.push(segment);
        match chars.next() {
            None => return Some(segments),
            Some('.') => {}
            Some(_) => return None,
        }
    }
}

/// Whether `path` is a relative Nix path literal: `./` or `../` first, then
/// letters, digits, `.`, `_`, `-`, `+` and single `/`, no trailing `/`.
pub fn is_relative_nix_path(path: &str) -> bool {
    let relative = path.starts_with("./") || path.starts_with("../");
    let literal_chars = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '/'));
    relative && literal_chars && !path.ends_with('/') && !path.contains("//")
}

/// Where a service prefers to run: what its `prefer` means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// `nfs-primary`: beside the services share's disk.
    NfsPrimary,
    /// On hosts with this role.
    Role(Role),
    /// On this host.
    Host(String),
    /// On the members of this group.
    Group(String),
}

/// The placement keyword for the NFS primary.
pub const NFS_PRIMARY: &str = "nfs-primary";

impl Inventory {
    /// What `prefer` names in this inventory: the NFS primary (when there is a
    /// share), a host, or a role; `None` when it names nothing.
    pub fn placement(&self, prefer: &str) -> Option<Placement> {
        if prefer == NFS_PRIMARY {
            return self
                .storage
                .services
                .is_some()
                .then_some(Placement::NfsPrimary);
        }
        if self.hosts.contains_key(prefer) {
            return Some(Placement::Host(prefer.to_owned()));
        }
        if self.groups.contains_key(prefer) {
            return Some(Placement::Group(prefer.to_owned()));
        }
        Role::named(prefer).map(Placement::Role)
    }
}

/// A port: a static host port that the container also listens on, or a mapping.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Port {
    /// A static host port the container also listens on.
    Static(u16),
    /// A host port (static or dynamic) mapped to a container port.
    Mapped(MappedPort),
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MappedPort {
    /// Host port; a dynamic one when absent.
    pub r#static: Option<u16>,
    /// Container port; the host port when absent.
    pub to: Option<u16>,
    /// Who may reach the host port; `cluster` when absent.
    pub expose: Option<Expose>,
    /// Registers this port in Consul as a service of its own (beside the job's
    /// service on its main port), e.g. for Prometheus to find a metrics port.
    pub register: Option<Registration>,
}

/// A port's own Consul service.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// Its name in Consul; `<job>-<port label>` when absent.
    pub name: Option<String>,
    /// Its tags in Consul.
    #[serde(default)]
    pub tags: Vec<String>,
}

named_values! {
    /// Who may reach a service's host port. Enforced on the forwarded traffic
    /// Docker publishes, which the host's input firewall never sees.
    #[derive(Default)]
    pub enum Expose {
        /// Any address.
        Lan,
        /// The inventory's hosts.
        #[default]
        Cluster,
        /// The host running it, and containers on it.
        Host,
    }
}

impl Port {
    pub fn host(&self) -> Option<u16> {
        match self {
            Self::Static(port) => Some(*port),
            Self::Mapped(mapped) => mapped.r#static,
        }
    }

    pub fn container(&self) -> Option<u16> {
        match self {
            Self::Static(_) => None,
            Self::Mapped(mapped) => mapped.to,
        }
    }

    pub fn expose(&self) -> Expose {
        match self {
            Self::Static(_) => Expose::default(),
            Self::Mapped(mapped) => mapped.expose.unwrap_or_default(),
        }
    }

    /// The port's own Consul service, when it has one.
    pub fn registration(&self) -> Option<&Registration> {
        match self {
            Self::Static(_) => None,
            Self::Mapped(mapped) => mapped.register.as_ref(),
        }
    }
}

fn default_count() -> u32 {
    1
}

fn default_data_path() -> String {
    "/data".to_owned()
}

/// A Consul health check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Check type.
    #[serde(default)]
    pub r#type: CheckType,
    /// HTTP path (HTTP checks).
    pub path: Option<String>,
    /// Port label checked.
    pub port: Option<String>,
    /// Time between checks, e.g. `10s`.
    #[serde(default = "default_check_interval")]
    pub interval: String,
    /// Time a check may take, e.g. `2s`.
    #[serde(default = "default_check_timeout")]
    pub timeout: String,
}

pub fn default_check_interval() -> String {
    "10s".to_owned()
}

pub fn default_check_timeout() -> String {
    "2s".to_owned()
}

named_values! {
    #[derive(Default)]
    pub enum CheckType {
        /// A TCP connection to the port.
        #[default]
        Tcp,
        /// An HTTP GET of `path` that must answer 2xx.
        Http,
    }
}

/// Resources reserved for each instance.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// MHz.
    #[serde(default = "default_cpu")]
    pub cpu: u32,
    /// MB.
    #[serde(default = "default_memory")]
    pub memory: u32,
    /// MB the task may use beyond `memory` while the node has some to spare
    /// (Nomad's memory oversubscription must be on in its scheduler configuration).
    pub memory_max: Option<u32>,
}

impl Default for Resources {
    fn default() -> Self {
        Self {
            cpu: default_cpu(),
            memory: default_memory(),
            memory_max: None,
        }
    }
}

fn default_cpu() -> u32 {
    100
}

fn default_memory() -> u32 {
    256
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::{BootLoader, CheckType, Profile, Role, System};

    /// Every field of the deploy settings, by deploy-rs's name, and nothing else.
    #[test]
    fn deploy_settings_are_known_by_their_deploy_rs_names() {
        let written = serde_json::to_value(super::DeploySettings {
            ssh_user: Some("admin".to_owned()),
            ssh_opts: Some(Vec::new()),
            remote_build: Some(true),
            magic_rollback: Some(true),
            auto_rollback: Some(true),
            fast_connection: Some(true),
            confirm_timeout: Some(30),
            activation_timeout: Some(240),
        })
        .expect("serialises");
        let names = written.as_object().expect("an object");
        assert_eq!(names.len(), 8);
        for name in names.keys() {
            assert!(super::is_deploy_setting(name), "{name}");
        }
        for other in ["hostname", "profiles", "user", "ssh_user_name"] {
            assert!(!super::is_deploy_setting(other), "{other}");
        }
    }

    /// serde reads each value by the name strum writes, so the inventory, the
    /// schema, the view model and the messages name it alike.
    fn names_round_trip<T>(names: impl Iterator<Item = (T, &'static str)>)
    where
        T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        for (value, name) in names {
            let read: T = serde_json::from_value(serde_json::Value::from(name))
                .unwrap_or_else(|error| panic!("`{name}` does not read back: {error}"));
            assert_eq!(read, value, "{name}");
        }
    }

    #[test]
    fn serde_and_strum_agree_on_names() {
        names_round_trip(System::iter().map(|value| (value, value.as_str())));
        names_round_trip(Profile::iter().map(|value| (value, value.as_str())));
        names_round_trip(BootLoader::iter().map(|value| (value, value.as_str())));
        names_round_trip(Role::iter().map(|value| (value, value.as_str())));
        names_round_trip(CheckType::iter().map(|value| (value, value.as_str())));
    }

    #[test]
    fn each_role_module_is_a_common_nix_file() {
        for role in Role::all() {
            let spec = role.spec();
            assert_eq!(spec.module, format!("common/{role}.nix"));
            assert!(!spec.source.is_empty());
        }
    }
}
