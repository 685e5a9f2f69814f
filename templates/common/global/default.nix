# Applied to every host of the cluster.
{
  imports = [
{%- if cluster.kopia %}
    ./backup.nix
{%- endif %}
    ./nix.nix
    ./sops.nix
    ./users.nix
  ];
}
