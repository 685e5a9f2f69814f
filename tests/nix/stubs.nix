# Stand-ins for a generated flake's inputs, so its outputs evaluate with
# nix-instantiate alone: no network, no nixpkgs. Each records what it is given.
let
  systems = [
    "x86_64-linux"
    "aarch64-linux"
  ];
  genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);

  # Enough of nixpkgs' lib to evaluate modules down to their `imports`; any other
  # use fails loudly instead of passing silently.
  lib = {
    inherit genAttrs;
    optional = condition: value: if condition then [ value ] else [ ];
    optionals = condition: values: if condition then values else [ ];
  };

  # An input's NixOS module, recognisable when the checks follow imports.
  inputModule = input: { _stubModuleOf = input; };
in
{
  inherit lib;

  nixpkgs = {
    outPath = "/nix/store/00000000000000000000000000000000-nixpkgs";
    lib = lib // {
      # Records the arguments instead of building a system.
      nixosSystem = args: {
        _type = "configuration";
        system = args.system or null;
        modules = args.modules or [ ];
        specialArgs = args.specialArgs or { };
      };
    };
    legacyPackages = genAttrs systems (system: {
      nixfmt-rfc-style = "/nix/store/00000000000000000000000000000000-nixfmt-${system}";
    });
  };

  deploy-rs = {
    outPath = "/nix/store/00000000000000000000000000000000-deploy-rs";
    lib = genAttrs systems (system: {
      activate.nixos =
        configuration:
        assert configuration._type == "configuration";
        assert configuration.system == system;
        "/nix/store/00000000000000000000000000000000-activate-nixos-${system}";
      deployChecks = deploy: {
        schema = "/nix/store/00000000000000000000000000000000-deploy-schema-${system}";
      };
    });
  };

  sops-nix = {
    outPath = "/nix/store/00000000000000000000000000000000-sops-nix";
    nixosModules.sops = inputModule "sops-nix";
    nixosModules.default = inputModule "sops-nix";
  };

  impermanence = {
    outPath = "/nix/store/00000000000000000000000000000000-impermanence";
    nixosModules.impermanence = inputModule "impermanence";
    nixosModules.default = inputModule "impermanence";
  };
}
