{
  description = "gen: one YAML inventory of a NixOS cluster in, a deployable flake and its Nomad jobs out";

  # gen needs the Rust of Cargo.toml's `rust-version`: nixos-unstable has it.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forEachSystem = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      manifest = (builtins.fromTOML (builtins.readFile ./Cargo.toml)).package;
    in
    {
      packages = forEachSystem (pkgs: {
        default = self.packages.${pkgs.stdenv.hostPlatform.system}.flakegen;
        flakegen = pkgs.rustPlatform.buildRustPackage {
          pname = manifest.name;
          inherit (manifest) version;
          # What the build reads, and nothing else: a change to the docs or the
          # example cluster does not rebuild gen.
          src = nixpkgs.lib.fileset.toSource {
            root = ./.;
            fileset = nixpkgs.lib.fileset.unions [
              ./Cargo.toml
              ./Cargo.lock
              ./build.rs
              ./src
              ./templates
              ./benches
              ./examples
            ];
          };
          cargoLock.lockFile = ./Cargo.lock;
          # The tests need Nix, nftables and network namespaces, which the
          # build sandbox has not: they run with `cargo test` (see the README).
          doCheck = false;
          meta = {
            inherit (manifest) description;
            license = nixpkgs.lib.licenses.mit;
            mainProgram = "gen";
            platforms = systems;
          };
        };
      });

      apps = forEachSystem (
        pkgs:
        let
          gen = {
            type = "app";
            program = nixpkgs.lib.getExe self.packages.${pkgs.stdenv.hostPlatform.system}.flakegen;
          };
        in
        {
          default = gen;
          inherit gen;
        }
      );

      devShells = forEachSystem (pkgs: {
        # The Rust toolchain and every tool `cargo test` and `.ci/run` use; the
        # Mermaid check's npm modules come from `.ci/run`.
        default = pkgs.mkShell {
          packages = [
            pkgs.cargo
            pkgs.rustc
            pkgs.clippy
            pkgs.rustfmt
            pkgs.nix
            pkgs.shellcheck
            pkgs.nftables
            pkgs.iproute2
            pkgs.graphviz
            pkgs.python3
            pkgs.nodejs
          ];
        };
      });
    };
}
