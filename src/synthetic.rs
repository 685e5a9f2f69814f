//! Synthetic inventories for benchmarks and scaling tests: deterministic, valid,
//! and shaped like the example cluster at any size.
//!
//! `hosts` managed and unmanaged hosts and as many services: three quorum
//! members, an NFS primary and standby, workers, `cluster-tools` hosts,
//! desktops, standalone and aarch64 hosts, one storage box; services with
//! static ports, data, checks, environment and placement preferences.

use std::fmt::Write;

/// Static ports the cluster keeps for itself, which no service may take.
const TAKEN_PORTS: [u16; 6] = [2049, 4646, 4647, 4648, 8300, 8500];

/// The inventory text of a cluster of `hosts` hosts and as many services (at least 8).
pub fn inventory(hosts: usize) -> String {
    let hosts = hosts.max(8);
    let mut text = String::from(HEADER);
    text.push_str("hosts:\n");
    for index in 0..hosts - 1 {
        host(&mut text, index);
    }
    text.push_str("  box:\n    managed: false\n    address: 10.255.255.254\n");
    text.push_str("services:\n");
    for (index, port) in static_ports().take(hosts).enumerate() {
        service(&mut text, index, port);
    }
    text
}

const HEADER: &str = "cluster:
  name: bench
  domain: bench.lan
  state_version: \"25.05\"
  nixpkgs: github:NixOS/nixpkgs/nixos-25.05
  time_zone: Europe/Berlin
  admin:
    user: admin
    ssh_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcWBI9B5rF0r9ckzCfBZ4Zy3ZzT8YJxkdQ2cXaMPL8m admin@laptop
  deploy:
    magic_rollback: true
storage:
  services:
    primary: w0003
    standbys: [w0004]
  cifs:
    server: box
    shares:
      media: /data/media
backup:
  kopia:
    server: box
    server_cert_fingerprint: 3f2a9c1e7b8d4f6a0c5e2b9d7a1f3c8e6b4d2a0f9e7c5b3a1d8f6e4c2b0a9d7e
";

/// Host number `index`: the first three are the quorum, the next two hold the
/// services share; then a repeating mix of workers and other kinds of host.
fn host(text: &mut String, index: usize) {
    let roles = match index {
        0..=2 => "[cluster-member, nomad-worker, nomad-server]",
        3 | 4 => "[cluster-member, nomad-worker]",
        _ => match index % 10 {
            0 => "[cluster-member, cluster-tools]",
            1 => "[cluster-member, cluster-tools, monitoring-node]",
            2 | 3 => "[]",
            _ => "[cluster-member, nomad-worker]",
        },
    };
    let _ = writeln!(
        text,
        "  w{index:04}:\n    address: 10.{}.{}.{}\n    roles: {roles}",
        index / 62_500 % 250 + 1,
        index / 250 % 250,
        index % 250 + 1
    );
    if index > 4 && index % 10 == 1 {
        text.push_str("    profile: desktop\n");
    }
    if index > 4 && index % 10 == 2 {
        text.push_str("    system: aarch64-linux\n    boot_loader: extlinux\n    deploy: { remote_build: true }\n");
    }
}

/// Static ports a service may take: from 1024, skipping the cluster's own and
/// Nomad's dynamic range, then above it.
fn static_ports() -> impl Iterator<Item = u16> {
    (1024..20_000)
        .chain(32_001..=65_535)
        .filter(|port| !TAKEN_PORTS.contains(port) && !(8300..=8302).contains(port))
}

fn service(text: &mut String, index: usize, port: u16) {
    let _ = writeln!(
        text,
        "  s{index:04}:\n    image: ghcr.io/bench/app{}:1.{}.0\n    ports: {{ http: {port} }}",
        index % 7,
        index % 13
    );
    match index % 4 {
        0 => text.push_str("    data: true\n    data_path: /var/lib/app\n"),
        1 => text.push_str("    check: { type: http, path: /health }\n"),
        2 => text.push_str("    prefer: nomad-server\n    env: { LOG_LEVEL: info, MODE: bench }\n"),
        _ => text.push_str("    resources: { cpu: 200, memory: 128 }\n    args: [\"--verbose\"]\n"),
    }
}
