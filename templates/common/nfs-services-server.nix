# The NFS primary: serves the services share and replicates it to the standbys.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.cluster.nfsServer;
  export = {{ cluster.nfs.export | nix }};
  # Snapshots are siblings of the export, named `<export name>@<UTC time>`.
  snapshotDir = {{ cluster.nfs.export_parent | nix }};
  snapshotPrefix = {{ (cluster.nfs.export_name ~ "@") | nix }};
  standbyDir = {{ cluster.nfs.standby_dir | nix }};
  consulService = {{ cluster.nfs.consul_service | nix }};
  clients = {{ cluster.nfs.clients | nix }};
  dataDirs = {{ cluster.nfs.data_dirs | nix }};
  # The last snapshot each standby received, the parent of its next incremental send.
  stateDir = "/var/lib/nfs-services-replication";
  exportOptions = "rw,sync,no_subtree_check,no_root_squash";
in
{
  options.cluster.nfsServer.standbys = lib.mkOption {
    type = lib.types.listOf lib.types.str;
    default = [ ];
    description = "Addresses of the standbys this primary replicates the services share to.";
  };

  config = {
    services.nfs.server = {
      enable = true;
      exports = ''
        ${export} ${lib.concatMapStringsSep " " (client: "${client}(${exportOptions})") clients}
      '';
    };

    # Serve only when Consul lists no other node for the share, so that two
    # primaries never serve at once (a failover moves the primary in the inventory).
    systemd.services.nfs-server = {
      after = [ "consul.service" ];
      wants = [ "consul.service" ];
      preStart = ''
        others=$(${pkgs.curl}/bin/curl --fail --silent --show-error --retry 10 --retry-connrefused \
          "http://127.0.0.1:8500/v1/health/service/${consulService}?passing" \
          | ${pkgs.jq}/bin/jq -r --arg self ${lib.escapeShellArg config.networking.hostName} \
            '[.[].Node.Node | select(. != $self)] | join(" ")')
        if [ -n "$others" ]; then
          echo "Not serving ${export}: Consul lists $others as serving ${consulService}" >&2
          exit 1
        fi
      '';
    };

    services.consul.extraConfig.services = [
      {
        name = consulService;
        port = 2049;
        check = {
          tcp = "127.0.0.1:2049";
          interval = "10s";
        };
      }
    ];

    # Nomad jobs that prefer the disk's host match on this.
    services.nomad.settings.client.meta.{{ cluster.nfs_primary_meta | nix_attr }} = "true";

    # One directory per service that keeps data, offered to jobs as a host volume.
    systemd.tmpfiles.rules = map (dir: "d ${export}/${dir} 0755 root root -") dataDirs;

    sops.secrets.nfs-replication-key.sopsFile = ../secrets/common.yaml;

    # Every few minutes: a read-only snapshot, sent incrementally from the last
    # snapshot a standby received, or in full when that fails.
    systemd.services.nfs-services-replicate = {
      description = "Replicate ${export} to the NFS standbys";
      startAt = {{ ("*:0/" ~ cluster.nfs.every_minutes) | nix }};
      path = [
        pkgs.btrfs-progs
        pkgs.openssh
      ];
      serviceConfig = {
        Type = "oneshot";
        StateDirectory = "nfs-services-replication";
      };
      script = ''
        set -euo pipefail
        snapshot="${snapshotDir}/${snapshotPrefix}$(date -u +%Y%m%dT%H%M%SZ)"
        btrfs subvolume snapshot -r ${export} "$snapshot"
        failed=0
        for standby in ${lib.escapeShellArgs cfg.standbys}; do
          last="${stateDir}/$standby"
          parent=""
          if [ -f "$last" ] && [ -d "${snapshotDir}/$(cat "$last")" ]; then
            parent="${snapshotDir}/$(cat "$last")"
          fi
          receive() {
            ssh -i ${config.sops.secrets.nfs-replication-key.path} \
              -o BatchMode=yes -o StrictHostKeyChecking=accept-new "root@$standby"
          }
          if [ -n "$parent" ] && btrfs send -p "$parent" "$snapshot" | receive; then
            :
          elif btrfs send "$snapshot" | receive; then
            echo "$standby: sent in full" >&2
          else
            echo "$standby: replication failed" >&2
            failed=1
            continue
          fi
          basename "$snapshot" > "$last"
        done
        # Keep the newest snapshot and each standby's parent; drop the others.
        for old in "${snapshotDir}/${snapshotPrefix}"*; do
          name=$(basename "$old")
          if [ "$old" != "$snapshot" ] && ! cat ${stateDir}/* 2>/dev/null | grep -qxF "$name"; then
            btrfs subvolume delete "$old"
          fi
        done
        exit "$failed"
      '';
    };

    networking.firewall.allowedTCPPorts = [ 2049 ];
  };
}
