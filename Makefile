# `make ci` runs exactly what CI runs.
.PHONY: ci bench render
ci:
	.ci/run
bench:
	cargo bench --bench render
render:
	cargo run --release -- render
