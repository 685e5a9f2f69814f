# The shell scripts of a generated flake's modules, as the NixOS module system
# would hand them to bash, for shellcheck. Only the lib and pkgs functions the
# scripts use are provided, each as nixpkgs defines it; packages are fixed paths.
# The services share's state script (`common/nfs-services.sh`) is checked as a file.
{
  flakeDir,
  extraPaths ? [ "/persist/extra" ],
}:
let
  lib = rec {
    escapeShellArg = arg: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString arg)}'";
    escapeShellArgs = args: builtins.concatStringsSep " " (map escapeShellArg args);
    concatStrings = builtins.concatStringsSep "";
    concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);
    concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
    mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (builtins.attrNames attrs);
    mapAttrs' = f: attrs: builtins.listToAttrs (mapAttrsToList f attrs);
    nameValuePair = name: value: { inherit name value; };
    inherit (builtins) attrNames;
    makeBinPath = packages: builtins.concatStringsSep ":" (map (package: "${package}/bin") packages);
    # Enough of the module system's merge for configs that do not collide.
    mkMerge = definitions: builtins.foldl' merge { } definitions;
    merge =
      left: right:
      left
      // builtins.mapAttrs (
        name: value:
        if left ? ${name} && builtins.isAttrs value && builtins.isAttrs left.${name} then
          merge left.${name} value
        else
          value
      ) right;
    mkOption = option: option;
    types = {
      attrsOf = type: type;
      listOf = type: type;
      str = "str";
    };
  };
  pkgs = {
    curl = "/run/current-system/sw";
    jq = "/run/current-system/sw";
    btrfs-progs = "/run/current-system/sw";
    coreutils = "/run/current-system/sw";
    findutils = "/run/current-system/sw";
    gnugrep = "/run/current-system/sw";
    openssh = "/run/current-system/sw";
    systemd = "/run/current-system/sw";
    writeShellScript = name: text: "/nix/store/00000000000000000000000000000000-${name}";
  };
  config = {
    networking.hostName = "host";
    cluster.nfsServer.standbys = {
      b = "10.0.0.2";
      c = "10.0.0.3";
    };
    cluster.nfsStandby.replicationKeys = [ "ssh-ed25519 AAAA key" ];
    cluster.backup = {
      inherit extraPaths;
      snapshots = true;
    };
    sops.secrets.nfs-replication-key.path = "/run/secrets/nfs-replication-key";
    sops.secrets.kopia-password.path = "/run/secrets/kopia-password";
    sops.templates."nfs-guard-token.header".path = "/run/secrets/rendered/nfs-guard-token.header";
  };
  module = file: import (flakeDir + "/${file}") { inherit lib pkgs config; };
  present = file: builtins.pathExists (flakeDir + "/${file}");
  server = (module "common/nfs-services-server.nix").config.systemd.services;
  standby = (module "common/nfs-services-standby.nix").config.systemd.services;
  backup = (module "common/global/backup.nix").config.systemd.services.kopia-backup;
  # The same, on a host whose persistent root is not btrfs.
  backupDirect =
    (import (flakeDir + "/common/global/backup.nix") {
      inherit lib pkgs;
      config = lib.merge config { cluster.backup.snapshots = false; };
    }).config.systemd.services.kopia-backup;
in
(
  if present "common/nfs-services-server.nix" then
    {
      nfs-services-export = server.nfs-services-export.script;
      nfs-services-data = server.nfs-services-data.script;
      nfs-server-guard = server.nfs-server.preStart;
      nfs-services-snapshot = server.nfs-services-snapshot.script;
      replicate-services-to-b = server.replicate-services-to-b.script;
      nfs-services-standby = standby.nfs-services-standby.script;
    }
  else
    { }
)
// (
  if present "common/global/backup.nix" then
    {
      kopia-backup = backup.script;
      kopia-backup-direct = backupDirect.script;
    }
  else
    { }
)
