{
  sops = {
    # Secrets are decrypted before impermanence bind-mounts /etc, so read the
    # host key from where it really lives.
    age.sshKeyPaths = [ {{ (cluster.persist ~ "/etc/ssh/ssh_host_ed25519_key") | nix }} ];
    gnupg.sshKeyPaths = [ ];
  };
}
