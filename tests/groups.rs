//! Groups: a cluster written with groups is the cluster written host by host,
//! and `gen explain` says which group gave what.

use crate::support::{render, root};

fn fixture(name: &str) -> std::path::PathBuf {
    root().join("tests/fixtures/groups").join(name)
}

#[test]
fn sixty_hosts_with_groups_render_as_written_host_by_host() {
    let grouped = render(&fixture("grouped.yaml"));
    let flat = render(&fixture("flat.yaml"));
    assert!(
        grouped
            .iter()
            .filter(|file| file.path.starts_with("hosts/"))
            .count()
            >= 120
    );
    let files = |rendered: &[flakegen::render::RenderedFile]| -> Vec<(String, String)> {
        rendered
            .iter()
            .map(|file| {
                // The header names the inventory file, which differs.
                let contents = file.contents.replace("grouped.yaml", "flat.yaml");
                (file.path.clone(), contents)
            })
            .collect()
    };
    let (grouped, flat) = (files(&grouped), files(&flat));
    assert_eq!(grouped.len(), flat.len());
    for ((path, contents), (flat_path, flat_contents)) in grouped.iter().zip(&flat) {
        assert_eq!(path, flat_path);
        assert!(
            contents == flat_contents,
            "{path} differs between the two forms"
        );
    }
}

#[test]
fn explain_names_the_group_behind_each_value() {
    let prepared = flakegen::prepare(&fixture("grouped.yaml")).expect("valid");
    let out = std::path::Path::new("generated");
    let explained = |host: &str| flakegen::explain::explain(&prepared, host, out).expect("explain");
    let pi = explained("p03");
    for line in [
        "cluster-member        given by groups.pis.roles",
        "hardware.enableRedistributableFirmware = true    from groups.pis.nix",
        "remoteBuild         true                    from groups.pis.deploy",
        "sshUser             admin                   from cluster.deploy",
    ] {
        assert!(pi.contains(line), "no `{line}` in\n{pi}");
    }
    let own = explained("w05");
    assert!(
        own.contains("services.fstrim.enable = false    from hosts.w05.nix"),
        "{own}"
    );
    let desk = explained("d4");
    assert!(
        desk.contains("workstation           given by groups.desks.profile"),
        "{desk}"
    );
    let fast = explained("w03");
    assert!(fast.contains("Groups:\n  fast-disks, workers"), "{fast}");
}

#[test]
fn a_job_that_prefers_a_group_runs_on_its_members() {
    let files = render(&root().join("tests/fixtures/valid/every-job-block/inventory.yaml"));
    let file = |path: &str| {
        files
            .iter()
            .find(|file| file.path == path)
            .unwrap_or_else(|| panic!("no {path}"))
            .contents
            .clone()
    };
    let job = file("services/media.hcl");
    assert!(job.contains("attribute = \"$${meta.groups}\""), "{job}");
    assert!(
        job.contains("operator  = \"set_contains\"") && job.contains("value     = \"gpu\""),
        "{job}"
    );
    assert!(
        file("common/nomad-worker.nix")
            .contains("meta.groups = lib.concatStringsSep \",\" cfg.groups;")
    );
    assert!(file("hosts/w1/default.nix").contains("cluster.worker.groups = [ \"gpu\" ];"));
    assert!(!file("hosts/s1/default.nix").contains("cluster.worker.groups"));
}
