//! Which changes a switch cannot apply to a running host: the kernel, its
//! command line and modules, the initrd and the boot loader take effect at the
//! next boot, and NixOS refuses to switch some components live (the D-Bus
//! implementation is a switch inhibitor). Such a host is activated for the next
//! boot and rebooted.

use serde::Serialize;

use super::nixfile;

/// One reason a host must reboot: the option that changed, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Reboot {
    pub option: &'static str,
    pub why: &'static str,
}

/// Options whose change takes effect only after a reboot, by attribute path;
/// an option under one (`boot.initrd.availableKernelModules`) counts as it.
const AT_BOOT: [(&str, &str); 11] = [
    ("boot.kernelPackages", "the kernel"),
    ("boot.kernelPatches", "the kernel"),
    ("boot.kernelParams", "the kernel's command line"),
    ("boot.extraModulePackages", "the kernel's modules"),
    ("boot.blacklistedKernelModules", "the kernel's modules"),
    ("boot.extraModprobeConfig", "the kernel's modules"),
    ("boot.initrd", "the initrd"),
    ("boot.loader", "the boot loader"),
    ("cluster.node.bootLoader", "the boot loader"),
    (
        "services.dbus.implementation",
        "the D-Bus implementation, which NixOS will not switch live",
    ),
    (
        "inputs.nixpkgs",
        "nixpkgs, and with it the kernel and initrd",
    ),
];

/// The attribute paths whose values differ between two versions of a Nix file.
pub fn changed_leaves(old: &str, new: &str) -> Vec<String> {
    let (old, new) = (nixfile::bindings(old), nixfile::bindings(new));
    let mut leaves: Vec<String> = new
        .iter()
        .filter(|(leaf, value)| old.get(*leaf) != Some(value))
        .map(|(leaf, _)| leaf.clone())
        .collect();
    leaves.extend(old.keys().filter(|leaf| !new.contains_key(*leaf)).cloned());
    leaves.sort();
    leaves
}

/// The reboots the changed bindings `leaves` call for: a binding at or under
/// an option, or above one (`boot = lib.mkIf c { kernelParams = …; }` may set
/// any option under `boot`).
pub fn of_leaves<'a>(leaves: impl IntoIterator<Item = &'a str>) -> Vec<Reboot> {
    let under = |path: &str, prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    leaves
        .into_iter()
        .flat_map(|leaf| {
            AT_BOOT
                .iter()
                .filter(move |(option, _)| under(leaf, option) || under(option, leaf))
        })
        .map(|(option, why)| Reboot { option, why })
        .collect()
}

/// The reboots called for by the lines that differ, for options set inside an
/// expression (`lib.mkIf cond { boot.loader.grub.enable = false; }`) that
/// [`changed_leaves`] sees only as a whole.
pub fn of_lines(old: &str, new: &str) -> Vec<Reboot> {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    diff.iter_all_changes()
        .filter(|change| change.tag() != ChangeTag::Equal)
        .flat_map(|change| {
            let line = change.value().to_owned();
            AT_BOOT
                .iter()
                .filter(move |(option, _)| names(&line, option))
                .map(|(option, why)| Reboot { option, why })
        })
        .collect()
}

/// Whether `line` names the option `path`, not a longer name that starts with it.
fn names(line: &str, path: &str) -> bool {
    let part_of_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    line.match_indices(path).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + path.len()..].chars().next();
        !before.is_some_and(|c| part_of_name(c) || c == '.' && !line[..at].ends_with("config."))
            && !after.is_some_and(part_of_name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_options_call_for_a_reboot_and_others_do_not() {
        let old = "{ boot.kernelParams = [ \"quiet\" ]; boot.kernel.sysctl.x = 1; networking.hostName = \"a\"; }";
        let new = "{ boot.kernelParams = [ \"debug\" ]; boot.kernel.sysctl.x = 2; networking.hostName = \"b\"; }";
        let leaves = changed_leaves(old, new);
        assert_eq!(
            leaves,
            [
                "boot.kernel.sysctl.x",
                "boot.kernelParams",
                "networking.hostName"
            ]
        );
        let reboots = of_leaves(leaves.iter().map(String::as_str));
        assert_eq!(reboots.len(), 1);
        assert_eq!(reboots[0].option, "boot.kernelParams");
        let above = of_leaves(["boot"]);
        assert!(above.iter().any(|reboot| reboot.option == "boot.loader"));
        assert!(of_leaves(["boot.kernel.sysctl", "cluster.firewall.rules"]).is_empty());
    }

    #[test]
    fn options_inside_expressions_are_found_by_line() {
        let old = "{ config = lib.mkIf x {\n  boot.loader.grub.enable = true;\n}; }";
        let new = "{ config = lib.mkIf x {\n  boot.loader.grub.enable = false;\n}; }";
        assert_eq!(of_lines(old, new)[0].option, "boot.loader");
        assert!(of_lines("{ a = boot.loaderX; }", "{ a = 1; }").is_empty());
        assert!(of_lines("{ a = my.boot.loader; }", "{ a = 1; }").is_empty());
        assert!(!of_lines("{ a = config.boot.loader; }", "{ a = 1; }").is_empty());
    }
}
