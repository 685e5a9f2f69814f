# Command-line tools to operate the cluster, and nothing that runs jobs.
{ config, pkgs, ... }:
{
  environment.systemPackages = [
    pkgs.nomad
    pkgs.consul
    pkgs.wander
    pkgs.damon
  ];

{%- if cluster.security.tls %}

  # A server by its address: under mutual TLS the agents are not in Consul.
  # Any quorum member answers for the cluster.
  environment.variables = {
{%- if cluster.quorum %}
    NOMAD_ADDR = {{ ("https://" ~ cluster.retry_join[0] ~ ":4646") | nix }};
{%- endif %}
    NOMAD_CACERT = config.sops.secrets.nomad-ca.path;
    NOMAD_CLIENT_CERT = config.sops.secrets.nomad-cli-cert.path;
    NOMAD_CLIENT_KEY = config.sops.secrets.nomad-cli-key.path;
    # Reached by address, a server proves it is one by its certificate's name.
    NOMAD_TLS_SERVER_NAME = "server.global.nomad";
  };

  # The admin's: `nomad tls cert create -cli`, in this host's own secrets file.
  sops.secrets.nomad-cli-cert.owner = {{ cluster.admin.user | nix }};
  sops.secrets.nomad-cli-key.owner = {{ cluster.admin.user | nix }};
  sops.secrets.nomad-ca = {
    sopsFile = {{ ("../" ~ cluster.secret_files.members) | nix_path }};
    mode = "0444";
  };
{%- else %}

  # Nomad servers register themselves in Consul as `nomad`.
  environment.variables.NOMAD_ADDR = "http://nomad.service.consul:4646";
{%- endif %}
}
