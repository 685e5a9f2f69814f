//! The templates compiled into the binary, so an installed `gen` works anywhere.

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// `(name, source)` of every embedded template; the name is its path under `templates/`.
pub const TEMPLATES: &[(&str, &str)] = embedded![
    "flake.nix",
    "common/global/default.nix",
    "common/global/backup.nix",
    "common/global/nix.nix",
    "common/global/sops.nix",
    "common/global/users.nix",
    "common/minimal-node.nix",
    "common/cluster-member.nix",
    "common/nomad-worker.nix",
    "common/nomad-server.nix",
    "common/cluster-tools.nix",
    "common/workstation-node.nix",
    "common/desktop-node.nix",
    "common/nfs-services-server.nix",
    "common/nfs-services-standby.nix",
    "hosts/default.nix",
    "services/job.hcl",
    "sops.yaml",
];

/// The embedded template called `name`, with a `'static` name.
pub fn named(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .map(|(known, _)| *known)
        .find(|known| *known == name)
}
