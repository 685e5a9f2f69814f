//! No input makes gen panic: arbitrary bytes, and arbitrary inventory-shaped
//! documents, go through the whole pipeline (load, validate, resolve, render,
//! check) and end in output or diagnostics. A bounded run; CI runs it every time.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Map, Value, json};

/// The whole pipeline on `bytes`; `true` when it rendered.
fn run_pipeline(bytes: &[u8]) -> bool {
    match flakegen::prepare_bytes("fuzz.yaml", bytes) {
        Ok(prepared) => {
            let templates = flakegen::render::Templates::load(None).expect("embedded templates");
            let rendered = flakegen::render::render(&prepared.cluster, "fuzz.yaml", &templates);
            if let Ok(files) = &rendered {
                let _ = flakegen::check::check(files);
            }
            rendered.is_ok()
        }
        Err(error) => {
            let _ = error.to_string();
            false
        }
    }
}

/// Words an inventory is made of, and a few that are almost right.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("c1".to_owned()),
        Just("c2".to_owned()),
        Just("c3".to_owned()),
        Just("nas".to_owned()),
        Just("cluster-member".to_owned()),
        Just("nomad-worker".to_owned()),
        Just("nomad-server".to_owned()),
        Just("cluster-tools".to_owned()),
        Just("nfs-primary".to_owned()),
        Just("desktop".to_owned()),
        Just("/persist/x".to_owned()),
        Just("10.0.0.1".to_owned()),
        "[a-z][a-z0-9-]{0,8}",
        any::<String>(),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        word().prop_map(Value::from),
        any::<u16>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(word(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Mostly the role sets of the reference cluster, sometimes anything.
fn roles() -> impl Strategy<Value = Value> {
    let quorum = json!(["cluster-member", "nomad-worker", "nomad-server"]);
    prop_oneof![
        3 => Just(quorum),
        2 => Just(json!(["cluster-member", "nomad-worker"])),
        1 => Just(json!(["cluster-member", "cluster-tools"])),
        1 => Just(json!([])),
        2 => proptest::collection::vec(
            prop_oneof![
                Just("cluster-member"),
                Just("nomad-worker"),
                Just("nomad-server"),
                Just("cluster-tools"),
                Just("nfs-services-server"),
                Just("nomad-wroker"),
            ],
            0..4,
        )
        .prop_map(|roles| json!(roles)),
    ]
}

/// Host names: mostly valid ones, sometimes anything.
fn host_name() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[a-z][a-z0-9]{0,6}", 1 => word()]
}

fn host() -> impl Strategy<Value = Value> {
    (
        roles(),
        proptest::option::weighted(
            0.9,
            prop_oneof![
                6 => (1u8..250).prop_map(|last| format!("10.0.0.{last}")),
                1 => Just("10.0.0.1".to_owned()),
                1 => Just("bad address".to_owned()),
            ],
        ),
        proptest::bool::weighted(0.9),
        proptest::option::of(prop_oneof![
            3 => Just("x86_64-linux"),
            3 => Just("aarch64-linux"),
            1 => Just("arm"),
        ]),
        proptest::option::weighted(0.2, value()),
    )
        .prop_map(|(roles, address, managed, system, extra)| {
            let mut host = Map::new();
            host.insert("roles".into(), roles);
            if let Some(address) = address {
                host.insert("address".into(), json!(address));
            }
            if !managed {
                host.insert("managed".into(), json!(false));
            }
            if let Some(system) = system {
                host.insert("system".into(), json!(system));
            }
            if let Some(extra) = extra {
                host.insert("nix".into(), json!({ "services.x.enable": extra }));
            }
            Value::Object(host)
        })
}

fn service() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            8 => Just("nginx:1.27"),
            1 => Just("Bad Image"),
            1 => Just("ghcr.io/a/b@sha256:00"),
        ],
        proptest::collection::btree_map(
            "[a-z]{1,5}",
            prop_oneof![
                3 => (1024u16..20000).prop_map(Value::from),
                1 => any::<u16>().prop_map(Value::from),
                1 => Just(json!({ "to": 80 })),
            ],
            0..3,
        ),
        proptest::bool::weighted(0.2),
        proptest::option::weighted(0.3, word()),
        proptest::collection::btree_map(
            prop_oneof![3 => "[A-Z_]{1,12}", 1 => "[A-Za-z_ .]{1,12}"],
            word(),
            0..3,
        ),
    )
        .prop_map(|(image, ports, data, prefer, env)| {
            let mut service = Map::new();
            service.insert("image".into(), json!(image));
            service.insert("ports".into(), Value::Object(ports.into_iter().collect()));
            service.insert("data".into(), json!(data));
            service.insert("env".into(), json!(env));
            if let Some(prefer) = prefer {
                service.insert("prefer".into(), json!(prefer));
            }
            Value::Object(service)
        })
}

fn inventory() -> impl Strategy<Value = Value> {
    (
        proptest::collection::btree_map(host_name(), host(), 0..6),
        proptest::collection::btree_map(host_name(), service(), 0..3),
        proptest::option::weighted(0.2, (word(), proptest::collection::vec(word(), 0..3))),
        proptest::option::of(value()),
    )
        .prop_map(|(hosts, services, share, stray)| {
            let mut inventory = json!({
                "cluster": {
                    "name": "fuzz",
                    "domain": "fuzz.lan",
                    "state_version": "25.05",
                    "nixpkgs": "github:NixOS/nixpkgs/nixos-25.05",
                    "admin": { "user": "admin", "ssh_keys": ["ssh-ed25519 AAAA admin"] },
                },
                "hosts": hosts,
                "services": services,
            });
            if let Some((primary, standbys)) = share {
                inventory["storage"] =
                    json!({ "services": { "primary": primary, "standbys": standbys } });
            }
            if let Some(stray) = stray {
                inventory["cluster"]["extra"] = stray;
            }
            inventory
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        run_pipeline(&bytes);
    }

    #[test]
    fn arbitrary_yaml_text_never_panics(text in "[a-z:\\[\\]{}\\-, \n&*!|>'\"#0-9]{0,400}") {
        run_pipeline(text.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Documents shaped like inventories, valid or nearly: half of the pipeline's
    /// branches need a document that gets past the YAML shape.
    #[test]
    fn arbitrary_inventories_never_panic(document in inventory()) {
        let text = serde_json::to_string_pretty(&document).expect("JSON is YAML");
        run_pipeline(text.as_bytes());
        // The same document without the stray key has a chance to render.
        let mut without_stray = document;
        if let Some(cluster) = without_stray["cluster"].as_object_mut() {
            cluster.remove("extra");
        }
        run_pipeline(serde_json::to_string(&without_stray).expect("JSON").as_bytes());
    }
}

/// The inventory strategy reaches rendering, so the property above tests more
/// than the loader.
#[test]
fn generated_inventories_reach_rendering() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = inventory();
    let mut rendered = 0;
    let total = 400;
    for _ in 0..total {
        let mut document = strategy.new_tree(&mut runner).expect("document").current();
        if let Some(cluster) = document["cluster"].as_object_mut() {
            cluster.remove("extra");
        }
        if run_pipeline(serde_json::to_string(&document).expect("JSON").as_bytes()) {
            rendered += 1;
        }
    }
    eprintln!("{rendered} of {total} generated inventories rendered");
    assert!(rendered > 0, "no generated inventory rendered");
}
