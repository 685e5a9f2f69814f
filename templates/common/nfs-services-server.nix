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
  consulService = {{ cluster.nfs.consul_service | nix }};
  clients = {{ cluster.nfs.clients | nix }};
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
  # The share's state transitions; values reach it through the environment.
  nfsServices = pkgs.writeShellScript "nfs-services" (builtins.readFile ./nfs-services.sh);
  state = {
    path = [
      pkgs.btrfs-progs
      pkgs.coreutils
      pkgs.findutils
      pkgs.gnugrep
      pkgs.openssh
    ];
    environment = {
      EXPORT = export;
      RECEIVED = {{ cluster.nfs.standby_dir | nix }};
      GENERATION = toString {{ cluster.nfs.generation | nix }};
      FIRST_DEPLOYMENT = {% if cluster.nfs.first_deployment %}"1"{% else %}"0"{% endif %};
      STATE = stateDir;
      STANDBYS = lib.concatStringsSep " " (lib.attrNames cfg.standbys);
      REPLICATION_KEY = config.sops.secrets.nfs-replication-key.path;
      DATA_DIRS = lib.concatMapStringsSep " " (dir: "${dir.name}:${dir.owner}") {{ cluster.nfs.data_dirs | nix }};
    };
  };
in
{
  options.cluster.nfsServer.standbys = lib.mkOption {
    type = lib.types.attrsOf lib.types.str;
    default = { };
    description = "The standbys this primary replicates the services share to: host name → address.";
  };

  config = lib.mkMerge [
  {
    services.nfs.server = {
      enable = true;
      exports = ''
        ${export} ${lib.concatMapStringsSep " " (client: "${client}(${exportOptions})") clients}
      '';
    };

    # The export is a btrfs subvolume, so it can be snapshotted for replication.
    # Promotion keeps an export of this generation, or makes one from the newest
    # complete snapshot of the previous one, or refuses: never stale, never empty
    # unless this is the first deployment.
    systemd.services.{{ cluster.nfs.export_unit | nix_attr }} = state // {
      description = "Promote ${export} to the served share";
      wantedBy = [ "multi-user.target" ];
      requiredBy = [ "nfs-server.service" ];
      # Restarting would restart nfs-server too and stall every client for the
      # NFSv4 grace period; the export does not change with the configuration.
      restartIfChanged = false;
      before = [
        "nfs-server.service"
        "nfs-services-snapshot.service"
      ];
      # A refused promotion is tried again each minute: the snapshot it waits
      # for may still be on its way. Once it succeeds, the share is served.
      startLimitIntervalSec = 0;
      unitConfig.OnSuccess = [ "nfs-server.service" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        Restart = "on-failure";
        RestartSec = "1min";
      };
      script = "exec ${nfsServices} promote";
    };

    # Each service's data directory, with its owner, on every switch that
    # changes them: services added later get theirs too.
    systemd.services.nfs-services-data = state // {
      description = "Data directories on ${export}";
      wantedBy = [ "multi-user.target" ];
      requires = [ {{ (cluster.nfs.export_unit ~ ".service") | nix }} ];
      after = [ {{ (cluster.nfs.export_unit ~ ".service") | nix }} ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      script = "exec ${nfsServices} data-dirs";
    };

    # Serve only when Consul lists no other node for the share, so that two
    # primaries never serve at once (a failover moves the primary in the inventory).
    # At a cold start Consul may have no leader yet: stale reads and retries wait it out.
    # After a power cut it keeps trying until Consul answers: the share must come
    # back without a person.
    systemd.services.nfs-server = {
      after = [
        "consul.service"
        "nfs-services-data.service"
      ];
      wants = [ "consul.service" ];
      startLimitIntervalSec = 0;
      environment.GENERATION = state.environment.GENERATION;
      serviceConfig = {
        TimeoutStartSec = "6min";
        Restart = "on-failure";
        RestartSec = "30s";
      };
      preStart = ''
        # Fail closed: no answer from Consul, or an answer ACLs may have
        # filtered, means no serving.
        set -o pipefail
        consul() {
          ${pkgs.curl}/bin/curl --silent --show-error \
            --retry 60 --retry-delay 5 --retry-all-errors --max-time 5 \
{%- if cluster.security.acl %}
            --header @${config.sops.templates."nfs-guard-token.header".path} \
{%- endif %}
            "$@"
        }
        headers=$(${pkgs.coreutils}/bin/mktemp)
        trap '${pkgs.coreutils}/bin/rm -f "$headers"' EXIT
        others=$(consul --fail --dump-header "$headers" \
          ${q "http://127.0.0.1:8500/v1/health/service/${consulService}?passing&stale"} \
          | ${pkgs.jq}/bin/jq -r --arg self ${q config.networking.hostName} \
            '[.[].Node.Node | select(. != $self)] | join(" ")')
        if ${pkgs.gnugrep}/bin/grep -qi '^X-Consul-Results-Filtered-By-ACLs: *true' "$headers"; then
          echo "Not serving "${q export}": Consul filtered the answer; the token cannot read "${q consulService} >&2
          exit 1
        fi
        if [ -n "$others" ]; then
          echo "Not serving "${q export}": Consul lists $others as serving "${q consulService} >&2
          exit 1
        fi
        # The generation the share has reached, recorded by each primary that
        # served it: a host that comes back with an older configuration, while
        # the new primary is down, must not serve its old data.
        recorded=${q "http://127.0.0.1:8500/v1/kv/${consulService}/generation"}
        answer=$(consul --output "$headers" --write-out '%{http_code}' "$recorded?raw&stale")
        case "$answer" in
        200) reached=$(${pkgs.coreutils}/bin/cat "$headers") ;;
        404) reached=0 ;;
        *)
          echo "Not serving "${q export}": Consul answered $answer for the share's generation" >&2
          exit 1
          ;;
        esac
        if [ "$reached" -gt "$GENERATION" ]; then
          echo "Not serving "${q export}": the share has reached generation $reached; this host's configuration is of $GENERATION" >&2
          exit 1
        fi
        if [ "$reached" -lt "$GENERATION" ]; then
          consul --fail --request PUT --data "$GENERATION" "$recorded" >/dev/null
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
    # The guard reads the share's entries with the same token, not the
    # anonymous one, whose answers ACLs could empty without saying so.
    sops.templates."nfs-guard-token.header".content = "X-Consul-Token: ${config.sops.placeholder.nfs-consul-token}";
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

    # Every few minutes a read-only snapshot, then one unit per standby sends it,
    # incrementally from the last one that standby received: a slow standby
    # delays no other.
    systemd.services.nfs-services-snapshot = state // {
      description = "Snapshot ${export} for the standbys";
      startAt = {{ ("*:0/" ~ cluster.nfs.every_minutes) | nix }};
      serviceConfig = {
        Type = "oneshot";
        StateDirectory = "nfs-services-replication";
      };
      script = ''
        ${nfsServices} snapshot
        ${lib.concatMapStrings (name: ''
          ${pkgs.systemd}/bin/systemctl start --no-block ${q "replicate-services-to-${name}.service"}
        '') (lib.attrNames cfg.standbys)}
      '';
    };
  }
  {
    systemd.services = lib.mapAttrs' (
      name: address:
      lib.nameValuePair "replicate-services-to-${name}" (
        state
        // {
          description = "Replicate ${export} to ${name}";
          after = [ "nfs-services-snapshot.service" ];
          serviceConfig = {
            Type = "oneshot";
            StateDirectory = "nfs-services-replication";
          };
          script = "exec ${nfsServices} replicate ${q name} ${q address}";
        }
      )
    ) cfg.standbys;
  }
  ];
}
