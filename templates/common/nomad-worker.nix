# Runs Nomad jobs: Nomad client with Docker; service data on the services share.
{ config, lib, ... }:
let
  cfg = config.cluster.worker;
in
{
  options.cluster.worker.roles = lib.mkOption {
    type = lib.types.listOf lib.types.str;
    default = [ ];
    description = "Roles of this host, published as Nomad client meta for placement by role.";
  };
{%- if cluster.places_by_group %}

  options.cluster.worker.groups = lib.mkOption {
    type = lib.types.listOf lib.types.str;
    default = [ ];
    description = "Groups of this host, published as Nomad client meta for placement by group.";
  };
{%- endif %}

  config = {
    services.nomad = {
      enable = true;
      enableDocker = true;
      # The Docker driver needs a root agent (nixpkgs PR #308703); Nomad
      # recommends running clients as root.
      dropPrivileges = false;
      settings = {
        datacenter = {{ cluster.datacenter | nix }};
        client = {
          enabled = true;
          server_join.retry_join = {{ cluster.retry_join | nix }};
          meta.{{ cluster.roles_meta | nix_attr }} = lib.concatStringsSep "," cfg.roles;
{%- if cluster.places_by_group %}
          meta.{{ cluster.groups_meta | nix_attr }} = lib.concatStringsSep "," cfg.groups;
{%- endif %}
          # A job's kill_timeout is cut to this: the longest any job asks for.
          max_kill_timeout = {{ cluster.max_kill_timeout | nix }};
        };
        # Jobs bind-mount their data from the services share. Unlike host volumes,
        # a share that cannot be reached fails those tasks, not the agent (and with
        # it the Nomad server on quorum members). Nomad reads a JSON plugin block
        # only with every level in a list (hashicorp/nomad#7981).
        plugin = [ { docker = [ { config = [ { volumes = [ { enabled = true; } ]; } ]; } ]; } ];
      };
    };

    # Containers resolve through the host's dnsmasq, so `.consul` names work in jobs.
    virtualisation.docker.daemon.settings.dns = [ {{ cluster.docker_bridge_ip | nix }} ];
    networking.firewall.interfaces.docker0 = {
      allowedTCPPorts = [ 53 ];
      allowedUDPPorts = [ 53 ];
    };

    systemd.services.nomad = {
      after = [
        "consul.service"
        "remote-fs.target"
      ];
      wants = [ "consul.service" ];
    };
  };
}
