# Evaluates a generated flake with stub inputs and reports, as JSON:
#   deploy    the flake's `deploy` output (validated against deploy-rs's schema by the caller)
#   hosts     nixosConfigurations name → system
#   checks    the systems that have checks
#   problems  modules that do not exist, or are not modules, following every import
#
#   nix-instantiate --eval --strict --json tests/nix/check-flake.nix --arg flakeDir ./generated
{ flakeDir }:
let
  stubs = import ./stubs.nix;
  flake = import (flakeDir + "/flake.nix");
  inputs = {
    inherit (stubs) nixpkgs deploy-rs sops-nix impermanence;
    self = outputs // {
      outPath = flakeDir;
    };
  };
  outputs = flake.outputs inputs;

  # What a NixOS module may ask for. `config`, `pkgs` and `options` are never
  # needed to find a module's imports, so using them here is an error.
  moduleArgs = {
    inherit (stubs) lib;
    inherit inputs;
    config = throw "a module's imports depend on config";
    options = throw "a module's imports depend on options";
    pkgs = throw "a module's imports depend on pkgs";
    modulesPath = "/nix/store/00000000000000000000000000000000-nixpkgs/nixos/modules";
    specialArgs = {
      inherit inputs;
    };
  };

  problemsOfModule =
    where: module:
    if builtins.isPath module then
      if builtins.pathExists module then
        problemsOfValue "${where} → ${toString module}" (import module)
      else
        [ "${where}: ${toString module} does not exist" ]
    else
      problemsOfValue where module;

  problemsOfValue =
    where: value:
    if builtins.isAttrs value && value ? _stubModuleOf then
      [ ]
    else if builtins.isFunction value then
      let
        wanted = builtins.functionArgs value;
        unknown = builtins.filter (name: !(moduleArgs ? ${name})) (builtins.attrNames wanted);
      in
      if unknown != [ ] then
        [ "${where}: asks for ${builtins.concatStringsSep ", " unknown}, which no module receives" ]
      else
        problemsOfImports where (value (builtins.intersectAttrs wanted moduleArgs))
    else if builtins.isAttrs value then
      problemsOfImports where value
    else
      [ "${where}: is neither a function nor an attribute set" ];

  problemsOfImports =
    where: module:
    let
      imports = module.imports or [ ];
    in
    if builtins.isList imports then
      builtins.concatLists (map (problemsOfModule where) imports)
    else
      [ "${where}: imports is not a list" ];

  hostProblems =
    name: configuration:
    builtins.concatLists (map (problemsOfModule "host ${name}") configuration.modules);
in
{
  inherit (outputs) deploy;
  hosts = builtins.mapAttrs (name: configuration: configuration.system) outputs.nixosConfigurations;
  checks = builtins.attrNames outputs.checks;
  problems = builtins.concatLists (
    builtins.attrValues (builtins.mapAttrs hostProblems outputs.nixosConfigurations)
  );
}
