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
  snapshotPrefix = {{ (cluster.nfs.export_name ~ "@") | nix }};
  keep = 12;
  # Every value that reaches a script goes through the shell's quoting.
  q = lib.escapeShellArg;
  # The only command a replication key may run. A receive that fails midway
  # leaves a partial subvolume behind; it is removed so a full send can follow.
  receive = pkgs.writeShellScript "nfs-services-receive" ''
    set -euo pipefail
    btrfs=${pkgs.btrfs-progs}/bin/btrfs
    before=$(ls -1 ${q standbyDir})
    if "$btrfs" receive ${q standbyDir}; then
      ls -1d ${q "${standbyDir}/${snapshotPrefix}"}* | head -n -${toString keep} | xargs -r -n1 "$btrfs" subvolume delete
      exit 0
    fi
    for path in ${q standbyDir}/*; do
      [ -e "$path" ] || continue
      if ! printf '%s\n' "$before" | grep -qxF "$(basename "$path")"; then
        "$btrfs" subvolume delete "$path"
      fi
    done
    exit 1
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
  };
}
