//! Every subcommand as a black box: the built binary in a temporary directory,
//! its exit code, and its output as snapshots.

use std::path::Path;
use std::process::Output;

use crate::support::root;

fn run_in(dir: &Path, args: &[&str]) -> Output {
    crate::support::gen_command()
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run gen")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn snapshot(name: &str, value: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/cli"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, value));
}

#[test]
fn the_committed_schema_is_what_gen_schema_prints() {
    let printed = run_in(&root(), &["schema"]);
    assert_eq!(printed.status.code(), Some(0));
    let committed = std::fs::read_to_string(root().join("inventory.schema.json"))
        .expect("inventory.schema.json");
    assert!(
        committed == text(&printed.stdout),
        "inventory.schema.json is out of date: run `cargo run -- schema > inventory.schema.json`"
    );
    let example = std::fs::read_to_string(root().join("inventory.yaml")).expect("inventory.yaml");
    assert!(example.starts_with("# yaml-language-server: $schema=./inventory.schema.json\n"));
}

/// The schema editors use accepts every valid inventory and rejects an unknown key.
#[test]
fn the_schema_accepts_valid_inventories_and_rejects_unknown_keys() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("inventory.schema.json")).expect("schema"),
    )
    .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let mut inventories = vec![root().join("inventory.yaml")];
    for entry in std::fs::read_dir(root().join("tests/fixtures/valid")).expect("fixtures") {
        inventories.push(entry.expect("fixture").path().join("inventory.yaml"));
    }
    for inventory in inventories {
        let value: serde_json::Value =
            serde_saphyr::from_str(&std::fs::read_to_string(&inventory).expect("read"))
                .expect("YAML");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|error| error.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", inventory.display());
    }
    let typo: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/invalid/yaml-unknown-key.yaml"))
            .expect("read"),
    )
    .expect("YAML");
    assert!(!validator.is_valid(&typo), "the schema accepts `domian`");
}

#[test]
fn init_writes_an_inventory_that_validates_and_renders_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let init = run_in(dir.path(), &["init", "cluster"]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    let cluster = dir.path().join("cluster");
    assert!(cluster.join("inventory.schema.json").exists());

    let validate = run_in(&cluster, &["validate"]);
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        text(&validate.stderr)
    );
    let render = run_in(&cluster, &["render"]);
    assert_eq!(render.status.code(), Some(0), "{}", text(&render.stderr));
    assert!(cluster.join("generated/flake.nix").exists());
    assert!(cluster.join("generated/services/whoami.hcl").exists());

    let again = run_in(dir.path(), &["init", "cluster"]);
    assert_eq!(again.status.code(), Some(1));
    snapshot("init_over_an_existing_inventory", &text(&again.stderr));
}

#[test]
fn hosts_lists_every_host() {
    let table = run_in(&root(), &["hosts"]);
    assert_eq!(table.status.code(), Some(0));
    snapshot("hosts", &text(&table.stdout));
    let json = run_in(&root(), &["hosts", "--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).expect("JSON");
    let fractal = rows
        .iter()
        .find(|row| row["name"] == "fractal")
        .expect("fractal is listed");
    assert_eq!(fractal["managed"], false);
}

#[test]
fn explain_tells_why_a_host_has_its_roles() {
    let explained = run_in(&root(), &["explain", "zippy"]);
    assert_eq!(explained.status.code(), Some(0));
    let output = text(&explained.stdout);
    assert!(
        output.contains("nfs-services-server   given by storage.services.primary"),
        "{output}"
    );
    snapshot("explain_zippy", &output);
    snapshot(
        "explain_desk",
        &text(&run_in(&root(), &["explain", "desk"]).stdout),
    );
    snapshot(
        "explain_fractal",
        &text(&run_in(&root(), &["explain", "fractal"]).stdout),
    );

    let unknown = run_in(&root(), &["explain", "zipy"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("did you mean `zippy`?"));
    snapshot("explain_unknown_host", &text(&unknown.stderr));
}

/// `gen explain --service` says where a job runs and why, who reaches its
/// ports, its data and secrets, and what the task sees.
#[test]
fn explain_tells_where_a_service_runs() {
    for service in ["postgres", "grafana", "whoami"] {
        let explained = run_in(&root(), &["explain", "--service", service]);
        assert_eq!(
            explained.status.code(),
            Some(0),
            "{}",
            text(&explained.stderr)
        );
        snapshot(
            &format!("explain_service_{service}"),
            &text(&explained.stdout),
        );
    }
    let postgres = text(&run_in(&root(), &["explain", "--service", "postgres"]).stdout);
    assert!(postgres.contains("nomad/jobs/postgres"), "{postgres}");
    assert!(
        postgres.contains("services share (served by zippy"),
        "{postgres}"
    );
    let unknown = run_in(&root(), &["explain", "--service", "postgre"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("did you mean `postgres`?"));
    let neither = run_in(&root(), &["explain"]);
    assert_eq!(neither.status.code(), Some(2));
}

#[test]
fn context_prints_what_a_template_sees() {
    let context = run_in(&root(), &["context", "--host", "c1"]);
    let value: serde_json::Value = serde_json::from_slice(&context.stdout).expect("JSON");
    assert_eq!(value["host"]["name"], "c1");
    assert_eq!(value["cluster"]["quorum_size"], 3);
    let service = run_in(&root(), &["context", "--service", "postgres"]);
    let value: serde_json::Value = serde_json::from_slice(&service.stdout).expect("JSON");
    assert_eq!(
        value["service"]["affinity"]["attribute"],
        "${meta.nfs_services_primary}"
    );
    let unknown = run_in(&root(), &["context", "--service", "postgress"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("did you mean `postgres`?"));
}

#[test]
fn templates_list_and_eject() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let list = run_in(dir.path(), &["templates", "list"]);
    assert_eq!(list.status.code(), Some(0));
    snapshot("templates_list", &text(&list.stdout));

    let eject = run_in(
        dir.path(),
        &[
            "templates",
            "eject",
            "services/job.hcl",
            "--templates",
            "mine",
        ],
    );
    assert_eq!(eject.status.code(), Some(0), "{}", text(&eject.stderr));
    let ejected = std::fs::read_to_string(dir.path().join("mine/services/job.hcl"))
        .expect("ejected template");
    assert!(ejected.contains("job {{ service.name | hcl }}"));
    let listed = run_in(dir.path(), &["templates", "list", "--templates", "mine"]);
    assert!(
        text(&listed.stdout)
            .contains("services/job.hcl\t(ejected to mine/services/job.hcl, not edited yet)"),
        "{}",
        text(&listed.stdout)
    );
    std::fs::write(
        dir.path().join("mine/services/job.hcl"),
        format!("# Ours.\n{ejected}"),
    )
    .expect("edit the ejected template");
    let listed = run_in(dir.path(), &["templates", "list", "--templates", "mine"]);
    assert!(
        text(&listed.stdout).contains("services/job.hcl\t(overridden by mine/services/job.hcl)")
    );

    let again = run_in(
        dir.path(),
        &[
            "templates",
            "eject",
            "services/job.hcl",
            "--templates",
            "mine",
        ],
    );
    assert_eq!(again.status.code(), Some(1));
    let unknown = run_in(dir.path(), &["templates", "eject", "services/jobs.hcl"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("did you mean `services/job.hcl`?"),
        "{}",
        text(&unknown.stderr)
    );
}

/// A workspace with the example inventory and one override of `name`.
fn with_override(name: &str, contents: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::copy(
        root().join("inventory.yaml"),
        dir.path().join("inventory.yaml"),
    )
    .expect("copy inventory");
    let path = dir.path().join("mine").join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("create override dir");
    std::fs::write(path, contents).expect("write override");
    dir
}

#[test]
fn an_override_replaces_its_template() {
    let original = flakegen::render::templates::source("services/job.hcl").expect("embedded");
    let dir = with_override(
        "services/job.hcl",
        &original.replacen(
            "datacenters = {{ [cluster.datacenter] | hcl }}",
            "datacenters = {{ [cluster.datacenter] | hcl }}\npriority = 70",
            1,
        ),
    );
    let render = run_in(dir.path(), &["render", "--templates", "mine"]);
    assert_eq!(render.status.code(), Some(0), "{}", text(&render.stderr));
    let job =
        std::fs::read_to_string(dir.path().join("generated/services/postgres.hcl")).expect("job");
    assert!(job.contains("priority    = 70"), "{job}");
}

#[test]
fn an_override_with_a_template_error_names_its_path_and_line() {
    let dir = with_override(
        "hosts/default.nix",
        "{\n  networking.hostName = {{ host.name | nix ;\n}\n",
    );
    let render = run_in(dir.path(), &["render", "--templates", "mine"]);
    assert_eq!(render.status.code(), Some(1));
    let stderr = text(&render.stderr);
    assert!(stderr.contains("mine/hosts/default.nix"), "{stderr}");
    assert!(
        stderr.contains(":2:"),
        "the template line is named: {stderr}"
    );
    assert!(!dir.path().join("generated").exists());
    snapshot(
        "override_with_a_template_syntax_error",
        &stderr.replace(&dir.path().display().to_string(), "<dir>"),
    );
}

#[test]
fn an_override_that_renders_invalid_nix_names_its_path_and_the_line() {
    let dir = with_override(
        "hosts/default.nix",
        "{\n  networking.hostName = {{ host.name | nix }}\n  oops = ;\n}\n",
    );
    let render = run_in(dir.path(), &["render", "--templates", "mine"]);
    assert_eq!(render.status.code(), Some(1));
    let stderr = text(&render.stderr);
    assert!(stderr.contains("mine/hosts/default.nix"), "{stderr}");
    assert!(!dir.path().join("generated").exists());
    snapshot(
        "override_rendering_invalid_nix",
        &stderr.replace(&dir.path().display().to_string(), "<dir>"),
    );
}

#[test]
fn completions_man_page_and_help() {
    for shell in ["bash", "zsh", "fish"] {
        let script = run_in(&root(), &["completions", shell]);
        assert_eq!(script.status.code(), Some(0));
        assert!(
            text(&script.stdout).contains("explain"),
            "{shell} completion lacks subcommands"
        );
    }
    let man = run_in(&root(), &["man"]);
    assert!(
        text(&man.stdout).starts_with(".ie") || text(&man.stdout).contains(".TH gen"),
        "{}",
        text(&man.stdout)
    );
    for command in [
        "render",
        "check",
        "diff",
        "validate",
        "init",
        "hosts",
        "explain",
        "context",
        "schema",
        "completions",
        "man",
    ] {
        let help = run_in(&root(), &[command, "--help"]);
        assert!(
            text(&help.stdout).contains("Examples:"),
            "`gen {command} --help` has no examples"
        );
    }
}

#[test]
fn quiet_render_prints_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::copy(
        root().join("inventory.yaml"),
        dir.path().join("inventory.yaml"),
    )
    .expect("copy inventory");
    let render = run_in(dir.path(), &["render", "--quiet"]);
    assert_eq!(render.status.code(), Some(0));
    assert!(render.stderr.is_empty() && render.stdout.is_empty());
    let verbose = run_in(dir.path(), &["render", "--verbose"]);
    assert!(
        text(&verbose.stderr).contains("Rendered generated: 0 written"),
        "{}",
        text(&verbose.stderr)
    );
}

/// Every key of the inventory's schema appears in the inventory reference.
#[test]
fn the_reference_documents_every_inventory_key() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("inventory.schema.json")).expect("schema"),
    )
    .expect("JSON");
    let reference =
        std::fs::read_to_string(root().join("docs/inventory.md")).expect("docs/inventory.md");
    let mut keys = Vec::new();
    let mut collect = |properties: &serde_json::Value| {
        if let Some(properties) = properties.as_object() {
            keys.extend(properties.keys().cloned());
        }
    };
    collect(&schema["properties"]);
    for definition in schema["$defs"].as_object().expect("definitions").values() {
        collect(&definition["properties"]);
    }
    let missing: Vec<&String> = keys
        .iter()
        .filter(|key| {
            !reference.contains(&format!("`{key}`"))
                && !reference.contains(&format!(".{key}`"))
                && !reference.contains(&format!("`{key}."))
        })
        .collect();
    assert!(missing.is_empty(), "docs/inventory.md lacks {missing:?}");
    for role in flakegen::inventory::Role::all() {
        assert!(
            reference.contains(&format!("`{role}`")),
            "docs/inventory.md does not describe the role `{role}`"
        );
    }
    // The service reference has a row for every key of a service.
    let services =
        std::fs::read_to_string(root().join("docs/services.md")).expect("docs/services.md");
    let service_keys = schema["$defs"]["Service"]["properties"]
        .as_object()
        .expect("a Service definition");
    let undocumented: Vec<&String> = service_keys
        .keys()
        .filter(|key| {
            !services.contains(&format!("| `{key}")) && !services.contains(&format!(", `{key}"))
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "docs/services.md lacks {undocumented:?}"
    );
}

/// `gen docs` prints what `gen render` writes into `docs/`, by the same templates.
#[test]
fn docs_prints_the_rendered_documents() {
    for (args, file) in [
        (&["docs"][..], "generated/docs/CLUSTER.md"),
        (
            &["docs", "--diagram", "dot"][..],
            "generated/docs/topology.dot",
        ),
        (
            &["docs", "--diagram", "mermaid"][..],
            "generated/docs/topology.mmd",
        ),
    ] {
        let printed = run_in(&root(), args);
        assert_eq!(printed.status.code(), Some(0), "{args:?}");
        let written = std::fs::read_to_string(root().join(file)).expect("rendered");
        assert_eq!(
            String::from_utf8_lossy(&printed.stdout),
            written,
            "{args:?}"
        );
    }
}
