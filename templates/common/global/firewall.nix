# Loads the host's nftables filter: who may reach the ports the host opens.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.cluster.firewall;
  nft = "${pkgs.nftables}/bin/nft";
  # The chains every host shares, then the host's own rules: one file, one transaction.
  rules = pkgs.writeText "cluster-filter.nft" (
    builtins.readFile ../firewall-sets.nft + builtins.readFile cfg.rules
  );
in
{
  options.cluster.firewall = {
    rules = lib.mkOption {
      type = lib.types.nullOr lib.types.path;
      default = null;
      description = "The host's part of the table `inet cluster-filter` (after `common/firewall-sets.nft`), which drops traffic from sources a port is not opened to.";
    };
    tcpPorts = lib.mkOption {
      type = lib.types.listOf lib.types.port;
      default = [ ];
      description = "TCP ports the roles open, each limited to its sources by `rules`.";
    };
    udpPorts = lib.mkOption {
      type = lib.types.listOf lib.types.port;
      default = [ ];
      description = "UDP ports the roles open, each limited to its sources by `rules`.";
    };
  };

  config = lib.mkIf (cfg.rules != null) {
    networking.firewall.allowedTCPPorts = cfg.tcpPorts;
    networking.firewall.allowedUDPPorts = cfg.udpPorts;

    systemd.services.cluster-firewall = {
      description = "Source filter of the cluster's ports";
      # Early, as the NixOS firewall: in place before the network comes up,
      # before anything listens or Docker publishes a port.
      wantedBy = [ "sysinit.target" ];
      before = [
        "network-pre.target"
        "shutdown.target"
        "consul.service"
        "nomad.service"
        "docker.service"
      ];
      wants = [ "network-pre.target" ];
      conflicts = [ "shutdown.target" ];
      unitConfig.DefaultDependencies = false;
      # The file replaces the table in one transaction: reloading never leaves
      # the ports unfiltered, as a stop and a start would.
      reloadIfChanged = true;
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = "${nft} -f ${rules}";
        ExecReload = "${nft} -f ${rules}";
        ExecStop = "${nft} delete table inet cluster-filter";
      };
    };
  };
}
