{
  config,
  lib,
  pkgs,
  ...
}:
let
  persist = {{ cluster.persist | nix }};
  url = {{ cluster.kopia.url | nix }};
  fingerprint = {{ cluster.kopia.server_cert_fingerprint | nix }};
  paths = {{ cluster.kopia.paths | nix }};
  # Gitignore-style patterns, relative to each backed-up path, kept in Kopia's
  # policy for the path, not in a `.kopiaignore` written into it (which an NFS
  # export would show to its clients). The snapshots taken for backups are excluded.
  exclude = {{ cluster.kopia.exclude | nix }} ++ [ ".kopia-snapshots" ];
  addIgnores = lib.concatMapStringsSep " " (pattern: "--add-ignore=${lib.escapeShellArg pattern}") exclude;
  # Beside the data, not inside it: a snapshot inside an NFS export would show to its clients.
  snapshots = "${persist}/.kopia-snapshots";
in
{
  options.cluster.backup = {
    extraPaths = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      description = "Btrfs subvolumes backed up besides the cluster's backup paths; a snapshot of a parent does not include them.";
    };
    snapshots = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Back up each path from a read-only btrfs snapshot; off where the persistent file system is not btrfs.";
    };
  };

  config = {
    # The repository connection, so it is made once, not after every boot.
    environment.persistence.${persist}.directories = [ "/var/lib/kopia" ];

    # The host's own: each host is its own Kopia user, `root@<host>`, and cannot
    # read or delete another host's snapshots.
    sops.secrets.kopia-password = { };

  systemd.services.kopia-backup = {
    description = {{ ("Kopia backup to " ~ cluster.kopia.server.name) | nix }};
    startAt = {{ cluster.kopia.every | nix }};
    after = [ "network-online.target" ];
    wants = [ "network-online.target" ];
    path = [
      pkgs.kopia
      pkgs.btrfs-progs
    ];
    environment = {
      HOME = "/var/lib/kopia";
      KOPIA_CONFIG_PATH = "/var/lib/kopia/repository.config";
      KOPIA_CACHE_DIRECTORY = "/var/cache/kopia";
      KOPIA_CHECK_FOR_UPDATES = "false";
    };
    serviceConfig = {
      Type = "oneshot";
      StateDirectory = "kopia";
      CacheDirectory = "kopia";
    };
    # Each path is backed up from a read-only btrfs snapshot, so the backup sees
    # one instant of the file system; it is recorded under the real path. Where
    # the persistent file system is not btrfs, the path itself is read.
    script = ''
      set -euo pipefail
      KOPIA_PASSWORD=$(cat ${config.sops.secrets.kopia-password.path})
      export KOPIA_PASSWORD
      if ! kopia repository status >/dev/null 2>&1; then
        kopia repository connect server \
          --url=${lib.escapeShellArg url} \
          --server-cert-fingerprint=${lib.escapeShellArg fingerprint} \
          --override-hostname=${lib.escapeShellArg config.networking.hostName} \
          --override-username=root
      fi
      status=0
      for source_dir in ${lib.escapeShellArgs (paths ++ config.cluster.backup.extraPaths)}; do
        source=${lib.escapeShellArg "root@${config.networking.hostName}:"}"$source_dir"
        kopia policy set "$source" --clear-ignore
        kopia policy set "$source" ${addIgnores}
      ${
        if config.cluster.backup.snapshots then
          ''
            mkdir -p ${lib.escapeShellArg snapshots}
            snapshot=${lib.escapeShellArg snapshots}/"$(printf '%s' "$source_dir" | tr / _)"
            if [ -e "$snapshot" ]; then
              btrfs subvolume delete "$snapshot"
            fi
            btrfs subvolume snapshot -r "$source_dir" "$snapshot"
            kopia snapshot create "$snapshot" --override-source="$source" || status=1
            btrfs subvolume delete "$snapshot"
          ''
        else
          ''
            kopia snapshot create "$source_dir" --override-source="$source" || status=1
          ''
      }
      done
      exit "$status"
    '';
  };

  systemd.timers.kopia-backup.timerConfig = {
    Persistent = true;
    RandomizedDelaySec = "10m";
  };
  };
}
