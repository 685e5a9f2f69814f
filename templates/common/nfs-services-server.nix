# The NFS primary: serves the services share and replicates it to the standbys.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.cluster.nfsServer;
  persist = {{ cluster.persist | nix }};
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
  # Every value that reaches a script goes through the shell's quoting.
  q = lib.escapeShellArg;
  nfsService = {
    name = consulService;
    port = 2049;
    check = {
      tcp = "127.0.0.1:2049";
      interval = "10s";
    };
  };
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

    # The export is a btrfs subvolume, so it can be snapshotted for replication.
    # A promoted standby starts from the newest snapshot it received.
    systemd.services.{{ cluster.nfs.export_unit | nix_attr }} = {
      description = "Prepare the services share ${export}";
      wantedBy = [ "multi-user.target" ];
      requiredBy = [ "nfs-server.service" ];
      # A new data directory changes the script; restarting would restart nfs-server
      # too and stall every client for the NFSv4 grace period.
      restartIfChanged = false;
      before = [
        "nfs-server.service"
        "nfs-services-replicate.service"
      ];
      path = [ pkgs.btrfs-progs ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      script = ''
        set -euo pipefail
        if [ ! -e ${q export} ]; then
          latest=$(ls -1d ${q "${standbyDir}/${snapshotPrefix}"}* 2>/dev/null | tail -n 1 || true)
          if [ -n "$latest" ]; then
            btrfs subvolume snapshot "$latest" ${q export}
          else
            btrfs subvolume create ${q export}
          fi
        fi
        ${lib.concatMapStrings (dir: ''
          # Created once: a container may take the directory over afterwards.
          if [ ! -e ${q "${export}/${dir.name}"} ]; then
            install -d -m 0755 -o ${q dir.owner} -g ${q dir.owner} ${q "${export}/${dir.name}"}
          fi
        '') dataDirs}
      '';
    };

    # Serve only when Consul lists no other node for the share, so that two
    # primaries never serve at once (a failover moves the primary in the inventory).
    # At a cold start Consul may have no leader yet: stale reads and retries wait it out.
    systemd.services.nfs-server = {
      after = [ "consul.service" ];
      wants = [ "consul.service" ];
      serviceConfig.TimeoutStartSec = "6min";
      preStart = ''
        # Fail closed: no answer from Consul means no serving.
        set -o pipefail
        others=$(${pkgs.curl}/bin/curl --fail --silent --show-error \
          --retry 60 --retry-delay 5 --retry-all-errors --max-time 5 \
          ${q "http://127.0.0.1:8500/v1/health/service/${consulService}?passing&stale"} \
          | ${pkgs.jq}/bin/jq -r --arg self ${q config.networking.hostName} \
            '[.[].Node.Node | select(. != $self)] | join(" ")')
        if [ -n "$others" ]; then
          echo "Not serving "${q export}": Consul lists $others as serving "${q consulService} >&2
          exit 1
        fi
      '';
    };

{%- if cluster.security.acl %}
    # Registered with a token only the NFS hosts hold: no other agent can
    # announce the share, so the clients and the guard above trust this entry.
    services.consul.extraConfigFiles = [ config.sops.templates."consul-nfs-service.json".path ];
    sops.templates."consul-nfs-service.json" = {
      content = builtins.toJSON {
        services = [ (nfsService // { token = config.sops.placeholder.nfs-consul-token; }) ];
      };
      owner = "consul";
      restartUnits = [ "consul.service" ];
    };
    sops.secrets.nfs-consul-token.sopsFile = {{ ("../" ~ cluster.secret_files.nfs) | nix_path }};
{%- else %}
    services.consul.extraConfig.services = [ nfsService ];
{%- endif %}

    # Nomad jobs that prefer the disk's host match on this.
    services.nomad.settings.client.meta.{{ cluster.nfs_primary_meta | nix_attr }} = "true";

    environment.persistence.${persist}.directories = [
      # NFSv4 client recovery state.
      "/var/lib/nfs"
      stateDir
    ];
{%- if cluster.kopia %}

    # The export is a subvolume of its own: a snapshot of the persist root has it empty.
    cluster.backup.extraPaths = [ export ];
{%- endif %}

    # Readable by the NFS hosts only: the key gets root's `btrfs receive` on the standbys.
    sops.secrets.nfs-replication-key.sopsFile = {{ ("../" ~ cluster.secret_files.nfs) | nix_path }};

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
        snapshot=${q "${snapshotDir}/${snapshotPrefix}"}"$(date -u +%Y%m%dT%H%M%SZ)"
        btrfs subvolume snapshot -r ${q export} "$snapshot"
        failed=0
        for standby in ${lib.escapeShellArgs cfg.standbys}; do
          last="${stateDir}/$standby"
          parent=""
          if [ -f "$last" ] && [ -d ${q snapshotDir}/"$(cat "$last")" ]; then
            parent=${q snapshotDir}/"$(cat "$last")"
          fi
          receive() {
            ssh -i ${config.sops.secrets.nfs-replication-key.path} \
              -o BatchMode=yes -o StrictHostKeyChecking=accept-new \
              -o UserKnownHostsFile=${stateDir}/known_hosts "root@$standby"
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
        for old in ${q "${snapshotDir}/${snapshotPrefix}"}*; do
          name=$(basename "$old")
          if [ "$old" != "$snapshot" ] && ! cat ${stateDir}/* 2>/dev/null | grep -qxF "$name"; then
            btrfs subvolume delete "$old"
          fi
        done
        exit "$failed"
      '';
    };
  };
}
