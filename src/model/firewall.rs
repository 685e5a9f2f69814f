//! Who may reach what: the ports each role opens, and to whom. Both the NixOS
//! firewall (which opens the ports) and each host's nftables filter (which
//! limits them to their sources) are written from this one table.

use schemars::JsonSchema;
use serde::Serialize;

use super::Host;
use crate::inventory::{Expose, Role};

/// Who may send to an opened port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Every inventory host with an IP address, managed or not.
    Cluster,
    /// The cluster members.
    Members,
    /// The hosts that run jobs.
    Workers,
    /// The quorum members.
    Servers,
    /// `cluster-tools` hosts and `security.operators`.
    Operators,
    /// Any address: the ingress' ports.
    Anyone,
}

/// A port a host opens, to one kind of source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct Opening {
    pub port: u16,
    pub tcp: bool,
    pub udp: bool,
    pub from: Source,
    /// What listens there.
    pub purpose: &'static str,
}

/// Nomad's range of dynamic host ports.
pub const DYNAMIC_PORTS: (u16, u16) = (20000, 32000);
/// The Prometheus node exporter's port.
pub const NODE_EXPORTER_PORT: u16 = 9100;
/// Prometheus' port.
pub const PROMETHEUS_PORT: u16 = 9090;

const fn opening(port: u16, tcp: bool, udp: bool, from: Source, purpose: &'static str) -> Opening {
    Opening {
        port,
        tcp,
        udp,
        from,
        purpose,
    }
}

/// The ports each role opens. Consul's HTTP API and DNS, and the Consul UI,
/// listen on localhost only; WAN gossip (8302) is not used.
const OPENINGS: &[(Role, Opening)] = &[
    (
        Role::ClusterMember,
        opening(8301, true, true, Source::Members, "Consul LAN gossip"),
    ),
    (
        Role::NomadServer,
        opening(8300, true, false, Source::Members, "Consul server RPC"),
    ),
    (
        Role::NomadServer,
        opening(
            4646,
            true,
            false,
            Source::Operators,
            "Nomad HTTP API and UI",
        ),
    ),
    (
        Role::NomadServer,
        opening(
            4647,
            true,
            false,
            Source::Members,
            "Nomad RPC from clients and servers",
        ),
    ),
    (
        Role::NomadServer,
        opening(4648, true, true, Source::Servers, "Nomad server gossip"),
    ),
    (
        Role::NomadWorker,
        opening(
            4646,
            true,
            false,
            Source::Operators,
            "Nomad HTTP API: logs and exec of allocations",
        ),
    ),
    (
        Role::NomadWorker,
        opening(4647, true, false, Source::Servers, "Nomad RPC"),
    ),
    (
        Role::NfsServicesServer,
        opening(
            2049,
            true,
            false,
            Source::Workers,
            "NFS: the services share",
        ),
    ),
    (
        Role::MonitoringNode,
        opening(
            NODE_EXPORTER_PORT,
            true,
            false,
            Source::Cluster,
            "node exporter, scraped by the monitoring nodes",
        ),
    ),
    (
        Role::MonitoringNode,
        opening(
            PROMETHEUS_PORT,
            true,
            false,
            Source::Operators,
            "Prometheus",
        ),
    ),
];

/// Ports agents listen on that no role opens to other hosts.
const LOCAL_PORTS: [(u16, &str); 5] = [
    (22, "SSH"),
    (53, "DNS"),
    (8302, "Consul WAN gossip"),
    (8500, "Consul HTTP"),
    (8600, "Consul DNS"),
];

/// What of the cluster's own listens on `port`, or Nomad's dynamic range: a
/// service cannot take it.
pub fn reserved(port: u16) -> Option<&'static str> {
    OPENINGS
        .iter()
        .map(|(_, opening)| (opening.port, opening.purpose))
        .chain(LOCAL_PORTS)
        .find(|(reserved, _)| *reserved == port)
        .map(|(_, purpose)| purpose)
        .or((DYNAMIC_PORTS.0..=DYNAMIC_PORTS.1)
            .contains(&port)
            .then_some("Nomad's dynamic ports"))
}

/// Every port some role opens, sorted.
pub fn control_ports() -> Vec<u16> {
    let mut ports: Vec<u16> = OPENINGS.iter().map(|(_, opening)| opening.port).collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// The ports `host` opens, each once, by port.
pub fn openings(host: &Host) -> Vec<Opening> {
    let ingress = host
        .ingress_ports
        .iter()
        .map(|&port| opening(port, true, false, Source::Anyone, "the ingress (Traefik)"));
    let mut openings: Vec<Opening> = OPENINGS
        .iter()
        .filter(|(role, _)| host.has(*role))
        .map(|(_, opening)| opening.clone())
        .chain(ingress)
        .collect();
    openings.sort();
    openings.dedup_by_key(|opening| opening.port);
    openings
}

/// The static host ports of the services, by who may reach them.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Published {
    /// Reachable from the inventory's hosts only.
    pub cluster: Vec<u16>,
    /// Reachable from the host running the task and its containers only.
    pub host: Vec<u16>,
    /// Reachable from anywhere.
    pub lan: Vec<u16>,
}

impl Published {
    pub fn of(ports: impl IntoIterator<Item = (u16, Expose)>) -> Self {
        let mut published = Self::default();
        for (port, expose) in ports {
            match expose {
                Expose::Cluster => published.cluster.push(port),
                Expose::Host => published.host.push(port),
                Expose::Lan => published.lan.push(port),
            }
        }
        for list in [
            &mut published.cluster,
            &mut published.host,
            &mut published.lan,
        ] {
            list.sort_unstable();
            list.dedup();
        }
        published
    }
}
