//! Prints a synthetic inventory of N hosts and N services, for benchmarks:
//! `cargo run --release --example synthetic -- 2000 > inventory.yaml`.

use std::io::Write;

fn main() {
    let hosts = std::env::args()
        .nth(1)
        .and_then(|count| count.parse().ok())
        .unwrap_or(200);
    let text = flakegen::synthetic::inventory(hosts);
    if std::io::stdout().write_all(text.as_bytes()).is_err() {
        std::process::exit(1);
    }
}
