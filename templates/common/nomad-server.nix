# A quorum member: Consul server and Nomad server.
{ config, lib, ... }:
{
  services.consul = {
    webUi = true;
    extraConfig = {
      server = true;
      bootstrap_expect = {{ cluster.quorum_size | nix }};
{%- if cluster.security.tls %}
      # Servers present `server.<datacenter>.consul`, check every incoming
      # connection, and sign the clients' certificates (auto-encrypt).
      tls.defaults = {
        cert_file = config.sops.secrets.consul-server-cert.path;
        key_file = config.sops.secrets.consul-server-key.path;
        verify_incoming = true;
      };
      auto_encrypt = {
        tls = false;
        allow_tls = true;
      };
{%- endif %}
    };
  };
{%- if cluster.security.tls %}

  sops.secrets.consul-server-cert = {
    sopsFile = {{ ("../" ~ cluster.secret_files.quorum) | nix_path }};
    owner = "consul";
  };
  sops.secrets.consul-server-key = {
    sopsFile = {{ ("../" ~ cluster.secret_files.quorum) | nix_path }};
    owner = "consul";
  };
{%- endif %}
{%- if cluster.security.gossip_encryption %}

  # Nomad's server gossip, encrypted with a key of its own.
  services.nomad.extraSettingsPaths = [ config.sops.templates."nomad-gossip.json".path ];
  sops.templates."nomad-gossip.json" = {
    content = builtins.toJSON { server.encrypt = config.sops.placeholder.nomad-gossip-key; };
    restartUnits = [ "nomad.service" ];
  };
  sops.secrets.nomad-gossip-key.sopsFile = {{ ("../" ~ cluster.secret_files.quorum) | nix_path }};
{%- endif %}

  services.nomad = {
    enable = true;
    # A server alone runs no jobs; nomad-worker.nix turns Docker back on.
    enableDocker = lib.mkDefault false;
    dropPrivileges = false;
    settings = {
      datacenter = {{ cluster.datacenter | nix }};
      server = {
        enabled = true;
        bootstrap_expect = {{ cluster.quorum_size | nix }};
        server_join.retry_join = {{ cluster.retry_join | nix }};
      };
    };
  };
}
