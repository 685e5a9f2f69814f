# Command-line tools to operate the cluster, and nothing that runs jobs.
{ pkgs, ... }:
{
  environment.systemPackages = [
    pkgs.nomad
    pkgs.consul
    pkgs.wander
    pkgs.damon
  ];

  # Nomad servers register themselves in Consul as `nomad`.
  environment.variables.NOMAD_ADDR = "http://nomad.service.consul:4646";
}
