# A workstation with a graphical session: Hyprland, started through UWSM.
{
  imports = [ ./workstation-node.nix ];

  programs.hyprland = {
    enable = true;
    withUWSM = true;
  };

  hardware.graphics.enable = true;

  services.pipewire = {
    enable = true;
    alsa.enable = true;
    pulse.enable = true;
  };
  security.rtkit.enable = true;
}
