//! The cluster as a graph, for its diagrams: hosts grouped by what they do,
//! the jobs and where they may run, the share's replication and the backups.
//! One view feeds both the Mermaid and the Graphviz templates.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    let index = Index::new(cluster);
    let groups = groups(cluster);
    let mut links = Vec::new();
    jobs_edges(cluster, &index, &mut links);
    storage_edges(cluster, &groups, &index, &mut links);
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

/// Each node's id by name, and the workers each kind of placement points at,
/// found in one pass over the hosts: the edges of every job are then found in
/// time linear in the hosts, jobs and edges, not the hosts times the jobs.
struct Index<'a> {
    ids: HashMap<&'a str, String>,
    workers_by_name: HashMap<&'a str, &'a model::Host>,
    workers_by_role: BTreeMap<Role, Vec<&'a model::Host>>,
    workers_by_group: HashMap<&'a str, Vec<&'a model::Host>>,
}

impl<'a> Index<'a> {
    fn new(cluster: &'a Cluster) -> Self {
        let mut index = Self {
            ids: HashMap::new(),
            workers_by_name: HashMap::new(),
            workers_by_role: BTreeMap::new(),
            workers_by_group: HashMap::new(),
        };
        for (position, peer) in outside(cluster).into_iter().enumerate() {
            index.ids.insert(&peer.name, format!("x{position}"));
        }
        for (position, host) in cluster.hosts.iter().enumerate() {
            index.ids.insert(&host.name, format!("h{position}"));
            if host.has(Role::NomadWorker) {
                index.add_worker(host);
            }
        }
        index
    }

    fn add_worker(&mut self, host: &'a model::Host) {
        self.workers_by_name.entry(&host.name).or_insert(host);
        for role in &host.roles {
            self.workers_by_role.entry(*role).or_default().push(host);
        }
        let groups: BTreeSet<&str> = host.groups.iter().map(String::as_str).collect();
        for group in groups {
            self.workers_by_group.entry(group).or_default().push(host);
        }
    }

    /// The node id of the host or outside peer called `name`; empty for neither.
    fn id(&self, name: &str) -> String {
        self.ids.get(name).cloned().unwrap_or_default()
    }

    /// The workers `placement` points at, in the inventory's order.
    fn preferred(&self, placement: &Placement) -> Vec<&'a model::Host> {
        let by_role = |role: Role| self.workers_by_role.get(&role).cloned();
        match placement {
            Placement::NfsPrimary => by_role(Role::NfsServicesServer),
            Placement::Role(role) => by_role(*role),
            Placement::Host(name) => self
                .workers_by_name
                .get(name.as_str())
                .map(|host| vec![*host]),
            Placement::Group(group) => self.workers_by_group.get(group.as_str()).cloned(),
        }
        .unwrap_or_default()
    }
}

/// Where each job may run: the hosts it requires or prefers, the ingress'
/// hosts, or any worker; and the share its data is on.
fn jobs_edges(cluster: &Cluster, index: &Index, edges: &mut Vec<Link>) {
    for (position, service) in cluster.services.iter().enumerate() {
        let job = format!("j{position}");
        let (hosts, label, style): (Vec<&model::Host>, _, _) =
            match (&service.requirement, &service.placement, &service.ingress) {
                (Some(required), _, _) => (index.preferred(required), "only on", "solid"),
                (None, Some(placement), _) => (index.preferred(placement), "prefers", "dashed"),
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
            edges.push(edge(&job, &index.id(&host.name), label, style));
        }
        if let (Some(required), Some(placement)) = (&service.requirement, &service.placement) {
            for host in index.preferred(placement) {
                if host.is_preferred_by(required) {
                    edges.push(edge(&job, &index.id(&host.name), "prefers", "dashed"));
                }
            }
        }
        if let (Some(_), Some(nfs)) = (&service.data, &cluster.nfs) {
            edges.push(edge(&job, &index.id(&nfs.primary.name), "data", "dashed"));
        }
    }
}

/// The share's replication to each standby, and every group's backups.
fn storage_edges(cluster: &Cluster, groups: &[GroupView], index: &Index, edges: &mut Vec<Link>) {
    if let Some(nfs) = &cluster.nfs {
        let label = format!("replicates every {} min", nfs.every_minutes);
        for standby in &nfs.standbys {
            edges.push(edge(
                &index.id(&nfs.primary.name),
                &index.id(&standby.name),
                &label,
                "bold",
            ));
        }
    }
    if let Some(kopia) = &cluster.kopia {
        let server = index.id(&kopia.server.name);
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
