# A machine people work at: deployment and development tools.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.cluster.workstation;
in
{
  options.cluster.workstation.emulatedSystems = lib.mkOption {
    type = lib.types.listOf lib.types.str;
    default = [ ];
    description = "Systems of other cluster hosts this workstation builds for through QEMU emulation.";
  };

  config = {
    environment.systemPackages = [
      pkgs.deploy-rs
      pkgs.sops
      pkgs.age
      pkgs.git
    ];

    virtualisation.docker.enable = true;

    # People's files outlive the wiped root.
    environment.persistence.{{ cluster.persist | nix_attr }}.directories = [ "/home" ];
    users.users.{{ cluster.admin.user | nix_attr }}.extraGroups = [ "docker" ];

    # Runs binaries built for other distributions.
    programs.nix-ld.enable = true;

    boot.binfmt.emulatedSystems = cfg.emulatedSystems;
  };
}
