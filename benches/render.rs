//! How long a render takes: the example cluster, and a 60-host cluster made from it.

use std::fmt::Write;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

/// The example inventory with `extra` more worker hosts.
fn larger_inventory(extra: usize) -> String {
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory.yaml"))
            .expect("example");
    let mut workers = String::new();
    for index in 0..extra {
        let _ = write!(
            workers,
            "  w{index}:\n    address: 10.1.{}.{}\n    roles: [cluster-member, nomad-worker]\n",
            index / 200,
            index % 200 + 1
        );
    }
    example.replacen("hosts:\n", &format!("hosts:\n{workers}"), 1)
}

fn render(bytes: &[u8], templates: &flakegen::render::Templates) -> usize {
    let prepared = flakegen::prepare_bytes("inventory.yaml", bytes).expect("valid inventory");
    let files = flakegen::render_prepared(Path::new("inventory.yaml"), &prepared, templates)
        .expect("renders");
    files.len()
}

fn benchmarks(c: &mut Criterion) {
    let templates = flakegen::render::Templates::load(None).expect("embedded templates");
    let example = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory.yaml"))
        .expect("example");
    c.bench_function("render example (10 hosts, 6 services)", |b| {
        b.iter(|| render(black_box(&example), &templates));
    });
    let larger = larger_inventory(50).into_bytes();
    c.bench_function("render 60 hosts, 6 services", |b| {
        b.iter(|| render(black_box(&larger), &templates));
    });
    c.bench_function("load and validate example", |b| {
        b.iter(|| {
            flakegen::prepare_bytes("inventory.yaml", black_box(&example))
                .map(|prepared| prepared.cluster.hosts.len())
        });
    });
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
