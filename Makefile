# The two commands of the README: `make dev` runs the local stack, `make test` runs every test.
.PHONY: dev test build release lint fmt

dev:
	scripts/dev.sh

test:
	scripts/test.sh

build:
	cargo build --workspace

# The Lambda binaries as AWS runs them (needs `pip install cargo-lambda`).
release:
	cargo lambda build --release --arm64

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	.cache/venv/bin/cfn-lint template.yaml

fmt:
	cargo fmt --all
