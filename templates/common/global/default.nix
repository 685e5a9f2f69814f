# Applied to every host of the cluster.
{
  imports = [
{%- if cluster.kopia %}
    ./backup.nix
{%- endif %}
    ./firewall.nix
    ./nix.nix
    ./sops.nix
    ./users.nix
  ];
}
