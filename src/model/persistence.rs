//! What survives a reboot on hosts whose root is wiped: the state of each
//! service a host enables, by the option that enables it. The template turns
//! each row into `lib.optionals config.<option> [ <directories> ]`, so a host
//! persists exactly what it runs, whether gen's modules or its own enable it.

use schemars::JsonSchema;
use serde::Serialize;

/// Directories to keep while an option is on.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PersistedState {
    /// A boolean option path, e.g. `services.tailscale.enable`.
    pub option: &'static str,
    /// Absolute directories its service keeps state in.
    pub directories: &'static [&'static str],
}

const fn state(option: &'static str, directories: &'static [&'static str]) -> PersistedState {
    PersistedState {
        option,
        directories,
    }
}

/// The table, in the order the directories are listed.
pub const PERSISTED_STATE: &[PersistedState] = &[
    state("services.consul.enable", &["/var/lib/consul"]),
    state("services.nomad.enable", &["/var/lib/nomad"]),
    state("virtualisation.docker.enable", &["/var/lib/docker"]),
    // The node's identity on the tailnet: without it every boot is a new node.
    state("services.tailscale.enable", &["/var/lib/tailscale"]),
    // Saved Wi-Fi and VPN connections, and the leases and state of the rest.
    state(
        "networking.networkmanager.enable",
        &[
            "/etc/NetworkManager/system-connections",
            "/var/lib/NetworkManager",
        ],
    ),
    state("hardware.bluetooth.enable", &["/var/lib/bluetooth"]),
    state("services.fwupd.enable", &["/var/lib/fwupd"]),
];
