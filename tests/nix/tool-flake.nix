# gen's own flake.nix, evaluated with a stub nixpkgs: the outputs each system
# gets, what the package is built from, and what `nix run` runs.
let
  flake = import ../../flake.nix;
  systemsOf = attrs: builtins.attrNames attrs;
  lib = {
    licenses.mit = "mit";
    genAttrs =
      names: f:
      builtins.listToAttrs (
        map (name: {
          inherit name;
          value = f name;
        }) names
      );
    getExe = drv: "${drv.outPath}/bin/${drv.meta.mainProgram}";
    fileset = {
      unions = files: files;
      toSource = { root, fileset }: { files = map (file: baseNameOf (toString file)) fileset; };
    };
  };
  tools = [
    "cargo"
    "rustc"
    "clippy"
    "rustfmt"
    "nix"
    "shellcheck"
    "nftables"
    "iproute2"
    "graphviz"
    "python3"
    "nodejs"
  ];
  pkgsFor =
    system:
    lib.genAttrs tools (name: name)
    // {
      stdenv.hostPlatform.system = system;
      rustPlatform.buildRustPackage =
        args: args // { outPath = "/nix/store/stub-${args.pname}-${args.version}"; };
      mkShell = args: args;
    };
  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] pkgsFor;
  };
  outputs = flake.outputs {
    self = outputs;
    inherit nixpkgs;
  };
  package = outputs.packages.x86_64-linux.default;
in
{
  packages = systemsOf outputs.packages;
  apps = systemsOf outputs.apps;
  shells = systemsOf outputs.devShells;
  inherit (package) pname version doCheck;
  mainProgram = package.meta.mainProgram;
  sources = package.src.files;
  lockFile = baseNameOf (toString package.cargoLock.lockFile);
  app = outputs.apps.x86_64-linux.gen.program;
  defaultApp = outputs.apps.aarch64-linux.default.program;
  shellPackages = outputs.devShells.x86_64-linux.default.packages;
}
