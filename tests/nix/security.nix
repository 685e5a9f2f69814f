# The settings that keep the LAN out, as a generated flake's role modules set
# them for a host that runs Nomad, for the tests to assert. `mkIf` and
# `mkDefault` resolve as the module system would; modules are not merged.
{ flakeDir }:
let
  lib = {
    mkIf = condition: value: if condition then value else { };
    mkDefault = value: value;
    mkOption = option: option;
    inherit (builtins) mapAttrs;
    types = {
      attrsOf = type: type;
      listOf = type: type;
      nonEmptyListOf = type: type;
      nullOr = type: type;
      submodule = module: module;
      str = "str";
      path = "path";
    };
  };
  # Every secret a module declares, at the path sops-nix gives it.
  config = {
    cluster.member = {
      bindAddress = "10.0.0.1";
      mounts = { };
    };
    networking.hostName = "host";
    services.nomad.enable = true;
    sops.secrets = lib.mapAttrs (name: _: { path = "/run/secrets/${name}"; }) declared;
    sops.placeholder = lib.mapAttrs (name: _: "<placeholder of ${name}>") declared;
    sops.templates = lib.mapAttrs (name: _: { path = "/run/secrets/rendered/${name}"; }) templates;
  };
  module =
    file:
    let
      imported = import (flakeDir + "/${file}") {
        inherit lib config;
        pkgs = { };
      };
    in
    imported.config or imported;
  member = module "common/cluster-member.nix";
  server = module "common/nomad-server.nix";
  declared = (member.sops.secrets or { }) // (server.sops.secrets or { });
  templates = (member.sops.templates or { }) // (server.sops.templates or { });
  rendered = lib.mapAttrs (_: template: builtins.fromJSON template.content) templates;
in
{
  consul = member.services.consul;
  consulServer = server.services.consul.extraConfig;
  nomad = member.services.nomad;
  nomadServer = server.services.nomad;
  inherit rendered;
  # The file each secret is read from; null for the host's own.
  secrets = lib.mapAttrs (
    _: secret: if secret ? sopsFile then baseNameOf (toString secret.sopsFile) else null
  ) declared;
}
