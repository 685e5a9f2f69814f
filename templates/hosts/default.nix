{ lib, ... }:
{
  imports = [
{%- for module in host.imports %}
    {{ module | nix_path }}
{%- endfor %}
{%- for module in host.extra_modules %}
    {{ module | nix_path }}
{%- endfor %}
  ]
  # Written by nixos-generate-config and kept beside this file.
  ++ lib.optional (builtins.pathExists ./hardware-configuration.nix) ./hardware-configuration.nix;

  networking.hostName = {{ host.name | nix }};
  sops.defaultSopsFile = lib.mkIf (builtins.pathExists {{ ("../../secrets/" ~ host.name ~ ".yaml") | nix_path }}) {{ ("../../secrets/" ~ host.name ~ ".yaml") | nix_path }};
  cluster.node.bootLoader = {{ host.boot_loader | nix }};
{%- if cluster.kopia and not host.persist_btrfs %}
  # Its persistent root is not btrfs: backups read the files directly.
  cluster.backup.snapshots = false;
{%- endif %}

  # Opened to the sources the filter allows each, and to no one else.
  cluster.firewall = {
    rules = {{ ("./" ~ host.firewall_file) | nix_path }};
    tcpPorts = {{ host.tcp_ports | nix }};
    udpPorts = {{ host.udp_ports | nix }};
  };
{%- if host.is_member %}

  cluster.member = {
    bindAddress = {{ host.bind_ip | nix }};
    mounts = {
{%- for mount in host.mounts %}
      {{ mount.mount_point | nix_attr }} = {
        device = {{ mount.device | nix }};
        fsType = {{ mount.fs_type | nix }};
        options = {{ mount.options | nix }};
      };
{%- endfor %}
    };
  };
{%- endif %}
{%- if host.is_worker %}

  cluster.worker.roles = {{ host.roles | nix }};
{%- if host.groups %}
  cluster.worker.groups = {{ host.groups | nix }};
{%- endif %}
{%- endif %}
{%- if host.is_nfs_primary %}

  cluster.nfsServer.standbys = {
{%- for standby in cluster.nfs.standbys %}
    {{ standby.name | nix_attr }} = {{ standby.address | nix }};
{%- endfor %}
  };
{%- endif %}
{%- if host.is_nfs_standby %}

  cluster.nfsStandby.replicationKeys = {{ cluster.nfs.replication_keys | nix }};
{%- endif %}
{%- if host.profile %}

  cluster.workstation.emulatedSystems = {{ host.emulated_systems | nix }};
{%- endif %}
{%- if host.nix %}

  # Plain option values from this host's `nix` key in the inventory.
{%- for path, value in host.nix %}
  {{ path | nix_attrpath }} = {{ value | nix }};
{%- endfor %}
{%- endif %}
}
