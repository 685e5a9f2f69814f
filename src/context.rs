//! The view model handed to templates: flat, serialisable, documented field by field.
//!
//! Templates read only these structs (never the inventory types), so a template
//! author can print them with `gen context` and rely on every field below.

mod topology;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;

use crate::inventory::Placement;
use crate::inventory::{PersistFilesystem, Profile, Role};
use crate::model::firewall::{self, Opening, Published};
use crate::model::lifecycle::Lifecycle;
use crate::model::persistence::PersistedState;
use crate::model::secrets::SecretFile;
use crate::model::{self, Cluster, Host, Kopia, Mount, Peer, Security, Service, Settings, Sources};
use crate::paths;

/// Everything one template sees. `host` is set for host templates, `service`
/// for job templates; cluster-wide templates get only `cluster`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RenderContext<'a> {
    pub cluster: &'a ClusterView,
    pub host: Option<&'a HostView>,
    pub service: Option<&'a ServiceView>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ClusterView {
    #[serde(flatten)]
    pub settings: Settings,
    /// The admin account present on every host.
    pub admin: AdminView,
    /// Managed hosts, sorted by name.
    pub hosts: Vec<HostView>,
    /// Quorum members (hosts with `nomad-server`), sorted by name.
    pub quorum: Vec<Peer>,
    /// Number of quorum members: Consul and Nomad `bootstrap_expect`.
    pub quorum_size: usize,
    /// Addresses of the quorum members, IPv6 in brackets: Consul and Nomad join lists.
    pub retry_join: Vec<String>,
    /// The replicated NFS services share, when configured.
    pub nfs: Option<NfsView>,
    /// CIFS shares mounted on every cluster member, when configured.
    pub cifs: Option<CifsView>,
    /// Kopia backup of every host, when configured.
    pub kopia: Option<Kopia>,
    /// Nomad jobs, sorted by name.
    pub services: Vec<ServiceView>,
    /// Static host ports of the services, by who may reach them.
    pub published: Published,
    /// The cluster as a graph, for the diagrams in `docs/`.
    pub topology: topology::TopologyView,
    /// The Nomad variables the jobs read, with their keys.
    pub job_variables: Vec<JobVariable>,
    /// The longest kill timeout of any job: the workers' `max_kill_timeout`.
    pub max_kill_timeout: String,
    /// Nomad's dynamic host ports, first and last: reachable from the cluster only.
    pub dynamic_ports: [u16; 2],
    /// Directories kept across reboots while an option is on, by option.
    pub persisted_state: &'static [PersistedState],
    /// Every port a role opens: containers may reach none of them.
    pub control_ports: Vec<u16>,
    /// Which protections are on.
    pub security: Security,
    /// Every sops file the configuration reads, with its readers and its secrets.
    pub secrets: Vec<SecretFile>,
    /// Address sets the firewalls filter on.
    pub sources: Sources,
    /// sops creation rules, when the inventory lists age keys.
    pub sops: Option<SopsView>,
    /// Nix systems of the managed hosts, sorted.
    pub systems: Vec<&'static str>,
    /// Role and profile modules some host imports, by output path (`common/nomad-worker.nix`).
    pub role_modules: Vec<String>,
    /// Nomad client meta key that marks the NFS primary.
    pub nfs_primary_meta: &'static str,
    /// Nomad client meta key listing a node's roles.
    pub roles_meta: &'static str,
    /// Nomad client meta key listing a node's groups.
    pub groups_meta: &'static str,
    /// Whether a service prefers a group: workers then publish theirs.
    pub places_by_group: bool,
    /// Address of Docker's default bridge: the resolver listens there for containers.
    pub docker_bridge_ip: &'static str,
    /// The Prometheus node exporter's port.
    pub node_exporter_port: u16,
    /// Prometheus' port.
    pub prometheus_port: u16,
    /// Consul DNS port the local resolver forwards `.consul` to.
    pub consul_dns_port: u16,
    /// The sops files more than one host reads, relative to the output: the
    /// cluster members', the quorum's, the NFS hosts' (`nfs`).
    pub secret_files: SecretFilesView,
    /// sops secret name of the CIFS credentials file.
    pub cifs_credentials_secret: &'static str,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AdminView {
    /// User name.
    pub user: String,
    /// Public SSH keys allowed to log in as the admin.
    pub ssh_keys: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct NfsView {
    /// The host serving the share.
    pub primary: Peer,
    /// Hosts receiving its replication, in inventory order.
    pub standbys: Vec<Peer>,
    /// Exported btrfs subvolume on the primary.
    pub export: String,
    /// Directory holding the export and its snapshots.
    pub export_parent: String,
    /// Last path component of the export; snapshots are `<name>@<time>`.
    pub export_name: String,
    /// Where a standby receives snapshots.
    pub standby_dir: String,
    /// Mount point on cluster members.
    pub mount: String,
    /// Consul service name that follows the primary.
    pub consul_service: String,
    /// Replication interval in minutes.
    pub every_minutes: u32,
    /// Keys allowed to replicate into a standby.
    pub replication_keys: Vec<String>,
    /// Addresses allowed to mount the export.
    pub clients: Vec<String>,
    /// Directories under the export, one per service that keeps data.
    pub data_dirs: Vec<DataDirView>,
    /// Name of the primary's systemd service that prepares the export.
    pub export_unit: &'static str,
    /// The share's generation: each failover increases it.
    pub generation: u32,
    /// The systemd mount and automount units of the mount point on the workers.
    pub mount_unit: String,
    pub automount_unit: String,
    /// Whether an empty share may be made on a primary that received nothing.
    pub first_deployment: bool,
    /// Days a former export is kept.
    pub set_aside_days: u32,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DataDirView {
    /// Directory name under the export: the service's name.
    pub name: String,
    /// Numeric owner, set on every switch; `-` leaves the directory to the
    /// container once made (owned by root).
    pub owner: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SopsView {
    /// One rule per host with a key: its own file, for it and the admins.
    pub hosts: Vec<SopsRuleView>,
    /// `secrets/common.yaml`, for every host with a key and the admins.
    pub common: SopsRuleView,
    /// `secrets/nfs-services.yaml`, for the NFS primary, its standbys and the admins.
    pub nfs: Option<SopsRuleView>,
    /// `secrets/cluster-members.yaml`, for the cluster members and the admins.
    pub members: SopsRuleView,
    /// `secrets/quorum.yaml`, for the quorum members and the admins.
    pub quorum: SopsRuleView,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SecretFilesView {
    pub members: String,
    pub quorum: String,
    pub nfs: String,
}

impl SecretFilesView {
    fn new() -> Self {
        Self {
            members: paths::secrets_file(model::MEMBERS_SECRETS_FILE),
            quorum: paths::secrets_file(model::QUORUM_SECRETS_FILE),
            nfs: paths::secrets_file(model::NFS_SECRETS_FILE),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SopsRuleView {
    /// Regular expression (RE2) matching the secrets file's path.
    pub path_regex: String,
    /// Public age keys the file is encrypted to.
    pub keys: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CifsView {
    /// The storage box serving the shares.
    pub server: Peer,
    /// Shares and their mount points, sorted by share name.
    pub shares: Vec<CifsShareView>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CifsShareView {
    /// Share name on the server.
    pub name: String,
    /// Mount point on cluster members.
    pub mount: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct HostView {
    /// Host name: `networking.hostName`, the flake attribute and the deploy node.
    pub name: String,
    /// The host's directory in the output, e.g. `hosts/c1`.
    pub dir: String,
    /// Nix system, e.g. `x86_64-linux`.
    pub system: &'static str,
    /// Address other hosts and deploy-rs use.
    pub address: String,
    /// The address when it is an IP literal.
    pub bind_ip: Option<String>,
    /// The address as it stands before `:port`: an IPv6 address in brackets.
    pub url_address: String,
    /// `workstation`, `desktop` or null.
    pub profile: Option<&'static str>,
    /// Roles after resolution (declared, plus NFS roles from `storage.services`).
    pub roles: Vec<&'static str>,
    /// The groups it is a member of that a job places by, published as Nomad
    /// client meta on a worker.
    pub groups: Vec<String>,
    /// `systemd-boot` or `extlinux`.
    pub boot_loader: &'static str,
    /// Whether the persistent root is btrfs: backups read it from a snapshot.
    pub persist_btrfs: bool,
    pub is_member: bool,
    pub is_worker: bool,
    pub is_server: bool,
    pub is_cli: bool,
    pub is_nfs_primary: bool,
    pub is_nfs_standby: bool,
    /// Role and profile modules the host imports, relative to its directory.
    pub imports: Vec<String>,
    /// Hand-written modules, relative to the host's directory.
    pub extra_modules: Vec<String>,
    /// Plain option values: option path → value.
    pub nix: BTreeMap<String, serde_json::Value>,
    /// deploy-rs node settings, with deploy-rs key names.
    pub deploy: BTreeMap<String, serde_json::Value>,
    /// Systems a workstation builds for through binfmt emulation.
    pub emulated_systems: Vec<&'static str>,
    /// Shared storage mounts, sorted by mount point.
    pub mounts: Vec<Mount>,
    /// Ports the host opens and who may reach each, by port.
    pub openings: Vec<Opening>,
    /// The TCP ports among them.
    pub tcp_ports: Vec<u16>,
    /// The UDP ports among them.
    pub udp_ports: Vec<u16>,
    /// Its firewall filter, relative to its directory.
    pub firewall_file: &'static str,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ServiceView {
    /// Job, group, task and Consul service name.
    pub name: String,
    /// Docker image reference.
    pub image: String,
    /// Number of instances.
    pub count: u32,
    /// Ports by label, sorted by label.
    pub ports: Vec<PortView>,
    /// The port labels alone, for the task's `ports` list.
    pub port_labels: Vec<String>,
    /// Consul health check, when the service has a port.
    pub check: Option<CheckView>,
    /// Tags of the Consul service.
    pub tags: Vec<String>,
    /// CPU in MHz.
    pub cpu: u32,
    /// Memory in MB.
    pub memory: u32,
    /// Directory on the services share holding the service's data, when it keeps data.
    pub volume: Option<VolumeView>,
    /// Soft placement preference, when asked.
    pub affinity: Option<AffinityView>,
    /// Where it may only run, when asked.
    pub constraint: Option<ConstraintView>,
    /// Environment of the task.
    pub env: BTreeMap<String, String>,
    /// Files Nomad writes into the task from templates: the secret environment
    /// from the job's Nomad variable, the ingress' certificate.
    pub templates: Vec<TemplateView>,
    /// Arguments of the container.
    pub args: Vec<String>,
    /// Docker `volumes` entries: the data directory and the shares mounted.
    pub volumes: Vec<String>,
    /// The user the container runs as.
    pub user: Option<String>,
    /// `service`, `batch` (periodic, with `schedule`) or `system` (every worker).
    pub job_type: &'static str,
    /// A periodic job's cron schedule.
    pub schedule: Option<String>,
    /// Host devices passed into the container, as the Docker driver's `devices` takes them.
    pub devices: Vec<DeviceView>,
    /// MB the task may use beyond `memory` while the node has some to spare.
    pub memory_max: Option<u32>,
    /// The `restart`, `reschedule`, `update`, `check_restart`, `kill_timeout`
    /// and `disconnect` of the job.
    pub lifecycle: Lifecycle,
    /// Ports registered in Consul as services of their own.
    pub registrations: Vec<RegistrationView>,
    /// The name the ingress routes to it, when it has one.
    pub route: Option<String>,
    /// The task uses the host's network (the ingress), not Docker's.
    pub host_network: bool,
    /// The hosts the job is limited to, comma-separated, when it is.
    pub only_on: Option<String>,
    /// The allocation's data directory follows it to its next version.
    pub sticky_disk: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JobVariable {
    /// `nomad/jobs/<job>`.
    pub path: String,
    pub keys: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TemplateView {
    /// Relative to the task directory.
    pub destination: String,
    /// The template text.
    pub data: String,
    /// Whether the file is read as the task's environment.
    pub env: bool,
    /// Whether it reads the job's Nomad variable.
    pub secret: bool,
    /// Octal permissions, when not Nomad's default.
    pub perms: Option<&'static str>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RegistrationView {
    pub name: String,
    /// The port label.
    pub port: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DeviceView {
    /// The device on the host, e.g. `/dev/dri`.
    pub host_path: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PortView {
    pub label: String,
    /// Static host port; null for a dynamic one.
    pub number: Option<u16>,
    /// Container port, when it differs from the host port.
    pub to: Option<u16>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckView {
    /// `tcp` or `http`.
    pub kind: &'static str,
    /// Port label Consul advertises for the service: the main port.
    pub service_port: String,
    /// Port label checked, when it is not the advertised one.
    pub port: Option<String>,
    /// HTTP path (http checks only).
    pub path: Option<String>,
    pub interval: String,
    pub timeout: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VolumeView {
    /// Directory on the host (under the services mount).
    pub source: String,
    /// Mount point inside the container.
    pub destination: String,
    /// The Docker `volumes` entry, `source:destination`.
    pub docker: String,
}

/// Where a job may only run: a Nomad `constraint`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConstraintView {
    /// Node attribute, a Nomad runtime interpolation such as `${meta.roles}`.
    pub attribute: String,
    pub operator: &'static str,
    pub value: String,
}

/// A soft placement preference: a Nomad `affinity`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AffinityView {
    /// Node attribute, a Nomad runtime interpolation such as `${meta.roles}`.
    pub attribute: String,
    pub operator: &'static str,
    pub value: String,
    pub weight: i8,
}

/// Builds the view of the whole cluster.
pub fn build(cluster: &Cluster) -> ClusterView {
    let placed = placed_groups(cluster);
    let ((hosts, services), topology) =
        rayon::join(|| own_views(cluster, &placed), || topology::build(cluster));
    ClusterView {
        settings: cluster.settings.clone(),
        admin: AdminView {
            user: cluster.admin_user.clone(),
            ssh_keys: cluster.admin_ssh_keys.clone(),
        },
        hosts,
        quorum: cluster.quorum.clone(),
        quorum_size: cluster.quorum.len(),
        retry_join: cluster
            .quorum
            .iter()
            .map(|peer| model::url_address(&peer.address))
            .collect(),
        nfs: cluster
            .nfs
            .as_ref()
            .map(|nfs| nfs_view(nfs, &cluster.services)),
        cifs: cluster.cifs.as_ref().map(cifs_view),
        kopia: cluster.kopia.clone(),
        published: published_ports(cluster),
        dynamic_ports: [firewall::DYNAMIC_PORTS.0, firewall::DYNAMIC_PORTS.1],
        job_variables: job_variables(cluster),
        topology,
        max_kill_timeout: model::lifecycle::max_kill_timeout(
            cluster.services.iter().map(|service| &service.lifecycle),
        ),
        control_ports: firewall::control_ports(),
        persisted_state: model::persistence::PERSISTED_STATE,
        security: cluster.security.clone(),
        secrets: model::secrets::catalogue(cluster),
        sources: cluster.sources.clone(),
        services,
        sops: cluster.sops.as_ref().map(sops_view),
        systems: cluster
            .systems
            .iter()
            .map(|system| system.as_str())
            .collect(),
        role_modules: role_modules(cluster),
        nfs_primary_meta: model::NFS_PRIMARY_META,
        roles_meta: model::ROLES_META,
        groups_meta: model::GROUPS_META,
        places_by_group: !placed.is_empty(),
        consul_dns_port: model::CONSUL_DNS_PORT,
        node_exporter_port: firewall::NODE_EXPORTER_PORT,
        prometheus_port: firewall::PROMETHEUS_PORT,
        docker_bridge_ip: model::DOCKER_BRIDGE_IP,
        cifs_credentials_secret: model::CIFS_CREDENTIALS_SECRET,
        secret_files: SecretFilesView::new(),
    }
}

/// Each host's and each service's view: they stand alone, so they are made in parallel.
fn own_views(cluster: &Cluster, placed: &BTreeSet<&str>) -> (Vec<HostView>, Vec<ServiceView>) {
    rayon::join(
        || {
            cluster
                .hosts
                .par_iter()
                .map(|host| host_view(host, placed))
                .collect()
        },
        || cluster.services.par_iter().map(service_view).collect(),
    )
}

fn cifs_view(cifs: &model::CifsShares) -> CifsView {
    CifsView {
        server: cifs.server.clone(),
        shares: cifs
            .shares
            .iter()
            .map(|(name, mount)| CifsShareView {
                name: name.clone(),
                mount: mount.clone(),
            })
            .collect(),
    }
}

fn sops_view(sops: &model::Sops) -> SopsView {
    let rule = |file: &str, host_keys: &[&String]| SopsRuleView {
        path_regex: format!("(^|/)secrets/{}$", regex_escape(&format!("{file}.yaml"))),
        keys: sops
            .admin_keys
            .iter()
            .chain(host_keys.iter().copied())
            .cloned()
            .collect(),
    };
    let all_hosts: Vec<&String> = sops.host_keys.iter().map(|(_, key)| key).collect();
    SopsView {
        hosts: sops
            .host_keys
            .iter()
            .map(|(name, key)| rule(name, &[key]))
            .collect(),
        common: rule(model::COMMON_SECRETS_FILE, &all_hosts),
        members: rule(
            model::MEMBERS_SECRETS_FILE,
            &sops.member_keys.iter().collect::<Vec<_>>(),
        ),
        quorum: rule(
            model::QUORUM_SECRETS_FILE,
            &sops.quorum_keys.iter().collect::<Vec<_>>(),
        ),
        nfs: sops
            .nfs_host_keys
            .as_ref()
            .map(|keys| rule(model::NFS_SECRETS_FILE, &keys.iter().collect::<Vec<_>>())),
    }
}

/// `text` as an RE2 pattern matching exactly it.
fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn nfs_view(nfs: &model::Nfs, services: &[Service]) -> NfsView {
    let (parent, name) = nfs.export.rsplit_once('/').unwrap_or(("", &nfs.export));
    NfsView {
        primary: nfs.primary.clone(),
        standbys: nfs.standbys.clone(),
        export: nfs.export.clone(),
        export_parent: if parent.is_empty() {
            "/".to_owned()
        } else {
            parent.to_owned()
        },
        export_name: name.to_owned(),
        standby_dir: nfs.standby_dir(),
        mount: nfs.mount.clone(),
        consul_service: nfs.consul_service.clone(),
        every_minutes: nfs.every_minutes,
        replication_keys: nfs.replication_keys.clone(),
        clients: nfs.clients.clone(),
        export_unit: model::NFS_EXPORT_UNIT,
        generation: nfs.generation,
        mount_unit: nfs.mount_unit(),
        automount_unit: nfs.automount_unit(),
        first_deployment: nfs.first_deployment,
        set_aside_days: nfs.set_aside_days,
        data_dirs: services
            .iter()
            .filter_map(|service| {
                let data = service.data.as_ref()?;
                Some(DataDirView {
                    name: service.name.clone(),
                    owner: data
                        .owner
                        .map_or_else(|| "-".to_owned(), |uid| uid.to_string()),
                })
            })
            .collect(),
    }
}

/// Every module file some host imports. A desktop also needs the workstation
/// module, which `desktop-node.nix` imports.
fn role_modules(cluster: &Cluster) -> Vec<String> {
    let mut files: Vec<&'static str> = cluster
        .hosts
        .iter()
        .flat_map(Host::generated_modules)
        .filter(|module| ![paths::GLOBAL_MODULES, paths::MINIMAL_MODULE].contains(module))
        .collect();
    if files.contains(&Profile::Desktop.module()) {
        files.push(Profile::Workstation.module());
    }
    files.sort_unstable();
    files.dedup();
    files.into_iter().map(str::to_owned).collect()
}

fn host_view(host: &Host, placed: &BTreeSet<&str>) -> HostView {
    let imports = host
        .generated_modules()
        .map(paths::from_host_file)
        .collect();
    let openings = firewall::openings(host);
    let ports = |wanted: fn(&Opening) -> bool| {
        openings
            .iter()
            .filter(|opening| wanted(opening))
            .map(|opening| opening.port)
            .collect()
    };
    HostView {
        name: host.name.clone(),
        dir: paths::host_dir(&host.name),
        system: host.system.as_str(),
        address: host.address.clone(),
        url_address: model::url_address(&host.address),
        bind_ip: host.bind_ip.clone(),
        profile: host.profile.map(Profile::as_str),
        roles: host.roles.iter().map(|role| role.as_str()).collect(),
        groups: host
            .groups
            .iter()
            .filter(|group| placed.contains(group.as_str()))
            .cloned()
            .collect(),
        boot_loader: host.boot_loader.as_str(),
        persist_btrfs: host.persist_filesystem == PersistFilesystem::Btrfs,
        is_member: host.has(Role::ClusterMember),
        is_worker: host.has(Role::NomadWorker),
        is_server: host.has(Role::NomadServer),
        is_cli: host.has(Role::ClusterTools),
        is_nfs_primary: host.has(Role::NfsServicesServer),
        is_nfs_standby: host.has(Role::NfsServicesStandby),
        imports,
        extra_modules: host.modules.clone(),
        nix: host.nix.clone(),
        deploy: host
            .deploy
            .iter()
            .map(|setting| (setting.key.clone(), setting.value.clone()))
            .collect(),
        emulated_systems: host
            .emulated_systems
            .iter()
            .map(|system| system.as_str())
            .collect(),
        mounts: host.mounts.clone(),
        tcp_ports: ports(|opening| opening.tcp),
        udp_ports: ports(|opening| opening.udp),
        openings,
        firewall_file: paths::FIREWALL_FILE,
    }
}

fn service_view(service: &Service) -> ServiceView {
    ServiceView {
        name: service.name.clone(),
        image: service.image.clone(),
        count: service.count,
        ports: service
            .ports
            .iter()
            .map(|port| PortView {
                label: port.label.clone(),
                number: port.host,
                to: port.container,
            })
            .collect(),
        port_labels: service
            .ports
            .iter()
            .map(|port| port.label.clone())
            .collect(),
        check: service.check.as_ref().map(check_view),
        tags: service.tags.clone(),
        cpu: service.cpu,
        memory: service.memory,
        volume: service.data.as_ref().map(|data| VolumeView {
            source: data.host_path.clone(),
            destination: data.destination.clone(),
            docker: format!("{}:{}", data.host_path, data.destination),
        }),
        affinity: service.placement.as_ref().map(affinity_view),
        constraint: service.requirement.as_ref().map(constraint_view),
        env: service.env.clone(),
        templates: templates(service),
        args: service.args.clone(),
        volumes: docker_volumes(service),
        user: service.user.clone(),
        job_type: service.kind.as_str(),
        schedule: service.schedule.clone(),
        devices: service
            .devices
            .iter()
            .map(|path| device_view(path))
            .collect(),
        memory_max: service.memory_max,
        lifecycle: service.lifecycle.clone(),
        registrations: service
            .registrations
            .iter()
            .map(registration_view)
            .collect(),
        route: service.route.clone(),
        host_network: service.ingress.is_some(),
        only_on: service
            .ingress
            .as_ref()
            .filter(|task| !task.hosts.is_empty())
            .map(|task| task.hosts.join(",")),
        sticky_disk: service
            .ingress
            .as_ref()
            .is_some_and(|task| task.sticky_disk),
    }
}

fn check_view(check: &model::Check) -> CheckView {
    CheckView {
        kind: check.kind.as_str(),
        service_port: check.service_port.clone(),
        port: (check.port != check.service_port).then(|| check.port.clone()),
        path: check.path.clone(),
        interval: check.interval.clone(),
        timeout: check.timeout.clone(),
    }
}

fn device_view(path: &str) -> DeviceView {
    DeviceView {
        host_path: path.to_owned(),
    }
}

fn registration_view(registration: &model::Registration) -> RegistrationView {
    RegistrationView {
        name: registration.name.clone(),
        port: registration.port.clone(),
        tags: registration.tags.clone(),
    }
}

/// The Nomad variables the jobs read, each with its keys.
fn job_variables(cluster: &Cluster) -> Vec<JobVariable> {
    cluster
        .services
        .iter()
        .filter_map(|service| {
            let keys = service.variable_keys();
            (!keys.is_empty()).then(|| JobVariable {
                path: model::job_variable(&service.name),
                keys: keys.into_iter().map(str::to_owned).collect(),
            })
        })
        .collect()
}

/// The secret environment, then the job's own files.
fn templates(service: &Service) -> Vec<TemplateView> {
    let secret_env = secret_env_template(service).map(|data| TemplateView {
        destination: "secrets/env".to_owned(),
        data,
        env: true,
        secret: true,
        perms: None,
    });
    let files = service
        .ingress
        .iter()
        .flat_map(|task| &task.files)
        .map(|file| TemplateView {
            destination: file.destination.clone(),
            data: file.data.clone(),
            env: false,
            secret: file.variable_key.is_some(),
            perms: file.perms,
        });
    secret_env.into_iter().chain(files).collect()
}

/// `host:container[:ro]` for the data directory and each share mounted.
fn docker_volumes(service: &Service) -> Vec<String> {
    let data = service
        .data
        .iter()
        .map(|data| format!("{}:{}", data.host_path, data.destination));
    let shares = service.mounts.iter().map(|mount| {
        let mode = if mount.read_only { ":ro" } else { "" };
        format!("{}:{}{mode}", mount.host_path, mount.destination)
    });
    data.chain(shares).collect()
}

/// A consul-template body that writes `NAME=value` lines from the job's Nomad
/// variable, which Nomad lets every job read at `nomad/jobs/<job>`.
fn secret_env_template(service: &Service) -> Option<String> {
    if service.secret_env.is_empty() {
        return None;
    }
    // The variable is waited for until it exists; each value is quoted for
    // Nomad's env-file parser, which would cut a bare one at `#`, quotes or spaces.
    let mut body = format!(
        "{{{{ $secrets := nomadVar \"{}\" }}}}\n",
        model::job_variable(&service.name)
    );
    for name in &service.secret_env {
        let _ = writeln!(body, "{name}={{{{ $secrets.{name} | toJSON }}}}");
    }
    Some(body)
}

/// The host ports Docker publishes. The ingress listens on the host's own
/// network: its ports are opened on its hosts, not published.
fn published_ports(cluster: &Cluster) -> Published {
    let docker_jobs = cluster
        .services
        .iter()
        .filter(|service| service.ingress.is_none());
    Published::of(docker_jobs.flat_map(|service| {
        service
            .ports
            .iter()
            .filter_map(|port| Some((port.host?, port.expose)))
    }))
}

/// The groups some job prefers or requires: workers publish these, and only
/// these, so a change to any other group leaves their configuration alone.
fn placed_groups(cluster: &Cluster) -> BTreeSet<&str> {
    cluster
        .services
        .iter()
        .flat_map(|service| service.placement.iter().chain(&service.requirement))
        .filter_map(|placement| match placement {
            Placement::Group(group) => Some(group.as_str()),
            _ => None,
        })
        .collect()
}

fn constraint_view(placement: &Placement) -> ConstraintView {
    let (attribute, operator, value) = placement_terms(placement);
    ConstraintView {
        attribute,
        operator,
        value,
    }
}

fn affinity_view(placement: &Placement) -> AffinityView {
    let (attribute, operator, value) = placement_terms(placement);
    AffinityView {
        attribute,
        operator,
        value,
        weight: 100,
    }
}

/// The node attribute, operator and value that match a placement.
fn placement_terms(placement: &Placement) -> (String, &'static str, String) {
    match placement {
        Placement::NfsPrimary => (
            format!("${{meta.{}}}", model::NFS_PRIMARY_META),
            "=",
            "true".to_owned(),
        ),
        Placement::Role(role) => (
            format!("${{meta.{}}}", model::ROLES_META),
            "set_contains",
            role.as_str().to_owned(),
        ),
        Placement::Host(name) => ("${node.unique.name}".to_owned(), "=", name.clone()),
        Placement::Group(group) => (
            format!("${{meta.{}}}", model::GROUPS_META),
            "set_contains",
            group.clone(),
        ),
    }
}
