# A member of the cluster: Consul agent, `.consul` name resolution, shared storage.
{ config, lib, ... }:
let
  cfg = config.cluster.member;
in
{
  options.cluster.member = {
    bindAddress = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      description = "IP address the Consul agent binds to; null lets Consul pick the private address.";
    };
    mounts = lib.mkOption {
      type = lib.types.attrsOf (
        lib.types.submodule {
          options = {
            device = lib.mkOption {
              type = lib.types.str;
              description = "What is mounted: `server:/path` for NFS, `//server/share` for CIFS.";
            };
            fsType = lib.mkOption {
              type = lib.types.str;
              description = "File system type.";
            };
            options = lib.mkOption {
              type = lib.types.nonEmptyListOf lib.types.str;
              default = [ "defaults" ];
              description = "Mount options.";
            };
          };
        }
      );
      default = { };
      description = "Shared storage mounted on this member, by mount point.";
    };
  };

  config = {
    services.consul = {
      enable = true;
      extraConfig = {
        datacenter = {{ cluster.datacenter | nix }};
        retry_join = {{ cluster.retry_join | nix }};
        bind_addr = lib.mkIf (cfg.bindAddress != null) cfg.bindAddress;
      };
    };

    # Names under `.consul` (the services share, Nomad) are answered by the local
    # Consul agent; everything else goes upstream as before.
    services.dnsmasq = {
      enable = true;
      settings = {
        server = [ {{ ("/consul/127.0.0.1#" ~ cluster.consul_dns_port) | nix }} ];
        # Also on Docker's bridge, for containers: Docker does not pass a loopback
        # resolver on to them. bind-dynamic waits for docker0 to appear.
        listen-address = [
          "127.0.0.1"
          {{ cluster.docker_bridge_ip | nix }}
        ];
        bind-dynamic = true;
      };
    };

{%- if cluster.cifs %}
    sops.secrets.{{ cluster.cifs_credentials_secret | nix_attr }}.sopsFile = ../secrets/common.yaml;

{%- endif %}
    fileSystems = lib.mapAttrs (_: mount: { inherit (mount) device fsType options; }) cfg.mounts;

    networking.firewall = {
      # Consul server RPC and LAN/WAN gossip.
      allowedTCPPorts = [
        8300
        8301
        8302
      ];
      allowedUDPPorts = [
        8301
        8302
      ];
    };
  };
}
