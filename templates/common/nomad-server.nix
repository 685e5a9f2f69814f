# A quorum member: Consul server and Nomad server.
{ lib, ... }:
{
  services.consul = {
    webUi = true;
    extraConfig = {
      server = true;
      bootstrap_expect = {{ cluster.quorum_size | nix }};
    };
  };

  services.nomad = {
    enable = true;
    # A server alone runs no jobs; nomad-worker.nix turns Docker back on.
    enableDocker = lib.mkDefault false;
    dropPrivileges = false;
    settings = {
      datacenter = {{ cluster.datacenter | nix }};
      server = {
        enabled = true;
        bootstrap_expect = {{ cluster.quorum_size | nix }};
        server_join.retry_join = {{ cluster.retry_join | nix }};
      };
    };
  };

  networking.firewall = {
    # Nomad HTTP, RPC and gossip. Consul's HTTP API and UI stay on localhost
    # (reach them through an SSH tunnel): Consul has no ACLs here.
    allowedTCPPorts = [
      4646
      4647
      4648
    ];
    allowedUDPPorts = [ 4648 ];
  };
}
