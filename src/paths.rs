//! The output's layout: which file holds what, and how files name each other.
//! Rendering, the view model and `gen explain` read it from here, and only here.

/// The directory of the global modules every host imports.
pub const GLOBAL_MODULES: &str = "common/global";
/// The module every managed host imports.
pub const MINIMAL_MODULE: &str = "common/minimal-node.nix";
/// The flake, at the root of the output.
pub const FLAKE: &str = "flake.nix";
/// The first-boot runbook, at the root of the output.
pub const BOOTSTRAP: &str = "BOOTSTRAP.md";
/// The sops creation rules, at the root of the output.
pub const SOPS_RULES: &str = ".sops.yaml";

/// The cluster explained, with its topology diagram.
pub const CLUSTER_DOC: &str = "docs/CLUSTER.md";
/// The topology diagram, for Mermaid and for Graphviz.
pub const TOPOLOGY_MERMAID: &str = "docs/topology.mmd";
pub const TOPOLOGY_DOT: &str = "docs/topology.dot";

/// Files rendered once for the whole cluster, each by the template of the same
/// name, besides the role modules; `.sops.yaml` and the backup module only when used.
pub const CLUSTER_FILES: [&str; 11] = [
    FLAKE,
    BOOTSTRAP,
    CLUSTER_DOC,
    TOPOLOGY_MERMAID,
    TOPOLOGY_DOT,
    FIREWALL_SETS,
    "common/global/default.nix",
    "common/global/firewall.nix",
    "common/global/nix.nix",
    "common/global/sops.nix",
    "common/global/users.nix",
];
/// The services share's state transitions, read by both NFS roles' modules.
pub const NFS_SCRIPT: &str = "common/nfs-services.sh";
/// The failover runbook, rendered when there is a services share.
pub const NFS_RUNBOOK: &str = "docs/NFS_FAILOVER.md";
/// The backup module, rendered when the inventory configures backups.
pub const BACKUP_MODULE: &str = "common/global/backup.nix";

/// A host's directory: its generated file and the files its owner writes beside it.
pub fn host_dir(host: &str) -> String {
    format!("hosts/{host}")
}

/// A host's generated configuration.
pub fn host_file(host: &str) -> String {
    format!("{}/default.nix", host_dir(host))
}

/// The hardware configuration a host's owner writes; the host file imports it when present.
pub fn hardware_file(host: &str) -> String {
    format!("{}/hardware-configuration.nix", host_dir(host))
}

/// The nftables chains every host's filter sends its ports to: one per kind of
/// source, and the published container ports.
pub const FIREWALL_SETS: &str = "common/firewall-sets.nft";
/// A host's nftables filter, beside its generated file.
pub const FIREWALL_FILE: &str = "firewall.nft";

/// A host's nftables filter: who may reach the ports it opens.
pub fn firewall_file(host: &str) -> String {
    format!("{}/{FIREWALL_FILE}", host_dir(host))
}

/// A sops secrets file, by name without `.yaml`: a host's own, or a shared one.
pub fn secrets_file(name: &str) -> String {
    format!("secrets/{name}.yaml")
}

/// A service's Nomad job.
pub fn job_file(service: &str) -> String {
    format!("services/{service}.hcl")
}

/// How a host file, two directories down, names the output file at `path`.
pub fn from_host_file(path: &str) -> String {
    format!("../../{path}")
}

/// The flake reference `deploy` takes for `host` when the output is `out`:
/// `./generated#c1`.
pub fn deploy_target(out: &std::path::Path, host: &str) -> String {
    let out = out.display().to_string();
    let out = out.trim_end_matches('/');
    if out.starts_with('/') || out.starts_with('.') {
        format!("{out}#{host}")
    } else {
        format!("./{out}#{host}")
    }
}
