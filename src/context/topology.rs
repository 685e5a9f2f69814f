//! The cluster as a graph, for its diagrams: hosts grouped by what they do,
//! the jobs and where they may run, the share's replication and the backups.
//! One view feeds both the Mermaid and the Graphviz templates.

use schemars::JsonSchema;
use serde::Serialize;

use crate::inventory::{Placement, Role};
use crate::model::{self, Cluster};

#[derive(Debug, Serialize, JsonSchema)]
pub struct TopologyView {
    /// Hosts, by group; a host is in one group.
    pub groups: Vec<GroupView>,
    /// The group of the Nomad jobs.
    pub jobs_group: &'static str,
    /// The Nomad jobs.
    pub jobs: Vec<NodeView>,
    pub edges: Vec<EdgeView>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct GroupView {
    /// An identifier safe in Mermaid and DOT.
    pub id: String,
    pub label: String,
    pub nodes: Vec<NodeView>,
}

impl GroupView {
    /// The node Graphviz draws an edge of the whole group from or to.
    fn anchor(&self) -> String {
        self.nodes
            .first()
            .map(|node| node.id.clone())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NodeView {
    /// An identifier safe in Mermaid and DOT.
    pub id: String,
    pub label: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EdgeView {
    /// A node, or a group (its `id`), as Mermaid links them.
    pub from: String,
    pub to: String,
    /// The nodes Graphviz links: a group's first node, clipped to the group.
    pub dot_from: String,
    pub dot_to: String,
    /// `cluster_<group>` when the edge leaves or reaches a whole group.
    pub dot_tail: Option<String>,
    pub dot_head: Option<String>,
    pub label: String,
    /// `solid`, `dashed` (a preference or where data lives) or `bold` (replication).
    pub style: &'static str,
}

/// Group identifiers start so; host, job and outside node identifiers do not.
const GROUP_PREFIX: &str = "g_";
/// The groups hosts fall into, in order: the first that matches holds a host.
const WORKERS: &str = "g_workers";
const MEMBERS: &str = "g_members";
const STANDALONE: &str = "g_standalone";
const OUTSIDE: &str = "g_outside";
const JOBS: &str = "g_jobs";

pub fn build(cluster: &Cluster) -> TopologyView {
    let host_id = |name: &str| {
        cluster
            .hosts
            .iter()
            .position(|host| host.name == name)
            .map_or_else(|| outside_id(cluster, name), |index| format!("h{index}"))
    };
    let groups = groups(cluster);
    let mut links = Vec::new();
    jobs_edges(cluster, &host_id, &mut links);
    storage_edges(cluster, &groups, &host_id, &mut links);
    // A group with no host in it is not drawn, nor its edges.
    let endpoint = |id: &str| match groups.iter().find(|group| group.id == id) {
        Some(group) => Some((group.anchor(), Some(format!("cluster_{id}")))),
        None if id.starts_with(GROUP_PREFIX) => None,
        None => Some((id.to_owned(), None)),
    };
    let edges = links
        .into_iter()
        .filter_map(|link| {
            let (dot_from, dot_tail) = endpoint(&link.from)?;
            let (dot_to, dot_head) = endpoint(&link.to)?;
            Some(EdgeView {
                from: link.from,
                to: link.to,
                dot_from,
                dot_to,
                dot_tail,
                dot_head,
                label: link.label,
                style: link.style,
            })
        })
        .collect();
    TopologyView {
        groups,
        jobs_group: JOBS,
        jobs: cluster
            .services
            .iter()
            .enumerate()
            .map(|(index, service)| NodeView {
                id: format!("j{index}"),
                label: service.name.clone(),
            })
            .collect(),
        edges,
    }
}

fn groups(cluster: &Cluster) -> Vec<GroupView> {
    let group_of = |host: &model::Host| {
        if host.has(Role::NomadWorker) {
            WORKERS
        } else if host.has(Role::ClusterMember) {
            MEMBERS
        } else {
            STANDALONE
        }
    };
    let label_of = |host: &model::Host| {
        let mut label = format!("{} ({})", host.name, host.address);
        if host.has(Role::NomadServer) {
            label.push_str(", quorum");
        }
        label
    };
    let mut groups: Vec<GroupView> = [
        (WORKERS, "Nomad workers"),
        (MEMBERS, "Other cluster members"),
        (STANDALONE, "Standalone hosts"),
    ]
    .into_iter()
    .map(|(id, label)| GroupView {
        id: id.to_owned(),
        label: label.to_owned(),
        nodes: cluster
            .hosts
            .iter()
            .enumerate()
            .filter(|(_, host)| group_of(host) == id)
            .map(|(index, host)| NodeView {
                id: format!("h{index}"),
                label: label_of(host),
            })
            .collect(),
    })
    .collect();
    groups.push(GroupView {
        id: OUTSIDE.to_owned(),
        label: "Outside gen".to_owned(),
        nodes: outside(cluster)
            .into_iter()
            .enumerate()
            .map(|(index, peer)| NodeView {
                id: format!("x{index}"),
                label: format!("{} ({})", peer.name, peer.address),
            })
            .collect(),
    });
    groups.retain(|group| !group.nodes.is_empty());
    groups
}

/// The unmanaged hosts the cluster uses: the CIFS and Kopia servers.
fn outside(cluster: &Cluster) -> Vec<&model::Peer> {
    let mut peers: Vec<&model::Peer> = cluster
        .cifs
        .iter()
        .map(|cifs| &cifs.server)
        .chain(cluster.kopia.iter().map(|kopia| &kopia.server))
        .filter(|peer| cluster.hosts.iter().all(|host| host.name != peer.name))
        .collect();
    peers.sort_by(|a, b| a.name.cmp(&b.name));
    peers.dedup_by(|a, b| a.name == b.name);
    peers
}

fn outside_id(cluster: &Cluster, name: &str) -> String {
    outside(cluster)
        .iter()
        .position(|peer| peer.name == name)
        .map_or_else(String::new, |index| format!("x{index}"))
}

/// Where each job may run: the hosts it requires or prefers, the ingress'
/// hosts, or any worker; and the share its data is on.
fn jobs_edges(cluster: &Cluster, host_id: &dyn Fn(&str) -> String, edges: &mut Vec<Link>) {
    for (index, service) in cluster.services.iter().enumerate() {
        let job = format!("j{index}");
        let (hosts, label, style): (Vec<&model::Host>, _, _) =
            match (&service.requirement, &service.placement, &service.ingress) {
                (Some(required), _, _) => (hosts_preferred(cluster, required), "only on", "solid"),
                (None, Some(placement), _) => {
                    (hosts_preferred(cluster, placement), "prefers", "dashed")
                }
                (None, None, Some(_)) => (
                    cluster
                        .hosts
                        .iter()
                        .filter(|host| !host.ingress_ports.is_empty())
                        .collect(),
                    "runs on",
                    "solid",
                ),
                (None, None, None) => (Vec::new(), "", ""),
            };
        if hosts.is_empty() {
            let label = match service.kind {
                model::lifecycle::JobKind::System => "on every worker",
                _ => "on any worker",
            };
            edges.push(edge(&job, WORKERS, label, "solid"));
        }
        for host in hosts {
            edges.push(edge(&job, &host_id(&host.name), label, style));
        }
        if let (Some(required), Some(placement)) = (&service.requirement, &service.placement) {
            for host in hosts_preferred(cluster, placement) {
                if host.is_preferred_by(required) {
                    edges.push(edge(&job, &host_id(&host.name), "prefers", "dashed"));
                }
            }
        }
        if let (Some(_), Some(nfs)) = (&service.data, &cluster.nfs) {
            edges.push(edge(&job, &host_id(&nfs.primary.name), "data", "dashed"));
        }
    }
}

fn hosts_preferred<'a>(cluster: &'a Cluster, placement: &Placement) -> Vec<&'a model::Host> {
    cluster
        .hosts
        .iter()
        .filter(|host| host.has(Role::NomadWorker) && host.is_preferred_by(placement))
        .collect()
}

/// The share's replication to each standby, and every group's backups.
fn storage_edges(
    cluster: &Cluster,
    groups: &[GroupView],
    host_id: &dyn Fn(&str) -> String,
    edges: &mut Vec<Link>,
) {
    if let Some(nfs) = &cluster.nfs {
        let label = format!("replicates every {} min", nfs.every_minutes);
        for standby in &nfs.standbys {
            edges.push(edge(
                &host_id(&nfs.primary.name),
                &host_id(&standby.name),
                &label,
                "bold",
            ));
        }
    }
    if let Some(kopia) = &cluster.kopia {
        let server = host_id(&kopia.server.name);
        let label = format!("backs up ({})", kopia.every);
        // A managed server's own group is not drawn backing up into itself.
        let apart = |group: &&GroupView| {
            group.id != OUTSIDE && group.nodes.iter().all(|node| node.id != server)
        };
        for group in groups.iter().filter(apart) {
            edges.push(edge(&group.id, &server, &label, "dashed"));
        }
    }
}

/// An edge between two nodes or groups, by id.
struct Link {
    from: String,
    to: String,
    label: String,
    style: &'static str,
}

fn edge(from: &str, to: &str, label: &str, style: &'static str) -> Link {
    Link {
        from: from.to_owned(),
        to: to.to_owned(),
        label: label.to_owned(),
        style,
    }
}
