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

const SMALL: &str = r#"cluster:
  name: lab
  domain: lab.lan
  state_version: "25.05"
  nixpkgs: github:NixOS/nixpkgs/nixos-25.05
  admin:
    user: admin
    ssh_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIS6wbAFLNEa1UIqDnH73dDDNzBhGFXgOj+U3n95UK19 admin@lab"]
hosts:
  s1: { address: 10.0.0.1, roles: [cluster-member, nomad-worker, nomad-server] }
  s2: { address: 10.0.0.2, roles: [cluster-member, nomad-worker, nomad-server] }
  s3: { address: 10.0.0.3, roles: [cluster-member, nomad-worker, nomad-server] }
  w1: { address: 10.0.0.4, nix: { services.openssh: { enable: false } } }
  w2: { address: 10.0.0.5 }
  wbox: { managed: false, address: 10.0.0.9 }
groups:
  workers:
    members: ["w*"]
    roles: [cluster-member, nomad-worker]
    nix:
      services.openssh.enable: true
  pair:
    members: ["{w1,w2}"]
    deploy: { ssh_user: ops }
"#;

#[test]
fn patterns_take_managed_hosts_and_the_host_keeps_its_own_options() {
    let (_dir, path) = crate::support::inventory_in_tempdir(SMALL);
    let prepared = flakegen::prepare(&path).expect("valid: the unmanaged wbox takes no roles");
    let host = |name: &str| {
        prepared
            .model
            .hosts
            .iter()
            .find(|host| host.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(host("w1").groups, ["pair", "workers"]);
    assert!(
        !host("w1").nix.contains_key("services.openssh.enable"),
        "w1's own set wins"
    );
    assert_eq!(
        host("w2").nix["services.openssh.enable"],
        serde_json::json!(true)
    );
    assert!(prepared.model.hosts.iter().all(|host| host.name != "wbox"));
    let user = |name: &str| {
        host(name)
            .deploy
            .iter()
            .find(|setting| setting.key == "sshUser")
            .map(|setting| (setting.value.clone(), setting.origin.clone()))
    };
    assert_eq!(
        user("w2"),
        Some(("ops".into(), "groups.pair.deploy".to_owned()))
    );
}

#[test]
fn a_bad_group_value_is_reported_once_where_the_group_writes_it() {
    let text = SMALL.replace(
        "      services.openssh.enable: true\n",
        "      services.openssh.enable: true\n      \"Bad..path\": 1\n",
    );
    let (_dir, path) = crate::support::inventory_in_tempdir(&text);
    let output = crate::support::gen_command()
        .args(["validate", "--format", "json", "--inventory"])
        .arg(&path)
        .output()
        .expect("run gen");
    let problems: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0]["path"], "groups.workers.nix.Bad..path");
    assert!(problems[0]["line"].as_u64().is_some());
}

#[test]
fn workers_publish_only_the_groups_jobs_place_by() {
    let text = format!("{SMALL}services:\n  web:\n    image: nginx:1.27\n    require: pair\n");
    let (_dir, path) = crate::support::inventory_in_tempdir(&text);
    let files = crate::support::render(&path);
    let w1 = &files
        .iter()
        .find(|file| file.path == "hosts/w1/default.nix")
        .expect("w1")
        .contents;
    assert!(w1.contains("cluster.worker.groups = [ \"pair\" ];"), "{w1}");
    let job = &files
        .iter()
        .find(|file| file.path == "services/web.hcl")
        .expect("web")
        .contents;
    assert!(
        job.contains("constraint {") && job.contains("value     = \"pair\""),
        "{job}"
    );
}
