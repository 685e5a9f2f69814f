# An NFS standby: receives the primary's snapshots, ready to take over.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.cluster.nfsStandby;
  standbyDir = {{ cluster.nfs.standby_dir | nix }};
  # Every value that reaches a script goes through the shell's quoting.
  q = lib.escapeShellArg;
  # The share's state transitions; values reach it through the environment.
  nfsServices = pkgs.writeShellScript "nfs-services" (builtins.readFile ./nfs-services.sh);
  tools = [
    pkgs.btrfs-progs
    pkgs.coreutils
    pkgs.findutils
    pkgs.gnugrep
  ];
  environment = {
    EXPORT = {{ cluster.nfs.export | nix }};
    RECEIVED = standbyDir;
    KEEP = "12";
    GENERATION = toString {{ cluster.nfs.generation | nix }};
    SET_ASIDE_DAYS = toString {{ cluster.nfs.set_aside_days | nix }};
  };
  # The only command a replication key may run, with its environment.
  receive = pkgs.writeShellScript "nfs-services-receive" ''
    export PATH=${q (lib.makeBinPath tools)}
    ${lib.concatStrings (lib.mapAttrsToList (name: value: "export ${name}=${q value}\n") environment)}
    exec ${nfsServices} receive
  '';
in
{
  options.cluster.nfsStandby.replicationKeys = lib.mkOption {
    type = lib.types.listOf lib.types.str;
    default = [ ];
    description = "Public SSH keys allowed to replicate into this standby; each may only run the receive command.";
  };

  config = {
    # btrfs receive needs root; the forced command is all these keys can run.
    services.openssh.settings.PermitRootLogin = "forced-commands-only";
    users.users.root.openssh.authorizedKeys.keys = map (
      key: ''command="${receive}",restrict ${key}''
    ) cfg.replicationKeys;

    systemd.tmpfiles.rules = [ "d ${standbyDir} 0700 root root -" ];

    # A former primary sets its export aside (kept `set_aside_days`) and drops its
    # snapshots: if it is promoted again, it starts from what it received.
    systemd.services.nfs-services-standby = {
      description = "Set a former export aside";
      wantedBy = [ "multi-user.target" ];
      path = tools;
      inherit environment;
      serviceConfig.Type = "oneshot";
      script = "exec ${nfsServices} demote";
      startAt = "daily";
    };
  };
}
