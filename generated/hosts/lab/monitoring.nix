# Hand-written: imported by hosts/lab/default.nix through the inventory's
# `hosts.lab.modules`. gen never writes or removes this file.
{
  services.prometheus.exporters.node = {
    enable = true;
    openFirewall = true;
  };
}
