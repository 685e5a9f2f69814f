# A member of the cluster: Consul agent, `.consul` name resolution, shared storage.
{ config, lib, ... }:
let
  cfg = config.cluster.member;
in
{
  options.cluster.member = {
    bindAddress = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      description = "IP address the Consul agent binds to; null lets Consul pick the private address.";
    };
    mounts = lib.mkOption {
      type = lib.types.attrsOf (
        lib.types.submodule {
          options = {
            device = lib.mkOption {
              type = lib.types.str;
              description = "What is mounted: `server:/path` for NFS, `//server/share` for CIFS.";
            };
            fsType = lib.mkOption {
              type = lib.types.str;
              description = "File system type.";
            };
            options = lib.mkOption {
              type = lib.types.nonEmptyListOf lib.types.str;
              default = [ "defaults" ];
              description = "Mount options.";
            };
          };
        }
      );
      default = { };
      description = "Shared storage mounted on this member, by mount point.";
    };
  };

  config = {
    services.consul = {
      enable = true;
      extraConfig = {
        datacenter = {{ cluster.datacenter | nix }};
        retry_join = {{ cluster.retry_join | nix }};
        bind_addr = lib.mkIf (cfg.bindAddress != null) cfg.bindAddress;
{%- if cluster.security.gossip_encryption %}
        # The key itself comes from consul-secrets.json.
        encrypt_verify_incoming = true;
        encrypt_verify_outgoing = true;
{%- endif %}
{%- if cluster.security.acl %}
        # Nothing without a token; the agent's own comes from consul-secrets.json.
        # Tokens are not persisted: one set through the API would override the
        # one in sops, and rotating it there would change nothing.
        acl = {
          enabled = true;
          default_policy = "deny";
          enable_token_persistence = false;
        };
{%- endif %}
{%- if cluster.security.tls %}
        # RPC over TLS, servers checked against the CA and the name
        # `server.<datacenter>.consul`. Clients get their certificates from the
        # servers (auto-encrypt), so only the servers' certificate is a secret to
        # hand out. The HTTP API stays plain, on localhost.
        tls = {
          defaults = {
            ca_file = config.sops.secrets.consul-ca.path;
            verify_outgoing = true;
          };
          internal_rpc.verify_server_hostname = true;
        };
        auto_encrypt.tls = lib.mkDefault true;
{%- endif %}
      };
{%- if cluster.security.gossip_encryption or cluster.security.acl %}
      extraConfigFiles = [ config.sops.templates."consul-secrets.json".path ];
{%- endif %}
    };
{%- if cluster.security.gossip_encryption or cluster.security.acl %}

    # Secrets reach the agent through a file outside the Nix store.
    sops.templates."consul-secrets.json" = {
      content = builtins.toJSON {
{%- if cluster.security.gossip_encryption %}
        encrypt = config.sops.placeholder.consul-gossip-key;
{%- endif %}
{%- if cluster.security.acl %}
        acl.tokens.agent = config.sops.placeholder.consul-agent-token;
{%- endif %}
      };
      owner = "consul";
      restartUnits = [ "consul.service" ];
    };
{%- endif %}
{%- if cluster.security.gossip_encryption %}
    sops.secrets.consul-gossip-key.sopsFile = {{ ("../" ~ cluster.secret_files.members) | nix_path }};
{%- endif %}
{%- if cluster.security.acl %}
    # The host's own: a token per node, so no member can pose as another.
    sops.secrets.consul-agent-token = { };
{%- endif %}
{%- if cluster.security.tls %}
    sops.secrets.consul-ca = {
      sopsFile = {{ ("../" ~ cluster.secret_files.members) | nix_path }};
      owner = "consul";
    };
{%- endif %}

{%- if cluster.security.acl or cluster.security.tls %}

    # Every Nomad agent (servers and workers are cluster members).
    services.nomad = lib.mkIf config.services.nomad.enable {
      settings = {
{%- if cluster.security.acl %}
        # Nothing without a token: jobs, variables, the API.
        acl.enabled = true;
{%- endif %}
{%- if cluster.security.tls %}
        # Mutual TLS for RPC and the HTTP API: a client needs a certificate of
        # the cluster's CA, servers must be `server.global.nomad`.
        tls = {
          http = true;
          rpc = true;
          ca_file = config.sops.secrets.nomad-ca.path;
          cert_file = config.sops.secrets.nomad-agent-cert.path;
          key_file = config.sops.secrets.nomad-agent-key.path;
          verify_server_hostname = true;
          verify_https_client = true;
        };
        # Consul's health checks of Nomad's HTTP API cannot present a client
        # certificate and would fail (hashicorp/nomad#6923): the agents do not
        # register themselves, and nothing looks them up (they join by address).
        consul.auto_advertise = false;
{%- endif %}
      };
{%- if cluster.security.acl %}
      extraSettingsPaths = [ config.sops.templates."nomad-secrets.json".path ];
{%- endif %}
    };
{%- endif %}
{%- if cluster.security.acl %}
    # Nomad registers the jobs' services in Consul with a token of its own.
    sops.templates."nomad-secrets.json" = lib.mkIf config.services.nomad.enable {
      content = builtins.toJSON { consul.token = config.sops.placeholder.nomad-consul-token; };
      restartUnits = [ "nomad.service" ];
    };
    sops.secrets.nomad-consul-token = lib.mkIf config.services.nomad.enable {
      sopsFile = {{ ("../" ~ cluster.secret_files.members) | nix_path }};
    };
{%- endif %}
{%- if cluster.security.tls %}
    sops.secrets.nomad-ca = lib.mkIf config.services.nomad.enable {
      sopsFile = {{ ("../" ~ cluster.secret_files.members) | nix_path }};
    };
    # The host's own: a server certificate on quorum members, a client one on workers.
    sops.secrets.nomad-agent-cert = lib.mkIf config.services.nomad.enable { };
    sops.secrets.nomad-agent-key = lib.mkIf config.services.nomad.enable { };
{%- endif %}

    # Consul starts with the address it binds to already configured.
    systemd.services.consul = {
      after = [ "network-online.target" ];
      wants = [ "network-online.target" ];
    };

    # Names under `.consul` (the services share, Nomad) are answered by the local
    # Consul agent; everything else goes upstream as before.
    services.dnsmasq = {
      enable = true;
      settings = {
        server = [ {{ ("/consul/127.0.0.1#" ~ cluster.consul_dns_port) | nix }} ];
        # Also on Docker's bridge, for containers: Docker does not pass a loopback
        # resolver on to them. bind-dynamic waits for docker0 to appear.
        listen-address = [
          "127.0.0.1"
          {{ cluster.docker_bridge_ip | nix }}
        ];
        bind-dynamic = true;
      };
    };

{%- if cluster.cifs %}
    sops.secrets.{{ cluster.cifs_credentials_secret | nix_attr }}.sopsFile = {{ ("../" ~ cluster.secret_files.members) | nix_path }};

{%- endif %}
    fileSystems = lib.mapAttrs (_: mount: { inherit (mount) device fsType options; }) cfg.mounts;
  };
}
