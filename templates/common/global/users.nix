{
  # Accounts come from this configuration only, so a reboot with an empty root
  # file system never loses or invents one.
  users.mutableUsers = false;

  users.users.{{ cluster.admin.user | nix_attr }} = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
    openssh.authorizedKeys.keys = {{ cluster.admin.ssh_keys | nix }};
  };

  # deploy-rs activates through sudo without a terminal to type a password into.
  security.sudo.wheelNeedsPassword = false;
}
