//! The Nomad jobs gen writes, read back as Nomad reads them: what Consul
//! advertises, how secrets reach the task.

use serde_json::{Value, json};

use crate::support::three_servers;

/// The job file of `service` in the cluster of three servers running it.
fn job_of(service: Value) -> Value {
    let mut inventory = three_servers();
    inventory["services"]["web"] = service;
    rendered(&inventory, "services/web.hcl")
}

/// The file at `path` of what `inventory` renders into, decoded as HCL.
fn rendered(inventory: &Value, path: &str) -> Value {
    let text = serde_json::to_string(inventory).expect("JSON");
    let prepared = flakegen::prepare_bytes("inventory.yaml", text.as_bytes())
        .unwrap_or_else(|error| panic!("{}", error.with_causes()));
    let templates = flakegen::render::Templates::load(None).expect("templates");
    let files = flakegen::render_cluster(
        std::path::Path::new("inventory.yaml"),
        &prepared.cluster,
        &templates,
    )
    .expect("renders");
    let file = files
        .iter()
        .find(|file| file.path == path)
        .unwrap_or_else(|| panic!("no {path}"));
    hcl::from_str(&file.contents).expect("the file decodes")
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

/// A service with a `host` is routed by Traefik through its Consul tags, on a
/// dynamic port; the ingress runs on the hosts named, on their network, with
/// the certificate resolver the routes name.
#[test]
fn the_ingress_routes_a_host_to_its_service() {
    let mut inventory = three_servers();
    inventory["ingress"] = json!({
        "hosts": ["s1", "s2"],
        "tls": "acme",
        "acme": { "email": "ops@lab.lan", "dns_provider": "ovh", "credentials": ["OVH_APPLICATION_KEY"] }
    });
    inventory["services"]["web"] = json!({
        "image": "nginx:1.27",
        "host": "www.lab.lan",
        "ports": { "http": { "to": 80 } }
    });
    let web = rendered(&inventory, "services/web.hcl");
    let group = &web["job"]["web"]["group"]["web"];
    assert_eq!(group["network"]["port"]["http"], json!({ "to": 80 }));
    let tags = group["service"]["tags"].as_array().expect("tags");
    for tag in [
        "traefik.enable=true",
        "traefik.http.routers.web.rule=Host(`www.lab.lan`)",
        "traefik.http.routers.web.entrypoints=websecure",
        "traefik.http.routers.web.tls.certresolver=acme",
    ] {
        assert!(tags.contains(&json!(tag)), "{tag} not in {tags:?}");
    }

    let ingress = rendered(&inventory, "services/ingress.hcl");
    let job = &ingress["job"]["ingress"];
    assert_eq!(job["type"], "system");
    let group = &job["group"]["ingress"];
    assert_eq!(group["constraint"]["value"], "s1,s2");
    assert_eq!(group["ephemeral_disk"]["sticky"], true);
    let task = &group["task"]["ingress"];
    assert_eq!(task["config"]["network_mode"], "host");
    let args = task["config"]["args"].as_array().expect("args");
    for arg in [
        "--providers.consulcatalog.exposedbydefault=false",
        "--certificatesresolvers.acme.acme.dnschallenge.provider=ovh",
        "--certificatesresolvers.acme.acme.storage=/alloc/data/acme.json",
    ] {
        assert!(args.contains(&json!(arg)), "{arg} not in {args:?}");
    }
    let credentials = task["template"]["data"].as_str().expect("the credentials");
    assert!(
        credentials.contains("OVH_APPLICATION_KEY="),
        "{credentials}"
    );
}

/// A registered port is a Consul service of its own, with its tags and a check.
#[test]
fn a_registered_port_is_a_service_of_its_own() {
    let job = job_of(json!({
        "image": "nginx:1.27",
        "ports": {
            "http": { "to": 80 },
            "metrics": { "to": 9113, "register": { "tags": ["metrics"] } }
        }
    }));
    let services = job["job"]["web"]["group"]["web"]["service"]
        .as_array()
        .expect("two service blocks")
        .clone();
    assert_eq!(services[0]["name"], "web");
    assert_eq!(services[1]["name"], "web-metrics");
    assert_eq!(services[1]["port"], "metrics");
    assert_eq!(services[1]["tags"], json!(["metrics"]));
    assert_eq!(services[1]["check"]["type"], "tcp");
}

/// A job that keeps data stops on a worker cut off from the servers; an
/// override replaces one field and keeps the other defaults.
#[test]
fn lifecycle_defaults_and_overrides() {
    let mut inventory = three_servers();
    inventory["storage"] = json!({ "services": { "primary": "s1", "standbys": ["s2"] } });
    inventory["services"]["web"] = json!({
        "image": "postgres:16.4",
        "ports": { "db": 5432 },
        "data": true,
        "lifecycle": { "restart": { "attempts": 1 }, "kill_timeout": "90s" }
    });
    let job = rendered(&inventory, "services/web.hcl");
    let group = &job["job"]["web"]["group"]["web"];
    assert_eq!(group["disconnect"], json!({ "stop_on_client_after": "1m" }));
    assert_eq!(
        group["restart"],
        json!({ "attempts": 1, "interval": "10m", "delay": "15s", "mode": "fail" })
    );
    assert_eq!(group["task"]["web"]["kill_timeout"], "90s");
    assert_eq!(group["update"]["auto_revert"], true);
}
