//! How long each stage takes, at the sizes users reach: the example cluster and
//! synthetic clusters of 200, 2,000 and 5,000 hosts with as many services
//! (`flakegen::synthetic`). Every stage must grow linearly with the size.
//!
//! `cargo bench --bench render`; `cargo bench --bench render -- 2000` for one size.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use flakegen::output::plan::Plan;
use flakegen::output::{RealDisk, apply};

fn inventories() -> Vec<(String, Vec<u8>)> {
    let example = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory.yaml"))
        .expect("example inventory");
    let mut inventories = vec![("example".to_owned(), example)];
    for hosts in [200, 2_000, 5_000] {
        inventories.push((
            hosts.to_string(),
            flakegen::synthetic::inventory(hosts).into_bytes(),
        ));
    }
    inventories
}

fn stages(c: &mut Criterion) {
    let templates = flakegen::render::Templates::load(None).expect("embedded templates");
    let mut group = c.benchmark_group("stage");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(3));
    for (size, bytes) in inventories() {
        group.bench_with_input(BenchmarkId::new("load", &size), &bytes, |b, bytes| {
            b.iter(|| flakegen::load::from_bytes("inventory.yaml".to_owned(), black_box(bytes)));
        });
        let loaded = flakegen::load::from_bytes("inventory.yaml".to_owned(), &bytes)
            .unwrap_or_else(|_| panic!("{size}: the inventory loads"));
        group.bench_with_input(BenchmarkId::new("validate", &size), &loaded, |b, loaded| {
            b.iter(|| {
                flakegen::validate::validate(&loaded.inventory, &loaded.source.text, &loaded.places)
            });
        });
        group.bench_with_input(BenchmarkId::new("model", &size), &loaded, |b, loaded| {
            b.iter(|| flakegen::model::resolve(&loaded.inventory));
        });
        let model = flakegen::model::resolve(&loaded.inventory);
        group.bench_with_input(BenchmarkId::new("context", &size), &model, |b, model| {
            b.iter(|| flakegen::context::build(model));
        });
        let cluster = flakegen::context::build(&model);
        group.bench_with_input(BenchmarkId::new("render", &size), &cluster, |b, cluster| {
            b.iter(|| flakegen::render::render(cluster, "inventory.yaml", &templates));
        });
        let files = flakegen::render::render(&cluster, "inventory.yaml", &templates)
            .unwrap_or_else(|_| panic!("{size}: the inventory renders"));
        group.bench_with_input(BenchmarkId::new("check", &size), &files, |b, files| {
            b.iter(|| flakegen::check::check(files));
        });
        group.bench_with_input(BenchmarkId::new("write", &size), &files, |b, files| {
            b.iter_with_large_drop(|| {
                let dir = tempfile::tempdir().expect("temporary directory");
                let plan = Plan::build(dir.path(), files.clone()).expect("plan");
                apply(&plan, false, &mut RealDisk).expect("write");
                dir
            });
        });
        group.bench_with_input(
            BenchmarkId::new("plan current", &size),
            &files,
            |b, files| {
                let dir = tempfile::tempdir().expect("temporary directory");
                let plan = Plan::build(dir.path(), files.clone()).expect("plan");
                apply(&plan, false, &mut RealDisk).expect("write");
                b.iter(|| Plan::build(dir.path(), files.clone()).map(|plan| plan.is_current()));
            },
        );
    }
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
