//! The inventory as the user wrote it: serde types read from YAML.
//!
//! Every struct denies unknown keys, so a typo is an error instead of a silently
//! ignored setting. Values whose position matters for diagnostics are `Spanned`.
//! Maps are `BTreeMap`s: the order of keys in the file never changes the output.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

/// A value with its place in the inventory file.
pub type Located<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub cluster: Cluster,
    #[serde(default)]
    pub storage: Storage,
    #[serde(default)]
    pub backup: Backup,
    pub hosts: BTreeMap<String, Located<Host>>,
    #[serde(default)]
    pub services: BTreeMap<String, Located<Service>>,
    #[serde(default)]
    pub secrets: Secrets,
}

/// Who can decrypt the sops files under `secrets/`: public age keys only.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    /// Admin name → public age key; admins can decrypt every secrets file.
    #[serde(default)]
    pub admins: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub name: String,
    pub domain: String,
    pub state_version: String,
    pub nixpkgs: String,
    /// Consul and Nomad datacenter; defaults to the cluster name.
    pub datacenter: Option<String>,
    pub time_zone: Option<String>,
    /// Root of the persistent btrfs subvolume kept across reboots (impermanence).
    #[serde(default = "default_persist")]
    pub persist: String,
    pub admin: Admin,
    #[serde(default)]
    pub deploy: DeploySettings,
}

fn default_persist() -> String {
    "/persist".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Admin {
    pub user: String,
    #[serde(default)]
    pub ssh_keys: Vec<String>,
}

/// deploy-rs settings; every field is optional so a host can override only some.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploySettings {
    pub ssh_user: Option<String>,
    pub ssh_opts: Option<Vec<String>>,
    pub remote_build: Option<bool>,
    pub magic_rollback: Option<bool>,
    pub auto_rollback: Option<bool>,
    pub fast_connection: Option<bool>,
    pub confirm_timeout: Option<u32>,
    pub activation_timeout: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    pub services: Option<Located<ServicesShare>>,
    pub cifs: Option<Located<Cifs>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesShare {
    pub primary: Located<String>,
    #[serde(default)]
    pub standbys: Vec<Located<String>>,
    #[serde(default = "default_export")]
    pub export: String,
    #[serde(default = "default_services_mount")]
    pub mount: String,
    #[serde(default = "default_consul_service")]
    pub consul_service: String,
    /// Replication interval in minutes.
    #[serde(default = "default_replication_minutes")]
    pub every_minutes: u32,
    /// Public keys of the replication senders, allowed on the standbys.
    #[serde(default)]
    pub replication_keys: Vec<String>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cifs {
    pub server: Located<String>,
    /// Share name on the server → mount point on cluster members.
    pub shares: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    pub kopia: Option<Located<Kopia>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kopia {
    pub server: Located<String>,
    #[serde(default = "default_kopia_port")]
    pub port: u16,
    /// SHA-256 fingerprint of the Kopia server's TLS certificate.
    pub server_cert_fingerprint: String,
    /// systemd calendar expression.
    #[serde(default = "default_kopia_every")]
    pub every: String,
    #[serde(default = "default_kopia_paths")]
    pub paths: Vec<String>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    #[serde(default = "default_system")]
    pub system: System,
    pub address: Option<String>,
    pub profile: Option<Profile>,
    #[serde(default)]
    pub roles: Vec<Located<Role>>,
    #[serde(default = "default_managed")]
    pub managed: bool,
    #[serde(default)]
    pub boot_loader: BootLoader,
    /// Public age key of the host (`ssh-to-age` of its SSH host key), so it can
    /// decrypt its own secrets file and the common one.
    pub age_key: Option<String>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum System {
    #[serde(rename = "x86_64-linux")]
    X86_64Linux,
    #[serde(rename = "aarch64-linux")]
    Aarch64Linux,
}

impl System {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::X86_64Linux => "x86_64-linux",
            Self::Aarch64Linux => "aarch64-linux",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    Workstation,
    Desktop,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BootLoader {
    #[default]
    SystemdBoot,
    Extlinux,
}

/// Cluster roles a host can declare. NFS roles follow `storage.services`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    ClusterMember,
    NomadWorker,
    NomadServer,
    ClusterTools,
    NfsServicesServer,
    NfsServicesStandby,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClusterMember => "cluster-member",
            Self::NomadWorker => "nomad-worker",
            Self::NomadServer => "nomad-server",
            Self::ClusterTools => "cluster-tools",
            Self::NfsServicesServer => "nfs-services-server",
            Self::NfsServicesStandby => "nfs-services-standby",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub image: String,
    #[serde(default = "default_count")]
    pub count: u32,
    /// Port label → static host port, or `{ static, to }`.
    #[serde(default)]
    pub ports: BTreeMap<String, Port>,
    #[serde(default)]
    pub check: Option<Check>,
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
    /// `nfs-primary`, a role name or a host name.
    pub prefer: Option<Located<String>>,
    #[serde(default)]
    pub resources: Resources,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub args: Vec<String>,
}

/// A port: a static host port that the container also listens on, or a mapping.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
pub enum Port {
    Static(u16),
    Mapped(MappedPort),
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappedPort {
    /// Host port; a dynamic one when absent.
    pub r#static: Option<u16>,
    /// Container port; the host port when absent.
    pub to: Option<u16>,
}

impl Port {
    pub fn host(self) -> Option<u16> {
        match self {
            Self::Static(port) => Some(port),
            Self::Mapped(mapped) => mapped.r#static,
        }
    }

    pub fn container(self) -> Option<u16> {
        match self {
            Self::Static(_) => None,
            Self::Mapped(mapped) => mapped.to,
        }
    }
}

fn default_count() -> u32 {
    1
}

fn default_data_path() -> String {
    "/data".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    #[serde(default)]
    pub r#type: CheckType,
    pub path: Option<String>,
    pub port: Option<String>,
    #[serde(default = "default_check_interval")]
    pub interval: String,
    #[serde(default = "default_check_timeout")]
    pub timeout: String,
}

pub fn default_check_interval() -> String {
    "10s".to_owned()
}

pub fn default_check_timeout() -> String {
    "2s".to_owned()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckType {
    #[default]
    Tcp,
    Http,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// MHz.
    #[serde(default = "default_cpu")]
    pub cpu: u32,
    /// MB.
    #[serde(default = "default_memory")]
    pub memory: u32,
}

impl Default for Resources {
    fn default() -> Self {
        Self {
            cpu: default_cpu(),
            memory: default_memory(),
        }
    }
}

fn default_cpu() -> u32 {
    100
}

fn default_memory() -> u32 {
    256
}
