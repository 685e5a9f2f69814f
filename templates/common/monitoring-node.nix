# Monitoring: node exporter, and a Prometheus that scrapes every monitoring node.
{ config, ... }:
let
  persist = {{ cluster.persist | nix }};
  # Every monitoring node, this one included, ready for `host:port`. Each
  # Prometheus scrapes them all, so each holds a full copy and either one can go
  # down: Prometheus' usual high availability.
  monitoringHosts = [
{%- for peer in cluster.hosts %}
{%- if "monitoring-node" in peer.roles %}
    {{ peer.url_address | nix }}
{%- endif %}
{%- endfor %}
  ];
  exporterPort = {{ cluster.node_exporter_port | nix }};
in
{
  services.prometheus.exporters.node = {
    enable = true;
    port = exporterPort;
    # Both address families: the default, 0.0.0.0, leaves IPv6 scrapes unanswered.
    listenAddress = "[::]";
    # State of the units (consul, nomad, the NFS services) besides the defaults.
    enabledCollectors = [ "systemd" ];
  };

  services.prometheus = {
    enable = true;
    port = {{ cluster.prometheus_port | nix }};
    listenAddress = "[::]";
    scrapeConfigs = [
      {
        job_name = "node";
        static_configs = [
          {
            targets = map (host: "${host}:${toString exporterPort}") monitoringHosts;
          }
        ];
      }
    ];
  };

  # The metrics survive reboots. Owner and mode are those the prometheus unit's
  # StateDirectory= expects, so the persisted copy is right from its creation.
  environment.persistence.${persist}.directories = [
    {
      directory = "/var/lib/${config.services.prometheus.stateDir}";
      user = "prometheus";
      group = "prometheus";
      mode = "0700";
    }
  ];
}
