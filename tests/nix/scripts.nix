# The shell scripts of a generated flake's modules, as the NixOS module system
# would hand them to bash, for shellcheck. Only the lib and pkgs functions the
# scripts use are provided, each as nixpkgs defines it; packages are fixed paths.
{
  flakeDir,
  extraPaths ? [ "/persist/extra" ],
}:
let
  lib = rec {
    escapeShellArg = arg: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString arg)}'";
    escapeShellArgs = args: builtins.concatStringsSep " " (map escapeShellArg args);
    concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);
    concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
    mkOption = option: option;
    types = {
      listOf = type: type;
      str = "str";
    };
  };
  pkgs = {
    curl = "/run/current-system/sw";
    jq = "/run/current-system/sw";
    btrfs-progs = "/run/current-system/sw";
    # The script's text stands for the store path of the script.
    writeShellScript = name: text: text;
  };
  config = {
    networking.hostName = "host";
    cluster.nfsServer.standbys = [ "10.0.0.2" "10.0.0.3" ];
    cluster.nfsStandby.replicationKeys = [ "ssh-ed25519 AAAA key" ];
    cluster.backup.extraPaths = extraPaths;
    sops.secrets.nfs-replication-key.path = "/run/secrets/nfs-replication-key";
    sops.secrets.kopia-password.path = "/run/secrets/kopia-password";
  };
  module = file: import (flakeDir + "/${file}") { inherit lib pkgs config; };
  present = file: builtins.pathExists (flakeDir + "/${file}");
  server = (module "common/nfs-services-server.nix").config.systemd.services;
  standbyKey = builtins.head (module "common/nfs-services-standby.nix").config.users.users.root.openssh.authorizedKeys.keys;
  # `command="<script>",restrict <key>`
  receive = builtins.head (builtins.match ''command="(.*)",restrict .*'' standbyKey);
  backup = (module "common/global/backup.nix").config.systemd.services.kopia-backup;
in
(if present "common/nfs-services-server.nix" then {
  nfs-services-export = server.nfs-services-export.script;
  nfs-server-guard = server.nfs-server.preStart;
  nfs-services-replicate = server.nfs-services-replicate.script;
} else { })
// (if present "common/nfs-services-standby.nix" then { nfs-services-receive = receive; } else { })
// (if present "common/global/backup.nix" then { kopia-backup = backup.script; } else { })
