//! The Nomad jobs gen writes, read back as Nomad reads them: what Consul
//! advertises, how secrets reach the task.

use serde_json::{Value, json};

use crate::support::three_servers;

/// The job file of `service` in the cluster of three servers running it.
fn job_of(service: Value) -> Value {
    let mut inventory = three_servers();
    inventory["services"]["web"] = service;
    let text = serde_json::to_string(&inventory).expect("JSON");
    let prepared = flakegen::prepare_bytes("inventory.yaml", text.as_bytes())
        .unwrap_or_else(|error| panic!("{}", error.with_causes()));
    let templates = flakegen::render::Templates::load(None).expect("templates");
    let files = flakegen::render_cluster(
        std::path::Path::new("inventory.yaml"),
        &prepared.cluster,
        &templates,
    )
    .expect("renders");
    let job = files
        .iter()
        .find(|file| file.path == "services/web.hcl")
        .expect("the job");
    hcl::from_str(&job.contents).expect("the job decodes")
}

/// Consul advertises the service's main port, even when its check probes another.
#[test]
fn the_check_port_is_not_the_advertised_one() {
    let job = job_of(json!({
        "image": "nginx:1.27",
        "ports": { "http": 8080, "admin": 9000 },
        "check": { "type": "http", "path": "/health", "port": "admin" }
    }));
    let service = &job["job"]["web"]["group"]["web"]["service"];
    assert_eq!(service["port"], "http");
    assert_eq!(service["check"]["port"], "admin");
}

/// Each secret is quoted for Nomad's env-file parser, and a missing one fails the task.
#[test]
fn secrets_are_quoted_and_required() {
    let job = job_of(json!({
        "image": "postgres:16.4",
        "ports": { "db": 5432 },
        "secret_env": ["POSTGRES_PASSWORD"]
    }));
    let template = &job["job"]["web"]["group"]["web"]["task"]["web"]["template"];
    assert_eq!(template["error_on_missing_key"], true);
    let data = template["data"].as_str().expect("a template body");
    assert!(
        data.contains("POSTGRES_PASSWORD={{ $secrets.POSTGRES_PASSWORD | toJSON }}"),
        "{data}"
    );
}
