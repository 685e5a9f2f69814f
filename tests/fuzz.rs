//! Any input ends in located diagnostics or in output that passes the check
//! stage: arbitrary bytes, and arbitrary inventory-shaped documents with every
//! section, go through the whole pipeline (load, validate, resolve, render,
//! check). An inventory that validates must render. A bounded run; CI runs it
//! every time.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Map, Value, json};

/// The whole pipeline on `bytes`, asserting what must hold for any input: an
/// inventory is refused with located diagnostics, or it validates, and then it
/// renders and every file passes the output check (rnix, HCL, YAML parsers).
/// `true` when it rendered.
fn run_pipeline(bytes: &[u8]) -> bool {
    match flakegen::prepare_bytes("fuzz.yaml", bytes) {
        Ok(prepared) => {
            let templates = flakegen::render::Templates::load(None).expect("embedded templates");
            let files = flakegen::render::render(&prepared.cluster, "fuzz.yaml", &templates)
                .unwrap_or_else(|error| panic!("a valid inventory does not render: {error}"));
            if let Err(error) = flakegen::check::check(&files) {
                panic!(
                    "a valid inventory renders invalid output: {}",
                    error.with_causes()
                );
            }
            true
        }
        Err(flakegen::error::Error::Invalid { problems, .. }) => {
            assert!(!problems.is_empty(), "refused without a diagnostic");
            for problem in &problems {
                assert!(
                    problem.at.is_some(),
                    "`{}` has no place in the file: {}",
                    problem.code,
                    problem.message
                );
            }
            false
        }
        Err(other) => panic!("bytes in memory failed as no inventory should: {other}"),
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
    prop_oneof![20 => "[a-z][a-z0-9]{0,6}", 1 => word()]
}

fn host() -> impl Strategy<Value = Value> {
    (
        roles(),
        proptest::option::weighted(
            0.9,
            prop_oneof![
                30 => (1u8..250).prop_map(|last| format!("10.0.0.{last}")),
                1 => Just("10.0.0.1".to_owned()),
                1 => Just("bad address".to_owned()),
            ],
        ),
        proptest::bool::weighted(0.9),
        proptest::option::of(prop_oneof![
            10 => Just("x86_64-linux"),
            10 => Just("aarch64-linux"),
            1 => Just("arm"),
        ]),
        proptest::option::weighted(0.2, value()),
        proptest::option::weighted(0.3, age_key()),
    )
        .prop_map(|(roles, address, managed, system, extra, age_key)| {
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
            if let Some(key) = age_key {
                host.insert("age_key".into(), key);
            }
            Value::Object(host)
        })
}

fn service() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            30 => Just("nginx:1.27"),
            1 => Just("Bad Image"),
            1 => Just("ghcr.io/a/b@sha256:00"),
        ],
        proptest::collection::btree_map(
            "[a-z]{1,5}",
            prop_oneof![
                20 => (1024u16..20000).prop_map(Value::from),
                1 => any::<u16>().prop_map(Value::from),
                1 => Just(json!({ "to": 80 })),
            ],
            0..3,
        ),
        proptest::bool::weighted(0.2),
        proptest::option::weighted(
            0.3,
            prop_oneof![
                10 => Just("nomad-worker".to_owned()),
                5 => Just("nfs-primary".to_owned()),
                1 => word(),
            ],
        ),
        proptest::collection::btree_map(
            prop_oneof![20 => "[A-Z_]{1,12}", 1 => "[A-Za-z_ .]{1,12}"],
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

/// A public age key of its own (`age-keygen -y` prints such), or something that is not one.
fn age_key() -> impl Strategy<Value = Value> {
    let public_key = any::<[u8; 32]>().prop_map(|bytes| {
        let prefix = bech32::Hrp::parse("age").expect("the age prefix");
        json!(bech32::encode::<bech32::Bech32>(prefix, &bytes).expect("32 bytes encode"))
    });
    prop_oneof![20 => public_key, 1 => word().prop_map(Value::from)]
}

/// The optional sections: CIFS shares, Kopia backups and the admins' age keys.
#[allow(
    clippy::type_complexity,
    reason = "a strategy's value is a tuple of its parts"
)]
fn sections() -> impl Strategy<Value = (Option<Value>, Option<Value>, Option<Value>)> {
    let server = || prop_oneof![20 => Just("nas".to_owned()), 1 => word()];
    let cifs = (
        server(),
        proptest::collection::btree_map(
            "[a-z]{1,6}",
            prop_oneof![20 => "/mnt/[a-z]{1,6}", 1 => word()],
            1..3,
        ),
    )
        .prop_map(|(server, shares)| json!({ "server": server, "shares": shares }));
    let kopia = (
        server(),
        prop_oneof![20 => Just("0".repeat(64)), 1 => word()],
        prop_oneof![20 => Just("hourly".to_owned()), 1 => word()],
        proptest::collection::vec(
            prop_oneof![20 => Just("/persist".to_owned()), 1 => word()],
            1..3,
        ),
    )
        .prop_map(|(server, fingerprint, every, paths)| {
            json!({
                "server": server,
                "server_cert_fingerprint": fingerprint,
                "every": every,
                "paths": paths,
                "exclude": ["*.tmp"],
            })
        });
    let admins = proptest::collection::btree_map("[a-z]{1,6}", age_key(), 1..3);
    (
        proptest::option::weighted(0.3, cifs),
        proptest::option::weighted(0.3, kopia),
        proptest::option::weighted(0.3, admins.prop_map(|map| json!(map))),
    )
}

/// The services share; mostly its hosts are the inventory's workers, as in real ones.
fn add_share(inventory: &mut Value, primary: String, standbys: Vec<String>) {
    let workers: Vec<String> = inventory["hosts"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, host)| {
            host["roles"]
                .as_array()
                .is_some_and(|roles| roles.contains(&json!("nomad-worker")))
        })
        .map(|(name, _)| name.clone())
        .collect();
    let pick = |name: String, index: usize| match (name.as_str(), workers.get(index)) {
        ("nas" | "nas2", Some(worker)) => worker.clone(),
        _ => name,
    };
    let primary = pick(primary, 0);
    let standbys: Vec<String> = standbys.into_iter().map(|name| pick(name, 1)).collect();
    inventory["storage"] = json!({ "services": { "primary": primary, "standbys": standbys } });
}

/// The optional sections; mostly their servers are hosts of the inventory.
fn add_sections(
    inventory: &mut Value,
    (cifs, kopia, admins): (Option<Value>, Option<Value>, Option<Value>),
) {
    let first_host = inventory["hosts"]
        .as_object()
        .and_then(|hosts| hosts.keys().next().cloned());
    let served = |mut section: Value| {
        if let (Some(host), true) = (&first_host, section["server"] == "nas") {
            section["server"] = json!(host);
        }
        section
    };
    if let Some(cifs) = cifs {
        inventory["storage"]["cifs"] = served(cifs);
    }
    if let Some(kopia) = kopia {
        inventory["backup"] = json!({ "kopia": served(kopia) });
    }
    if let Some(admins) = admins {
        inventory["secrets"] = json!({ "admins": admins });
    }
}

fn inventory() -> impl Strategy<Value = Value> {
    (
        proptest::collection::btree_map(host_name(), host(), 1..6),
        proptest::collection::btree_map(host_name(), service(), 0..3),
        proptest::option::weighted(
            0.3,
            (
                prop_oneof![20 => Just("nas".to_owned()), 1 => word()],
                proptest::collection::vec(
                    prop_oneof![20 => Just("nas2".to_owned()), 1 => word()],
                    0..2,
                ),
            ),
        ),
        proptest::option::of(value()),
        sections(),
    )
        .prop_map(|(hosts, services, share, stray, sections)| {
            let mut inventory = json!({
                "cluster": {
                    "name": "fuzz",
                    "domain": "fuzz.lan",
                    "state_version": "25.05",
                    "nixpkgs": "github:NixOS/nixpkgs/nixos-25.05",
                    "admin": { "user": "admin", "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIS6wbAFLNEa1UIqDnH73dDDNzBhGFXgOj+U3n95UK19 admin"] },
                },
                "hosts": hosts,
                "services": services,
            });
            if let Some((primary, standbys)) = share {
                add_share(&mut inventory, primary, standbys);
            }
            if let Some(stray) = stray {
                inventory["cluster"]["extra"] = stray;
            }
            add_sections(&mut inventory, sections);
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
    assert!(
        rendered * 10 >= total,
        "only {rendered} of {total} generated inventories rendered: the strategy rarely gets past validation"
    );
}
