# The base of every host: SSH, boot, impermanence.
{
  config,
  lib,
  ...
}:
let
  cfg = config.cluster.node;
  persist = {{ cluster.persist | nix }};
in
{
  options.cluster.node.bootLoader = lib.mkOption {
    type = lib.types.enum [
      "systemd-boot"
      "extlinux"
    ];
    default = "systemd-boot";
    description = "Boot loader: systemd-boot for UEFI machines, extlinux for boards such as the Raspberry Pi.";
  };

  config = lib.mkMerge [
    {
      system.stateVersion = {{ cluster.state_version | nix }};
      networking.domain = {{ cluster.domain | nix }};
{%- if cluster.time_zone %}
      time.timeZone = {{ cluster.time_zone | nix }};
{%- endif %}

      services.openssh = {
        enable = true;
        settings = {
          PermitRootLogin = lib.mkDefault "no";
          PasswordAuthentication = false;
          KbdInteractiveAuthentication = false;
        };
        # On persistent storage, so the host keeps its identity (and its sops
        # key) across reboots.
        hostKeys = [
          {
            path = "${persist}/etc/ssh/ssh_host_ed25519_key";
            type = "ed25519";
          }
        ];
      };

      # The root file system is wiped at boot; what must survive lives here.
      fileSystems.${persist}.neededForBoot = true;
      environment.persistence.${persist} = {
        hideMounts = true;
        directories = [
          "/var/log"
          "/var/lib/nixos"
          "/var/lib/systemd/coredump"
          # Last run of each timer, so `Persistent = true` catches up after a reboot.
          "/var/lib/systemd/timers"
        ]
        # The state of each service the host runs, whichever module enables it.
{%- for state in cluster.persisted_state %}
        ++ lib.optionals config.{{ state.option | nix_attrpath }} {{ state.directories | nix }}
{%- endfor %};
        files = [ "/etc/machine-id" ];
      };
    }
    (lib.mkIf (cfg.bootLoader == "systemd-boot") {
      boot.loader.systemd-boot.enable = true;
      boot.loader.efi.canTouchEfiVariables = true;
    })
    (lib.mkIf (cfg.bootLoader == "extlinux") {
      # Unlike systemd-boot, extlinux does not switch GRUB off by itself.
      boot.loader.grub.enable = false;
      boot.loader.generic-extlinux-compatible.enable = true;
    })
  ];
}
