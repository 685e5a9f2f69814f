//! `gen init --from`: an inventory read back from a flake repository.

use std::path::Path;

use crate::support::root;

fn adopt(repository: &Path) -> (tempfile::TempDir, String, std::process::Output) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = crate::support::gen_command()
        .arg("init")
        .arg("--from")
        .arg(repository)
        .arg(dir.path())
        .output()
        .expect("run gen");
    let text = std::fs::read_to_string(dir.path().join("inventory.yaml")).unwrap_or_default();
    (dir, text, output)
}

/// gen's own output, read back, is the example cluster: every host's roles,
/// system, address, profile, boot loader, modules and options, and every job's
/// image, count and ports.
#[test]
fn the_example_output_reads_back_as_the_example() {
    let (dir, _, output) = adopt(&root().join("generated"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let adopted = flakegen::prepare(&dir.path().join("inventory.yaml"))
        .expect("the adopted inventory is valid");
    let example = flakegen::prepare(&root().join("inventory.yaml")).expect("example");
    assert_eq!(adopted.model.hosts.len(), example.model.hosts.len());
    for (read, written) in adopted.model.hosts.iter().zip(&example.model.hosts) {
        assert_eq!(read.name, written.name);
        assert_eq!(read.roles, written.roles, "{}", read.name);
        assert_eq!(read.system, written.system, "{}", read.name);
        assert_eq!(read.address, written.address, "{}", read.name);
        assert_eq!(read.profile, written.profile, "{}", read.name);
        assert_eq!(read.boot_loader, written.boot_loader, "{}", read.name);
        assert_eq!(read.modules, written.modules, "{}", read.name);
        assert_eq!(read.nix, written.nix, "{}", read.name);
    }
    for written in &example.model.services {
        let read = adopted
            .model
            .services
            .iter()
            .find(|service| service.name == written.name)
            .unwrap_or_else(|| panic!("no {}", written.name));
        assert_eq!(read.image, written.image, "{}", written.name);
        assert_eq!(read.count, written.count, "{}", written.name);
        let ports =
            |service: &flakegen::model::Service| -> Vec<(String, Option<u16>, Option<u16>)> {
                service
                    .ports
                    .iter()
                    .map(|port| (port.label.clone(), port.host, port.container))
                    .collect()
            };
        assert_eq!(ports(read), ports(written), "{}", written.name);
    }
    let settings = |prepared: &flakegen::Prepared| {
        let settings = &prepared.model.settings;
        (
            settings.domain.clone(),
            settings.state_version.clone(),
            settings.nixpkgs.clone(),
            settings.time_zone.clone(),
            prepared.model.admin_user.clone(),
            prepared.model.admin_ssh_keys.clone(),
        )
    };
    assert_eq!(settings(&adopted), settings(&example));
}

#[test]
fn a_hand_written_repository_is_read_as_far_as_it_can_be() {
    let repository = root().join("tests/fixtures/adopt/handwritten");
    let (_dir, text, output) = adopt(&repository);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/adopt"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!("handwritten", text));
    for expected in [
        "imports `../../common/custom-hardening.nix`, which is no role of gen's",
        "`environment.systemPackages = [ pkgs.htop ]` is not plain data",
        "`services.smartd.enable = lib.mkIf",
        "`services.prometheus.exporters.node.port = port` is not plain data",
    ] {
        assert!(text.contains(expected), "no `{expected}` in\n{text}");
    }
    assert!(
        !text.contains("services.smartd.enable:"),
        "a conditional value is not carried over as plain"
    );
}

#[test]
fn init_from_never_overwrites_an_inventory() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("inventory.yaml"), "mine").expect("write");
    let output = crate::support::gen_command()
        .args(["init", "--from"])
        .arg(root().join("generated"))
        .arg(dir.path())
        .output()
        .expect("run gen");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("inventory.yaml")).expect("read"),
        "mine"
    );
}

/// A path made by interpolation is known only when evaluated: it is neither
/// read nor mistaken for a module of the host's. A job file without a job is
/// listed as not carried over, never dropped without a word.
#[test]
fn interpolated_paths_and_files_without_a_job_are_named() {
    let repository = tempfile::tempdir().expect("temporary directory");
    let fixture = root().join("tests/fixtures/adopt/handwritten");
    for entry in walkdir::WalkDir::new(&fixture) {
        let entry = entry.expect("fixture entry");
        let to = repository
            .path()
            .join(entry.path().strip_prefix(&fixture).expect("inside"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &to).expect("copy");
        }
    }
    let host = repository.path().join("hosts/alpha/default.nix");
    let text = std::fs::read_to_string(&host).expect("host file");
    let text = text.replacen(
        "  imports = [\n",
        "  imports = [\n    ./${\"hardware\"}/configuration.nix\n",
        1,
    );
    std::fs::write(&host, text).expect("write host file");
    std::fs::write(
        repository.path().join("services/settings.hcl"),
        "variable \"region\" {\n  default = \"home\"\n}\n",
    )
    .expect("write job file");
    let (_dir, text, output) = adopt(repository.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("settings.hcl: no `job` block"), "{text}");
    assert!(!text.contains("configuration.nix"), "{text}");
}
