//! A render that fails names the template and what it rendered for, and writes nothing.

use flakegen::error::Error;
use flakegen::render::{RenderedFile, Target};

use crate::support::{inventory_in_tempdir, root};

fn example_with(from: &str, to: &str) -> String {
    let example =
        std::fs::read_to_string(root().join("inventory.yaml")).expect("example inventory");
    assert!(
        example.contains(from),
        "the example inventory contains {from:?}"
    );
    example.replacen(from, to, 1)
}

/// Validation refuses such a path first (`hosts::invalid-module-path`); the filter
/// is the second line of defence, here reached through a template override. Files
/// render in path order, so the first host, `bastion`, is the one named.
#[test]
fn a_value_a_filter_refuses_names_template_and_host_and_writes_nothing() {
    let (dir, inventory) = inventory_in_tempdir(&example_with("[./monitoring.nix]", "[]"));
    let template = flakegen::render::templates::source("hosts/default.nix").expect("template");
    let overrides = dir.path().join("overrides/hosts");
    std::fs::create_dir_all(&overrides).expect("override directory");
    std::fs::write(
        overrides.join("default.nix"),
        template.replacen(
            "{%- for module in host.extra_modules %}",
            "{{ (\"/etc/\" ~ host.name ~ \".nix\") | nix_path }}\n{%- for module in host.extra_modules %}",
            1,
        ),
    )
    .expect("write override");
    let out = dir.path().join("out");
    let status = crate::support::gen_command()
        .args(["render", "--inventory"])
        .arg(&inventory)
        .arg("--out")
        .arg(&out)
        .arg("--templates")
        .arg(dir.path().join("overrides"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run gen");
    let stderr = String::from_utf8_lossy(&status.stderr);
    // miette wraps long lines; compare words, not layout.
    let flat = stderr
        .split_whitespace()
        .filter(|word| *word != "│")
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(status.status.code(), Some(1), "{stderr}");
    assert!(flat.contains("hosts/default.nix"), "{stderr}");
    assert!(flat.contains("host `bastion`"), "{stderr}");
    assert!(flat.contains("is not a relative Nix path"), "{stderr}");
    assert!(
        !out.exists(),
        "a failed render created the output directory"
    );
}

/// Validation refuses such a name first; the filter is the second line of defence.
#[test]
fn an_env_name_hcl_cannot_hold_names_the_service() {
    let mut cluster = flakegen::prepare(&root().join("inventory.yaml"))
        .expect("example is valid")
        .cluster;
    let postgres = cluster
        .services
        .iter_mut()
        .find(|service| service.name == "postgres")
        .expect("the example has postgres");
    postgres.env.insert("PG DATA".to_owned(), "x".to_owned());
    match flakegen::render::render(
        &cluster,
        "inventory.yaml",
        &flakegen::render::Templates::load(None).expect("embedded templates"),
    ) {
        Err(Error::Template {
            template, target, ..
        }) => {
            assert_eq!(template, "services/job.hcl");
            assert_eq!(target, "service `postgres`");
        }
        other => panic!("expected a template error, got {other:?}"),
    }
}

#[test]
fn output_that_does_not_parse_is_refused_with_its_template_and_target() {
    let broken = |path: &str, contents: &str| RenderedFile {
        path: path.to_owned(),
        contents: contents.to_owned(),
        template: "hosts/default.nix".to_owned(),
        overridden: false,
        target: Target::Host("c1".to_owned()),
        input: String::new(),
        source: String::new(),
        reused: None,
    };
    for file in [
        broken("hosts/c1/default.nix", "{ a = ; }\n"),
        // rnix parses it; Nix refuses an attribute defined twice.
        broken(
            "hosts/c1/default.nix",
            "{ networking.hostName = \"a\"; networking = { hostName = \"b\"; }; }\n",
        ),
        broken("services/x.hcl", "job \"x\" {\n"),
    ] {
        match flakegen::check::check(std::slice::from_ref(&file)) {
            Err(Error::InvalidOutput {
                path,
                template,
                target,
                ..
            }) => {
                assert_eq!(
                    (path.as_str(), template.as_str(), target.as_str()),
                    (file.path.as_str(), "hosts/default.nix", "host `c1`")
                );
            }
            other => panic!("expected invalid output for {}, got {other:?}", file.path),
        }
    }
}
