{
  description = {{ ("NixOS cluster " ~ cluster.name) | nix }};

  inputs = {
    nixpkgs.url = {{ cluster.nixpkgs | nix }};
    deploy-rs = {
      url = "github:serokell/deploy-rs";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    sops-nix = {
      url = "github:Mic92/sops-nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    impermanence = {
      url = "github:nix-community/impermanence";
      inputs.nixpkgs.follows = "nixpkgs";
      # Only its own tests use home-manager.
      inputs.home-manager.follows = "";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      deploy-rs,
      sops-nix,
      impermanence,
      ...
    }@inputs:
    let
      host =
        system: module:
        nixpkgs.lib.nixosSystem {
          inherit system;
          specialArgs = { inherit inputs; };
          modules = [
            module
            sops-nix.nixosModules.sops
            impermanence.nixosModules.impermanence
          ];
        };
    in
    {
      nixosConfigurations = {
{%- for host in cluster.hosts %}
        {{ host.name | nix_attr }} = host {{ host.system | nix }} {{ ("./" ~ host.dir) | nix_path }};
{%- endfor %}
      };

      deploy.nodes = {
{%- for host in cluster.hosts %}
        {{ host.name | nix_attr }} = {
{%- for key, value in host.deploy %}
          {{ key | nix_attr }} = {{ value | nix }};
{%- endfor %}
          profiles.system = {
            user = "root";
            path = deploy-rs.lib.{{ host.system | nix_attr }}.activate.nixos self.nixosConfigurations.{{ host.name | nix_attr }};
          };
        };
{%- endfor %}
      };

      checks = builtins.mapAttrs (system: deployLib: deployLib.deployChecks self.deploy) deploy-rs.lib;

      formatter = nixpkgs.lib.genAttrs {{ cluster.systems | nix }} (
        system: nixpkgs.legacyPackages.${system}.nixfmt-rfc-style
      );
    };
}
